import TesseraTensor

/// Nearest-neighbour 2x upsampling followed by a 3x3, stride-1, padding-1 conv, computed
/// without the upsampled image: output pixel (2i + a, 2j + b) sees only 2x2 distinct input
/// pixels, so each of the four phases (a, b) is a 2x2 conv on the low-resolution input
/// whose taps are sums of the 3x3 taps. The four phases run as one 2x2 conv with 4x the
/// output channels over the input padded by one pixel (zeros, or wrapped under tiling, as
/// the upsampled image's padding would be), then `Ops.interleavePhases2x` places them.
/// That is 16 multiply-adds per input pixel and channel pair where the plain form takes 36.
/// Exact in real arithmetic; in floating point only the tap sums round differently.
public struct UpsampledConv2d: Sendable {
    /// Phase weights [4O, C, 2, 2]: phase 2a + b in rows (2a + b)O ..< (2a + b + 1)O.
    let weight: Tensor
    /// The conv's bias repeated once per phase [4O], when it has one.
    let bias: Tensor?

    /// Folds `conv` (3x3, stride 1, padding 1) into its four phase kernels.
    public init(_ conv: Conv2d) {
        let shape = conv.weight.shape
        precondition(shape.count == 4 && shape[2] == 3 && shape[3] == 3 && conv.stride == 1 && conv.padding == 1,
                     "UpsampledConv2d folds a 3x3 conv with stride 1 and padding 1, got \(shape)")
        let (o, c) = (shape[0], shape[1])
        // Tap k of the 3x3 kernel lands on low-resolution offset taps[phase][k] of the 2x2 one:
        // phase 0 reads rows (i - 1, i, i) of the input, phase 1 rows (i, i, i + 1).
        let taps = [[0, 1, 1], [0, 0, 1]]
        let folded = Tensor(shape: [4 * o, c, 2, 2], storage: TensorStorage(count: 16 * o * c, pool: nil))
        folded.data.initialize(repeating: 0, count: folded.count)
        let src = conv.weight.data
        for a in 0..<2 {
            for b in 0..<2 {
                for oc in 0..<o {
                    for ic in 0..<c {
                        let kernel = src + (oc * c + ic) * 9
                        let phase = folded.data + (((2 * a + b) * o + oc) * c + ic) * 4
                        for ky in 0..<3 {
                            for kx in 0..<3 { phase[taps[a][ky] * 2 + taps[b][kx]] += kernel[ky * 3 + kx] }
                        }
                    }
                }
            }
        }
        weight = folded
        bias = conv.bias.map { b in
            let repeated = Tensor(shape: [4 * o], storage: TensorStorage(count: 4 * o, pool: nil))
            for p in 0..<4 { (repeated.data + p * o).update(from: b.data, count: o) }
            return repeated
        }
    }

    /// `conv(upsampleNearest2x(x))`, wrapping around on the axes in `tiling`. With
    /// `channelsLast`, `x` is [N, H, W, C] and the result [N, 2H, 2W, O].
    public func callAsFunction(_ x: Tensor, tiling: Tiling = .none, channelsLast: Bool = false) -> Tensor {
        let options = Conv2dOptions(padding: (1, 1),
                                    paddingModeY: tiling.contains(.y) ? .circular : .zeros,
                                    paddingModeX: tiling.contains(.x) ? .circular : .zeros)
        let phases = Ops.conv2d(x, weight: weight, bias: bias, options: options, channelsLast: channelsLast)
        return Ops.interleavePhases2x(phases, channelsLast: channelsLast)
    }
}
