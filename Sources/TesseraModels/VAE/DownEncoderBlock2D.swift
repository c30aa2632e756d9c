import TesseraTensor

/// diffusers' `DownEncoderBlock2D`: resnets, then (except in the last stage) `Downsample2D`
/// with `padding=0`, which zero-pads one row and column at the bottom/right and applies a
/// 3x3 stride-2 conv without padding. That pad is not a conv's padding, so it stays zeros
/// under tiling (as it does in diffusers with circular-patched convs).
struct DownEncoderBlock2D: Sendable {
    let resnets: [ResnetBlock2D]
    let downsample: Conv2d?

    /// Loads `resnets.<i>` and `downsamplers.0.conv` under `w`.
    init(_ w: Weights, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addDownsample: Bool) throws {
        resnets = try (0..<layers).map {
            try ResnetBlock2D(w.scoped("resnets.\($0)"), inChannels: $0 == 0 ? inChannels : outChannels,
                              outChannels: outChannels, timeChannels: nil, groups: groups, eps: 1e-6)
        }
        downsample = addDownsample
            ? try Conv2d(w.scoped("downsamplers.0.conv"), inChannels: outChannels, outChannels: outChannels,
                         kernel: 3, stride: 2, padding: 0)
            : nil
    }

    func callAsFunction(_ x: Tensor, tiling: Tiling) -> Tensor {
        var h = x
        for resnet in resnets { h = resnet(h, tiling: tiling) }
        if let downsample { h = downsample(Ops.padRightBottom(h)) }
        return h
    }
}
