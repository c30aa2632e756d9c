/// Elementwise arithmetic, broadcasting and concatenation.
extension Ops {
    /// `a + b` for equal shapes.
    public static func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        binary(a, b) { $0 + $1 }
    }

    /// `a * b` for equal shapes.
    public static func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
        binary(a, b) { $0 * $1 }
    }

    /// `a - b` for equal shapes.
    public static func sub(_ a: Tensor, _ b: Tensor) -> Tensor {
        binary(a, b) { $0 - $1 }
    }

    /// `a * s + t` for scalars.
    public static func affine(_ a: Tensor, scale s: Float, shift t: Float = 0) -> Tensor {
        let out = Tensor(uninitialized: a.shape)
        for i in 0..<a.count { out.data[i] = a.data[i] * s + t }
        return out
    }

    /// `a` [N, C, ...] plus `b` [C] broadcast over batch and spatial positions.
    public static func addPerChannel(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.count == a.shape[1], "addPerChannel: \(a.shape) + \(b.shape)")
        let (n, c) = (a.shape[0], a.shape[1])
        let spatial = a.count / max(n * c, 1)
        let out = Tensor(uninitialized: a.shape)
        for p in 0..<(n * c) {
            let v = b.data[p % c]
            let src = a.data + p * spatial, dst = out.data + p * spatial
            for i in 0..<spatial { dst[i] = src[i] + v }
        }
        return out
    }

    /// `a` [N, C, ...] plus `b` [N, C] broadcast over the trailing positions (time embeddings).
    public static func addPerSample(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.shape == [a.shape[0], a.shape[1]], "addPerSample: \(a.shape) + \(b.shape)")
        let (n, c) = (a.shape[0], a.shape[1])
        let spatial = a.count / max(n * c, 1)
        let out = Tensor(uninitialized: a.shape)
        for p in 0..<(n * c) {
            let v = b.data[p]
            let src = a.data + p * spatial, dst = out.data + p * spatial
            for i in 0..<spatial { dst[i] = src[i] + v }
        }
        return out
    }

    /// In-place `a += b` for equal shapes (residual connections without a new buffer).
    public static func addInPlace(_ a: Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "addInPlace: \(a.shape) vs \(b.shape)")
        for i in 0..<a.count { a.data[i] += b.data[i] }
    }

    /// Concatenation along dimension 1 (channels for NCHW, sequence for [B, L, D]).
    public static func concatChannels(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatChannels of nothing")
        let first = parts[0]
        precondition(first.rank >= 2, "concatChannels expects rank >= 2")
        let n = first.shape[0]
        let tail = Array(first.shape.dropFirst(2))
        for p in parts {
            precondition(p.rank == first.rank && p.shape[0] == n && Array(p.shape.dropFirst(2)) == tail,
                         "concatChannels: incompatible shapes \(parts.map(\.shape))")
        }
        let inner = tail.reduce(1, *)
        let total = parts.reduce(0) { $0 + $1.shape[1] }
        let out = Tensor(uninitialized: [n, total] + tail)
        var offset = 0
        for p in parts {
            let size = p.shape[1] * inner
            for b in 0..<n {
                (out.data + b * total * inner + offset).update(from: p.data + b * size, count: size)
            }
            offset += size
        }
        return out
    }

    @inline(__always)
    private static func binary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape, "elementwise shapes differ: \(a.shape) vs \(b.shape)")
        let out = Tensor(uninitialized: a.shape)
        for i in 0..<a.count { out.data[i] = f(a.data[i], b.data[i]) }
        return out
    }
}
