import Foundation
import TesseraTensor

/// Nearest-neighbour 2x upsampling followed by a 3x3, stride-1, padding-1 conv, computed
/// without the upsampled image: output pixel (2i + a, 2j + b) sees only 2x2 distinct input
/// pixels, so each of the four phases (a, b) is a 2x2 conv on the low-resolution input
/// whose taps are sums of the 3x3 taps, over the input padded by one pixel (zeros, or
/// wrapped under tiling, as the upsampled image's padding would be). `Ops.upsampledConv2x`
/// runs them: by default as one 2x2 conv with 4x the output channels, then
/// `Ops.interleavePhases2x` places them; oneDNN runs each phase on its own pixels.
/// That is 16 multiply-adds per input pixel and channel pair where the plain form takes 36.
/// Exact in real arithmetic; in floating point only the tap sums round differently.
///
/// Only the phase weights are kept. A caller that needs the plain 3x3 conv (an upsampling
/// to an odd size, which is not a 2x one) gets it from `unfolded()`, rebuilt from them.
public struct UpsampledConv2d: Sendable {
    /// Phase weights [4O, C, 2, 2]: phase 2a + b in rows (2a + b)O ..< (2a + b + 1)O.
    let weight: Tensor
    /// The conv's bias repeated once per phase [4O], when it has one.
    let bias: Tensor?
    private let plain = UnfoldedConv()

    /// Folds `conv` (3x3, stride 1, padding 1) into its four phase kernels.
    public init(_ conv: Conv2d) {
        let shape = conv.weight.shape
        precondition(shape.count == 4 && shape[2] == 3 && shape[3] == 3 && conv.stride == 1 && conv.padding == 1,
                     "UpsampledConv2d folds a 3x3 conv with stride 1 and padding 1, got \(shape)")
        let (o, c) = (shape[0], shape[1])
        // Tap k of the 3x3 kernel lands on low-resolution offset taps[phase][k] of the 2x2 one:
        // phase 0 reads rows (i - 1, i, i) of the input, phase 1 rows (i, i, i + 1).
        let taps = [[0, 1, 1], [0, 0, 1]]
        conv.weight.restoreReleasedValues()  // a no-op for weights fresh from a file
        conv.bias?.restoreReleasedValues()
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

    /// The 3x3 conv these phases were folded from, rebuilt on first use and kept: corner
    /// taps are single phase taps, and each other tap is a phase tap less the taps it was
    /// summed with, so it can differ from the original by the rounding of that sum.
    public func unfolded() -> Conv2d {
        plain.conv {
            // The phases may have run on a oneDNN backend that released their plain copy.
            weight.restoreReleasedValues()
            bias?.restoreReleasedValues()
            let (o, c) = (weight.shape[0] / 4, weight.shape[1])
            let kernel = Tensor(shape: [o, c, 3, 3], storage: TensorStorage(count: 9 * o * c, pool: nil))
            let phases = weight.data
            // Along one axis, phase 0 holds (w0, w1 + w2) and phase 1 (w0 + w1, w2).
            for oc in 0..<o {
                for ic in 0..<c {
                    func tap(_ a: Int, _ b: Int, _ r: Int, _ s: Int) -> Float {
                        phases[(((2 * a + b) * o + oc) * c + ic) * 4 + 2 * r + s]
                    }
                    // Written straight into the kernel (dst[3 ky + kx]): no arrays per channel pair.
                    let dst = kernel.data + (oc * c + ic) * 9
                    // Rows first: for column tap pair (b, s), recover w0, w1, w2 along y.
                    func column(_ b: Int, _ s: Int, _ kx: Int) {
                        dst[kx] = tap(0, b, 0, s)
                        dst[6 + kx] = tap(1, b, 1, s)
                        dst[3 + kx] = tap(1, b, 0, s) - dst[kx]
                    }
                    column(0, 0, 0)
                    column(1, 1, 2)
                    // The middle column: phase b = 0's second column tap is w1 + w2 along x.
                    dst[1] = tap(0, 0, 0, 1) - dst[2]
                    dst[7] = tap(1, 0, 1, 1) - dst[8]
                    dst[4] = tap(1, 0, 0, 1) - dst[1] - dst[2] - dst[5]
                }
            }
            let b = bias.map { Tensor(shape: [o], values: Array(UnsafeBufferPointer(start: $0.data, count: o))) }
            return Conv2d(weight: kernel, bias: b, padding: 1)
        }
    }

    /// `conv(upsampleNearest2x(x))`, wrapping around on the axes in `tiling`. With
    /// `channelsLast`, `x` is [N, H, W, C] and the result [N, 2H, 2W, O]. Where the
    /// backend runs the plain conv with fewer multiplications than the phases take
    /// (`mixed`'s Winograd F(4x4, 3x3)), it upsamples and runs that instead.
    public func callAsFunction(_ x: Tensor, tiling: Tiling = .none, channelsLast: Bool = false) -> Tensor {
        let (h, w) = channelsLast ? (x.shape[1], x.shape[2]) : (x.shape[2], x.shape[3])
        if Compute.backend.conv3x3Multiplications(channels: weight.shape[1], outputs: weight.shape[0] / 4,
                                                  height: 2 * h, width: 2 * w) < 4 {
            let up = channelsLast ? Ops.upsampleNearest2xChannelsLast(x) : Ops.upsampleNearest2x(x)
            return unfolded()(up, tiling: tiling, channelsLast: channelsLast)
        }
        let options = Conv2dOptions(padding: (1, 1),
                                    paddingModeY: tiling.contains(.y) ? .circular : .zeros,
                                    paddingModeX: tiling.contains(.x) ? .circular : .zeros)
        return Ops.upsampledConv2x(x, phases: weight, bias: bias, options: options, channelsLast: channelsLast)
    }
}

/// The lazily rebuilt plain conv of an `UpsampledConv2d`, shared by its copies.
private final class UnfoldedConv: @unchecked Sendable {
    private let lock = NSLock()
    private var built: Conv2d?

    func conv(_ build: () -> Conv2d) -> Conv2d {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let conv = build()
        built = conv
        return conv
    }
}
