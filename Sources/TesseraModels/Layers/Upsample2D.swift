import TesseraTensor

/// diffusers' `Upsample2D` with a conv: nearest-neighbour upsampling (2x, or to an explicit
/// size when the matching skip connection is odd-sized), then a 3x3 conv. The 2x case runs
/// as `UpsampledConv2d`'s phase convolutions, without the upsampled image.
public struct Upsample2D: Sendable {
    let conv: UpsampledConv2d

    /// Loads `<prefix>.conv`.
    public init(_ w: Weights, channels: Int, outChannels: Int? = nil) throws {
        conv = UpsampledConv2d(try Conv2d(w.scoped("conv"), inChannels: channels, outChannels: outChannels ?? channels,
                                          kernel: 3, padding: 1))
    }

    /// Upsamples `x` to `size` (default twice its size) and convolves. With `channelsLast`,
    /// `x` and the result are [N, H, W, C].
    public func callAsFunction(_ x: Tensor, size: (Int, Int)? = nil, tiling: Tiling = .none,
                               channelsLast last: Bool = false) -> Tensor {
        let (h, w) = last ? (x.shape[1], x.shape[2]) : (x.shape[2], x.shape[3])
        if let size, size != (2 * h, 2 * w) {
            // An odd size: the padding then sees rows and columns a 2x upsampling would not have.
            let up = last ? Ops.upsampleNearestChannelsLast(x, height: size.0, width: size.1)
                : Ops.upsampleNearest(x, height: size.0, width: size.1)
            return conv.unfolded()(up, tiling: tiling, channelsLast: last)
        }
        return conv(x, tiling: tiling, channelsLast: last)
    }
}
