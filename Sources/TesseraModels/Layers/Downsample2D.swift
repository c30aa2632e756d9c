import TesseraTensor

/// diffusers' `Downsample2D` with a conv: 3x3, stride 2, padding `padding` (1 in UNets).
/// With padding 0 (the KL encoder), diffusers first zero-pads right and bottom by one.
public struct Downsample2D: Sendable {
    let conv: Conv2d

    /// Loads `<prefix>.conv`.
    public init(_ w: Weights, channels: Int, outChannels: Int? = nil, padding: Int = 1) throws {
        conv = try Conv2d(w.scoped("conv"), inChannels: channels, outChannels: outChannels ?? channels,
                          kernel: 3, stride: 2, padding: padding)
    }

    public func callAsFunction(_ x: Tensor, tiling: Tiling = .none) -> Tensor {
        if conv.padding == 0 {
            // The asymmetric pad is explicit in diffusers (F.pad), so it is never circular.
            return conv(Ops.padRightBottom(x))
        }
        return conv(x, tiling: tiling)
    }
}
