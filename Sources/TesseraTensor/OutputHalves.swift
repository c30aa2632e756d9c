import Foundation

/// A convolution's weight [O, C, kh, kw] and bias [O] in two halves of output channels,
/// for `DNNLBackend`'s bf16 convolutions on small planes: bands of output rows make each
/// worker read all of the weights for a few pixels, halves of the outputs let each read
/// half of them. Made once per weight and held weakly, like `WinogradWeights`. With
/// `releasePlain`, the full weight's plain pages are released too and restored from the
/// halves when a backend needs them.
final class OutputHalves: @unchecked Sendable {
    static let shared = OutputHalves()

    /// The two halves of a weight and of its bias.
    struct Halves {
        let weights: [Tensor]
        let biases: [Tensor]?
    }

    private final class Entry {
        weak var source: TensorStorage?
        weak var biasSource: TensorStorage?
        let halves: Halves
        init(source: TensorStorage, bias: TensorStorage?, halves: Halves) {
            (self.source, biasSource, self.halves) = (source, bias, halves)
        }
    }

    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]

    /// `weight` (first dimension even) and `bias` as halves of their first dimension.
    func halves(_ weight: Tensor, bias: Tensor?, releasePlain: Bool) -> Halves {
        lock.lock()
        defer { lock.unlock() }
        let id = ObjectIdentifier(weight.storage)
        if let e = entries[id], e.source === weight.storage, e.biasSource === bias?.storage { return e.halves }
        entries = entries.filter { $0.value.source != nil }
        precondition(weight.rank >= 1 && weight.shape[0] % 2 == 0, "output halves need an even first dimension, got \(weight.shape)")
        DNNLWeightCache.shared.restorePlain(weight)  // a no-op unless another path released it
        let weights = Self.split(weight)
        let halves = Halves(weights: weights, biases: bias.map(Self.split))
        entries[id] = Entry(source: weight.storage, bias: bias?.storage, halves: halves)
        if releasePlain {
            DNNLWeightCache.shared.release(weight) { plain in
                for (i, half) in weights.enumerated() {
                    DNNLWeightCache.shared.restorePlain(half)
                    (plain + i * half.count).update(from: half.data, count: half.count)
                }
            }
        }
        return halves
    }

    /// `t`'s first and second halves along its first dimension, as two new heap tensors
    /// (like loaded weights, so that `DNNLWeightCache` may release their plain pages).
    private static func split(_ t: Tensor) -> [Tensor] {
        let half = t.shape[0] / 2
        return [t.heapCopy(rows: 0..<half), t.heapCopy(rows: half..<(2 * half))]
    }
}
