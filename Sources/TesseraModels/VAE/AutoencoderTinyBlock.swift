import TesseraTensor

/// diffusers' `AutoencoderTinyBlock`: conv-act-conv-act-conv plus a (1x1-projected when
/// widths differ) skip, then ReLU. The final ReLU is fixed, whatever `act_fn` is.
struct AutoencoderTinyBlock: Sendable {
    let conv0, conv2, conv4: Conv2d
    let skip: Conv2d?
    let activation: TinyActivation

    /// Loads `conv.0`, `conv.2`, `conv.4` (3x3, biased) and, when widths differ, `skip` (1x1, no bias).
    init(_ w: Weights, inChannels: Int, outChannels: Int, activation: TinyActivation) throws {
        conv0 = try Conv2d(w.scoped("conv.0"), inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1)
        conv2 = try Conv2d(w.scoped("conv.2"), inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
        conv4 = try Conv2d(w.scoped("conv.4"), inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
        skip = inChannels == outChannels ? nil
            : try Conv2d(w.scoped("skip"), inChannels: inChannels, outChannels: outChannels, kernel: 1, bias: false)
        self.activation = activation
    }

    /// The skip sum and the final ReLU are the last conv's epilogue, and with ReLU as
    /// `act_fn` (TAESD's) so are the inner activations: fused where the backend can.
    /// With `channelsLast`, `x` and the result are [N, H, W, C].
    func callAsFunction(_ x: Tensor, tiling: Tiling, channelsLast: Bool = false) -> Tensor {
        var h = activation.conv(conv0, x, tiling: tiling, channelsLast: channelsLast)
        h = activation.conv(conv2, h, tiling: tiling, channelsLast: channelsLast)
        let residual = skip.map { $0(x, channelsLast: channelsLast) } ?? x
        return conv4(h, tiling: tiling, epilogue: ConvEpilogue(residual: residual, relu: true), channelsLast: channelsLast)
    }
}
