import XCTest
@testable import TesseraTensor

/// Attention split into query-row blocks (the cache budget of `OpenBLASBackend`) must give
/// the same result as a plain per-element evaluation, for ragged last blocks and causal masks.
final class BlockedAttentionTests: XCTestCase {
    /// softmax(q kᵀ / sqrt(dh)) v per head, in Double, one element at a time.
    private func naive(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, causal: Bool) -> [Float] {
        let (b, lq, d, lk) = (q.shape[0], q.shape[1], q.shape[2], k.shape[1])
        let dh = d / heads
        var out = [Float](repeating: 0, count: b * lq * d)
        for n in 0..<b {
            for h in 0..<heads {
                for i in 0..<lq {
                    var s = [Double](repeating: -.infinity, count: lk)
                    for j in 0..<lk where !(causal && j > i) {
                        var acc = 0.0
                        for c in 0..<dh { acc += Double(q.data[(n * lq + i) * d + h * dh + c]) * Double(k.data[(n * lk + j) * d + h * dh + c]) }
                        s[j] = acc / Double(dh).squareRoot()
                    }
                    let m = s.max()!
                    let e = s.map { $0 == -.infinity ? 0 : Foundation.exp($0 - m) }
                    let z = e.reduce(0, +)
                    for c in 0..<dh {
                        var acc = 0.0
                        for j in 0..<lk { acc += e[j] / z * Double(v.data[(n * lk + j) * d + h * dh + c]) }
                        out[(n * lq + i) * d + h * dh + c] = Float(acc)
                    }
                }
            }
        }
        return out
    }

    private func random(_ shape: [Int], seed: Int) -> Tensor {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<n).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        })
    }

    func testBlocksMatchNaiveAttention() {
        let saved = OpenBLASBackend.attentionBlockFloats
        defer { OpenBLASBackend.attentionBlockFloats = saved }
        let backend = OpenBLASBackend()
        // (Lq, Lk, dim, heads, causal): self-attention, cross-attention with short keys, causal.
        for (lq, lk, dim, heads, causal) in [(100, 100, 16, 2, false), (77, 9, 12, 3, false), (50, 50, 8, 1, true)] {
            let q = random([2, lq, dim], seed: lq), k = random([2, lk, dim], seed: lk + 1), v = random([2, lk, dim], seed: lk + 2)
            let want = naive(q, k, v, heads: heads, causal: causal)
            // 16 rows per block (ragged last block), a few blocks, and one block per head.
            for budget in [1, 40 * lk, 1 << 19] {
                OpenBLASBackend.attentionBlockFloats = budget
                let blocks = OpenBLASBackend.queryBlocks(lq: lq, lk: lk, units: 2 * heads, workers: 2)
                let got = backend.attention(q: q, k: k, v: v, heads: heads, causal: causal)
                let err = zip(got.scalars, want).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(err, 1e-5, "Lq \(lq) Lk \(lk) causal \(causal) budget \(budget) (\(blocks) blocks)")
            }
            OpenBLASBackend.attentionBlockFloats = 1
            XCTAssertEqual(OpenBLASBackend.queryBlocks(lq: lq, lk: lk, units: 2 * heads, workers: 2), (lq + 15) / 16,
                           "a tiny budget still keeps 16 rows per block")
        }
    }
}
