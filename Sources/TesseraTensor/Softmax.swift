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
            let m = VectorMath.max(row, count: cols)
            if m == -.infinity { row.update(repeating: 0, count: cols); continue }
            VectorMath.map(row, count: cols) { VectorMath.exp($0 - m) }
            VectorMath.scale(row, count: cols, 1 / VectorMath.sum(row, count: cols))
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
