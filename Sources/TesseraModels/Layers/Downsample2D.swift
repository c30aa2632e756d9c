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

    /// Downsamples `x` [N, C, H, W] (with `channelsLast`, [N, H, W, C], and so is the result).
    public func callAsFunction(_ x: Tensor, tiling: Tiling = .none, channelsLast: Bool = false) -> Tensor {
        if conv.padding == 0 {
            // The asymmetric pad is explicit in diffusers (F.pad), so it is never circular.
            // Only the KL encoder pads this way, so channels-last input takes the long way round.
            if channelsLast { return Ops.toChannelsLast(conv(Ops.padRightBottom(Ops.toChannelsFirst(x)))) }
            return conv(Ops.padRightBottom(x))
        }
        return conv(x, tiling: tiling, channelsLast: channelsLast)
    }
}
