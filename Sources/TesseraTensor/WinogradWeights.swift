import Foundation

/// 3x3 convolution weights transformed for Winograd F(2x2, 3x3) (`WinogradConvolution`):
/// U = G g Gᵀ per output and input channel, stored fp32 as two halves [8, C, O] (one [C, O]
/// matrix per position of the 4x4 tile: positions 0 to 7, then 8 to 15, so that two
/// workers can each take one half of the products), once per weight tensor. oneDNN packs each to bf16
/// (`DNNLBatchedMatmul`), after which, with `releasePlain`, neither fp32 copy stays resident:
/// the transform is invertible (rows 0 and 3 of G are unit rows, rows 1 and 2 differ by
/// g1), so a backend that needs the plain values gets them back from the packed bf16 copy,
/// rounded as bf16 mode computed with them anyway.
final class WinogradWeights: @unchecked Sendable {
    static let shared = WinogradWeights()

    private final class Entry {
        weak var source: TensorStorage?
        let transformed: [Tensor]
        init(source: TensorStorage, transformed: [Tensor]) { self.source = source; self.transformed = transformed }
    }

    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]

    /// `weight` [O, C, 3, 3] as U in two halves [8, C, O], transformed on first request.
    /// With `releasePlain`, the plain weight's pages are handed back once it is transformed.
    func transformed(_ weight: Tensor, releasePlain: Bool) -> [Tensor] {
        lock.lock()
        defer { lock.unlock() }
        let id = ObjectIdentifier(weight.storage)
        if let e = entries[id], e.source === weight.storage { return e.transformed }
        entries = entries.filter { $0.value.source != nil }
        DNNLWeightCache.shared.restorePlain(weight)  // a no-op unless another path released it
        let u = Self.forward(weight)
        entries[id] = Entry(source: weight.storage, transformed: u)
        if releasePlain {
            DNNLWeightCache.shared.release(weight) { plain in
                for half in u { DNNLWeightCache.shared.restorePlain(half) }
                Self.inverse(u, into: plain)
            }
        }
        return u
    }

    /// U = G g Gᵀ with G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]]: rows 0 and 1 of
    /// the 4x4 U in the first half, rows 2 and 3 in the second.
    static func forward(_ weight: Tensor) -> [Tensor] {
        precondition(weight.rank == 4 && weight.shape[2] == 3 && weight.shape[3] == 3, "Winograd weights must be [O, C, 3, 3], got \(weight.shape)")
        let (oc, c) = (weight.shape[0], weight.shape[1])
        let u = [Tensor(uninitialized: [8, c, oc]), Tensor(uninitialized: [8, c, oc])]
        let g = UnsafePointer(weight.data), halves = (u[0].data, u[1].data)
        Parallel.forEach(oc, costPerItem: c * 64) { outputs in
            for o in outputs {
                for ci in 0..<c {
                    let k = g + (o * c + ci) * 9
                    // Rows: t = G g (4x3), then columns: U = t Gᵀ; `put` writes row i of U.
                    func put(_ i: Int, _ a: Float, _ b: Float, _ d: Float) {
                        let base = (i < 2 ? halves.0 : halves.1) + ((i % 2) * 4 * c + ci) * oc + o
                        base[0] = a
                        base[c * oc] = 0.5 * (a + b + d)
                        base[2 * c * oc] = 0.5 * (a - b + d)
                        base[3 * c * oc] = d
                    }
                    put(0, k[0], k[1], k[2])
                    put(1, 0.5 * (k[0] + k[3] + k[6]), 0.5 * (k[1] + k[4] + k[7]), 0.5 * (k[2] + k[5] + k[8]))
                    put(2, 0.5 * (k[0] - k[3] + k[6]), 0.5 * (k[1] - k[4] + k[7]), 0.5 * (k[2] - k[5] + k[8]))
                    put(3, k[6], k[7], k[8])
                }
            }
        }
        return u
    }

    /// g = L U Lᵀ with L = [[1, 0, 0, 0], [0, 1, -1, 0], [0, 0, 0, 1]], the left inverse of G,
    /// written as [O, C, 3, 3] into `plain` from U's two halves.
    static func inverse(_ u: [Tensor], into plain: UnsafeMutablePointer<Float>) {
        let (c, oc) = (u[0].shape[1], u[0].shape[2])
        let halves = (UnsafePointer(u[0].data), UnsafePointer(u[1].data))
        Parallel.forEach(oc, costPerItem: c * 32) { outputs in
            for o in outputs {
                for ci in 0..<c {
                    func at(_ i: Int, _ j: Int) -> Float { (i < 2 ? halves.0 : halves.1)[(((i % 2) * 4 + j) * c + ci) * oc + o] }
                    // Rows of L U (3x4), then columns: g = (L U) Lᵀ.
                    func row(_ i: Int) -> (Float, Float, Float, Float) {
                        switch i {
                        case 0: return (at(0, 0), at(0, 1), at(0, 2), at(0, 3))
                        case 1: return (at(1, 0) - at(2, 0), at(1, 1) - at(2, 1), at(1, 2) - at(2, 2), at(1, 3) - at(2, 3))
                        default: return (at(3, 0), at(3, 1), at(3, 2), at(3, 3))
                        }
                    }
                    let k = plain + (o * c + ci) * 9
                    for r in 0..<3 {
                        let v = row(r)
                        k[3 * r] = v.0; k[3 * r + 1] = v.1 - v.2; k[3 * r + 2] = v.3
                    }
                }
            }
        }
    }
}
