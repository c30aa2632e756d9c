import Foundation

/// A convolution's weight [O, C, kh, kw] and bias [O] cut into equal parts of output
/// channels, for `DNNLBackend`'s convolutions that share one weight's outputs out: two
/// halves for bf16 convolutions on small planes (bands of output rows make each worker
/// read all of the weights for a few pixels, halves of the outputs let each read half of
/// them), and the four phases of an `UpsampledConv2d`'s folded weight. Made once per
/// weight and count, held weakly, like `WinogradWeights`. With `releasePlain`, the full
/// weight's plain pages are released too and restored from the parts when a backend
/// needs them.
final class OutputParts: @unchecked Sendable {
    static let shared = OutputParts()

    /// A weight's parts and its bias's, in order of output channels.
    struct Parts {
        let weights: [Tensor]
        let biases: [Tensor]?
    }

    private final class Entry {
        weak var source: TensorStorage?
        weak var biasSource: TensorStorage?
        let parts: Parts
        init(source: TensorStorage, bias: TensorStorage?, parts: Parts) {
            (self.source, biasSource, self.parts) = (source, bias, parts)
        }
    }

    private struct Key: Hashable {
        let storage: ObjectIdentifier
        let count: Int
    }

    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    /// `weight` (first dimension a multiple of `count`) and `bias` as `count` equal parts
    /// of their first dimension.
    func parts(_ weight: Tensor, bias: Tensor?, count: Int, releasePlain: Bool) -> Parts {
        lock.lock()
        defer { lock.unlock() }
        let key = Key(storage: ObjectIdentifier(weight.storage), count: count)
        if let e = entries[key], e.source === weight.storage, e.biasSource === bias?.storage { return e.parts }
        entries = entries.filter { $0.value.source != nil }
        precondition(count > 0 && weight.rank >= 1 && weight.shape[0] % count == 0,
                     "\(count) output parts need a first dimension that divides, got \(weight.shape)")
        DNNLWeightCache.shared.restorePlain(weight)  // a no-op unless another path released it
        let weights = Self.split(weight, count)
        let parts = Parts(weights: weights, biases: bias.map { Self.split($0, count) })
        entries[key] = Entry(source: weight.storage, bias: bias?.storage, parts: parts)
        if releasePlain {
            DNNLWeightCache.shared.release(weight) { plain in
                for (i, part) in weights.enumerated() {
                    DNNLWeightCache.shared.restorePlain(part)
                    (plain + i * part.count).update(from: part.data, count: part.count)
                }
            }
        }
        return parts
    }

    /// `t` cut along its first dimension into `count` new heap tensors (like loaded
    /// weights, so that `DNNLWeightCache` may release their plain pages).
    private static func split(_ t: Tensor, _ count: Int) -> [Tensor] {
        let rows = t.shape[0] / count
        return (0..<count).map { t.heapCopy(rows: ($0 * rows)..<(($0 + 1) * rows)) }
    }
}
