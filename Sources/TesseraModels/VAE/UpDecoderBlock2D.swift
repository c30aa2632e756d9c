import TesseraTensor

/// diffusers' `UpDecoderBlock2D`: resnets, then (except in the last stage) `Upsample2D`:
/// nearest 2x upsampling and a 3x3 conv, run as `UpsampledConv2d`'s phase convolutions.
struct UpDecoderBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let upsample: UpsampledConv2d?

    /// Loads `resnets.<i>` and `upsamplers.0.conv` under `w`.
    init(_ w: Weights, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addUpsample: Bool) throws {
        resnets = try (0..<layers).map {
            try ResnetBlock2D(w.scoped("resnets.\($0)"), inChannels: $0 == 0 ? inChannels : outChannels,
                              outChannels: outChannels, timeChannels: nil, groups: groups, eps: 1e-6)
        }
        upsample = addUpsample
            ? UpsampledConv2d(try Conv2d(w.scoped("upsamplers.0.conv"), inChannels: outChannels, outChannels: outChannels,
                                         kernel: 3, padding: 1))
            : nil
    }

    /// With `channelsLast`, `x` and the result are [N, H, W, C].
    func callAsFunction(_ x: Tensor, tiling: Tiling, channelsLast last: Bool = false) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h, tiling: tiling, channelsLast: last) }
        if let upsample { h = upsample(h, tiling: tiling, channelsLast: last) }
        return h
    }
}
