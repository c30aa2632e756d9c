import Foundation

/// Numerically stable softmax over contiguous rows.
enum Softmax {
    /// In-place softmax of each of `rows` rows of `cols` floats. Rows that are all
    /// `-inf` (fully masked) become zeros rather than NaN.
    static func rows(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEach(rows, costPerItem: cols * 4) { range in rowsSerial(p, rows: range, cols: cols) }
    }

    static func rowsSerial(_ p: UnsafeMutablePointer<Float>, rows: Range<Int>, cols: Int) {
        for r in rows {
            let row = p + r * cols
            var m = -Float.infinity
            for j in 0..<cols { m = max(m, row[j]) }
            if m == -.infinity { row.update(repeating: 0, count: cols); continue }
            for j in 0..<cols { row[j] -= m }
            VectorMath.exp(row, count: cols)
            var sum: Float = 0
            for j in 0..<cols { sum += row[j] }
            let inv = 1 / sum
            for j in 0..<cols { row[j] *= inv }
        }
    }
}

extension Ops {
    /// Softmax over the last dimension.
    public static func softmax(_ x: Tensor) -> Tensor {
        let out = x.copy()
        let cols = x.shape.last ?? 1
        Softmax.rows(out.data, rows: x.count / max(cols, 1), cols: cols)
        return out
    }
}
