import Foundation

/// Attention without the softmax's max pass, where the scores are provably small.
///
/// softmax(s) = exp(s - c) / Σ exp(s - c) for any shift c; the max is subtracted only so
/// that exp cannot overflow. When every score of a block satisfies |s| ≤ `limit` (by
/// Cauchy–Schwarz, |q · k| ≤ |q| |k|, so the largest query norm times the largest key norm
/// bounds them all), exp(s) itself lies within [e^-60, e^60], normal in fp32 and bf16, and
/// a row of up to 10^12 of them sums without overflow. The QKᵀ matmul then applies exp as
/// a post-op and writes the probabilities' type (bf16 or fp32) directly, the PV product
/// runs on those unnormalised values, and each output row is divided by its row's sum:
/// the same values as the softmax up to rounding (in bf16 each probability is rounded
/// once either way), without the softmax kernel's passes over the score block (a third of
/// bf16 attention's time at 4,096 tokens, docs/BENCHMARKS.md). Unnormalised weights up
/// to e^60 also make PV's sums larger than the softmax's weighted means: a block takes
/// this path only when tokens x e^bound x the largest |v| stays under `largestSum`.
enum BoundedScores {
    /// Largest |score| bound taken without the max shift (exp(88) is the fp32 limit).
    static let limit: Float = 60
    /// Headroom for the bf16 rounding of Q and K (each norm grows by at most 2^-8).
    static let roundingMargin: Float = 1.01
    /// Largest unnormalised PV sum admitted, far below fp32's 3.4e38.
    static let largestSum: Float = 1e30

    /// The largest Euclidean norm among `rows` vectors of `count` floats, `stride` apart.
    static func maxNorm(_ p: UnsafePointer<Float>, rows: Int, stride: Int, count: Int) -> Float {
        var most: Float = 0
        for r in 0..<rows {
            let v = p + r * stride
            var s = VectorMath.V(repeating: 0)
            var i = 0
            while i + 8 <= count {
                let x = UnsafeRawPointer(v + i).loadUnaligned(as: VectorMath.V.self)
                s += x * x
                i += 8
            }
            var t = s.sum()
            while i < count { t += v[i] * v[i]; i += 1 }
            most = max(most, t)
        }
        return most.squareRoot()
    }

    /// The largest |x| among `rows` vectors of `count` floats, `stride` apart; NaN if any is.
    static func largestMagnitude(_ p: UnsafePointer<Float>, rows: Int, stride: Int, count: Int) -> Float {
        var most = VectorMath.V(repeating: 0)
        var tail: Float = 0
        var nan = false
        for r in 0..<rows {
            let v = p + r * stride
            var i = 0
            while i + 8 <= count {
                let x = UnsafeRawPointer(v + i).loadUnaligned(as: VectorMath.V.self)
                let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: VectorMath.V.self)
                most.replace(with: magnitude, where: magnitude .> most)
                nan = nan || any(x .!= x)
                i += 8
            }
            while i < count { tail = max(tail, abs(v[i])); nan = nan || v[i].isNaN; i += 1 }
        }
        return nan ? .nan : max(most.max(), tail)
    }

    /// Whether scores of queries with norms up to `query` against keys up to `key` (the
    /// query scale already applied) stay within `limit`, rounding included, and PV's sums
    /// over `tokens` values up to `largestValue` in magnitude stay under `largestSum`.
    /// NaN anywhere: no.
    static func allows(query: Float, key: Float, largestValue: Float = 0, tokens: Int = 1) -> Bool {
        let bound = query * key * roundingMargin
        guard bound <= limit else { return false }
        return Float(tokens) * Foundation.exp(bound) * largestValue <= largestSum
    }

    /// Divides each of `rows` output rows (`count` floats, `stride` apart) by the sum of
    /// its row of `cols` unnormalised bf16 probabilities.
    static func normalise(_ out: UnsafeMutablePointer<Float>, rows: Int, stride: Int, count: Int,
                          probabilities: UnsafePointer<UInt16>, cols: Int) {
        divide(out, rows: rows, stride: stride, count: count) { BFloat16.sum(probabilities + $0 * cols, count: cols) }
    }

    /// `normalise` for fp32 probabilities.
    static func normalise(_ out: UnsafeMutablePointer<Float>, rows: Int, stride: Int, count: Int,
                          probabilities: UnsafePointer<Float>, cols: Int) {
        divide(out, rows: rows, stride: stride, count: count) { VectorMath.sum(probabilities + $0 * cols, count: cols) }
    }

    private static func divide(_ out: UnsafeMutablePointer<Float>, rows: Int, stride: Int, count: Int, by rowSum: (Int) -> Float) {
        for r in 0..<rows { VectorMath.scale(out + r * stride, count: count, 1 / rowSum(r)) }
    }
}
