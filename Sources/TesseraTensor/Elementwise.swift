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
        let src = a.data, dst = out.data
        Parallel.forEach(a.count) { r in for i in r { dst[i] = src[i] * s + t } }
        return out
    }

    /// `a` [N, C, ...] plus `b` [C] broadcast over batch and spatial positions.
    public static func addPerChannel(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.count == a.shape[1], "addPerChannel: \(a.shape) + \(b.shape)")
        let (n, c) = (a.shape[0], a.shape[1])
        let spatial = a.count / max(n * c, 1)
        let out = Tensor(uninitialized: a.shape)
        Parallel.forEach(n * c, costPerItem: spatial) { planes in
            for p in planes {
                let v = b.data[p % c]
                let src = a.data + p * spatial, dst = out.data + p * spatial
                for i in 0..<spatial { dst[i] = src[i] + v }
            }
        }
        return out
    }

    /// `a` [N, C, ...] plus `b` [N, C] broadcast over the trailing positions (time embeddings).
    public static func addPerSample(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.shape == [a.shape[0], a.shape[1]], "addPerSample: \(a.shape) + \(b.shape)")
        let (n, c) = (a.shape[0], a.shape[1])
        let spatial = a.count / max(n * c, 1)
        let out = Tensor(uninitialized: a.shape)
        Parallel.forEach(n * c, costPerItem: spatial) { planes in
            for p in planes {
                let v = b.data[p]
                let src = a.data + p * spatial, dst = out.data + p * spatial
                for i in 0..<spatial { dst[i] = src[i] + v }
            }
        }
        return out
    }

    /// Channels-last `a` [N, ..., C] plus `b` [N, C] broadcast over the positions between.
    public static func addPerSampleChannelsLast(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank >= 2 && b.shape == [a.shape[0], a.shape[a.rank - 1]], "addPerSampleChannelsLast: \(a.shape) + \(b.shape)")
        let (n, c) = (a.shape[0], a.shape[a.rank - 1])
        let pixels = a.count / max(n * c, 1)
        let out = Tensor(uninitialized: a.shape)
        Parallel.forEach(n * pixels, costPerItem: c) { rows in
            for r in rows {
                let v = b.data + (r / pixels) * c
                let src = a.data + r * c, dst = out.data + r * c
                for i in 0..<c { dst[i] = src[i] + v[i] }
            }
        }
        return out
    }

    /// In-place `a += b` for equal shapes (residual connections without a new buffer).
    public static func addInPlace(_ a: Tensor, _ b: Tensor) {
        precondition(a.shape == b.shape, "addInPlace: \(a.shape) vs \(b.shape)")
        let dst = a.data, src = b.data
        Parallel.forEach(a.count) { r in for i in r { dst[i] += src[i] } }
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

    /// Concatenation along the last dimension (channels of channels-last tensors).
    public static func concatLast(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatLast of nothing")
        let lead = Array(parts[0].shape.dropLast())
        for p in parts {
            precondition(p.rank == lead.count + 1 && Array(p.shape.dropLast()) == lead, "concatLast: incompatible shapes \(parts.map(\.shape))")
        }
        let widths = parts.map { $0.shape[$0.rank - 1] }
        let total = widths.reduce(0, +)
        let rows = lead.reduce(1, *)
        let out = Tensor(uninitialized: lead + [total])
        Parallel.forEach(rows, costPerItem: total) { range in
            for r in range {
                var to = out.data + r * total
                for (p, width) in zip(parts, widths) {
                    to.update(from: p.data + r * width, count: width)
                    to += width
                }
            }
        }
        return out
    }

    @inline(__always)
    private static func binary(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape, "elementwise shapes differ: \(a.shape) vs \(b.shape)")
        let out = Tensor(uninitialized: a.shape)
        let x = a.data, y = b.data, dst = out.data
        Parallel.forEach(a.count) { r in for i in r { dst[i] = f(x[i], y[i]) } }
        return out
    }

    /// [N, C, H, W] to [N, H*W, C] (tokens for attention).
    public static func channelsLast(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "channelsLast expects [N,C,H,W]")
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let out = Tensor(uninitialized: [n, hw, c])
        for b in 0..<n { transpose(x.data + b * c * hw, rows: c, cols: hw, into: out.data + b * c * hw) }
        return out
    }

    /// [N, H*W, C] back to [N, C, H, W].
    public static func channelsFirst(_ x: Tensor, height: Int, width: Int) -> Tensor {
        precondition(x.rank == 3 && x.shape[1] == height * width, "channelsFirst: \(x.shape) vs \(height)x\(width)")
        let (n, hw, c) = (x.shape[0], x.shape[1], x.shape[2])
        let out = Tensor(uninitialized: [n, c, height, width])
        for b in 0..<n { transpose(x.data + b * c * hw, rows: hw, cols: c, into: out.data + b * c * hw) }
        return out
    }

    /// [N, C, H, W] to channels-last [N, H, W, C].
    public static func toChannelsLast(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "toChannelsLast expects [N,C,H,W], got \(x.shape)")
        return channelsLast(x).reshaped([x.shape[0], x.shape[2], x.shape[3], x.shape[1]])
    }

    /// Channels-last [N, H, W, C] back to [N, C, H, W].
    public static func toChannelsFirst(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "toChannelsFirst expects [N,H,W,C], got \(x.shape)")
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        return channelsFirst(x.reshaped([n, h * w, c]), height: h, width: w)
    }

    /// Channels `start ..< start + count` of [N, C, ...] (`torch.chunk` along dim 1).
    public static func sliceChannels(_ x: Tensor, start: Int, count: Int) -> Tensor {
        precondition(x.rank >= 2 && start >= 0 && start + count <= x.shape[1], "sliceChannels \(start)+\(count) of \(x.shape)")
        let (n, c) = (x.shape[0], x.shape[1])
        let inner = x.count / max(n * c, 1)
        var shape = x.shape
        shape[1] = count
        let out = Tensor(uninitialized: shape)
        for b in 0..<n {
            (out.data + b * count * inner).update(from: x.data + (b * c + start) * inner, count: count * inner)
        }
        return out
    }

    /// Concatenation along dimension 0 (the batch).
    public static func concatBatch(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "concatBatch of nothing")
        let tail = Array(parts[0].shape.dropFirst())
        for p in parts { precondition(Array(p.shape.dropFirst()) == tail, "concatBatch: \(parts.map(\.shape))") }
        let out = Tensor(uninitialized: [parts.reduce(0) { $0 + $1.shape[0] }] + tail)
        var offset = 0
        for p in parts {
            (out.data + offset).update(from: p.data, count: p.count)
            offset += p.count
        }
        return out
    }

    /// Batch items `start ..< start + count` of [B, ...].
    public static func sliceBatch(_ x: Tensor, start: Int, count: Int) -> Tensor {
        precondition(start >= 0 && count >= 0 && start + count <= x.shape[0], "sliceBatch \(start)+\(count) of \(x.shape)")
        let inner = x.count / max(x.shape[0], 1)
        let out = Tensor(uninitialized: [count] + Array(x.shape.dropFirst()))
        out.data.update(from: x.data + start * inner, count: count * inner)
        return out
    }

    /// Blocked transpose of a row-major `rows` x `cols` matrix.
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        let tile = 32
        let bands = (rows + tile - 1) / tile
        Parallel.forEach(bands, costPerItem: tile * cols) { range in
            for band in range {
                let r0 = band * tile, r1 = min(r0 + tile, rows)
                var c0 = 0
                while c0 < cols {
                    let c1 = min(c0 + tile, cols)
                    for r in r0..<r1 { for c in c0..<c1 { dst[c * rows + r] = src[r * cols + c] } }
                    c0 = c1
                }
            }
        }
    }

}

extension Tensor {
    /// Batch item `index` of a [B, ...] tensor, as a [1, ...] copy.
    public func slice(batch index: Int) -> Tensor {
        precondition(rank >= 1 && index >= 0 && index < shape[0], "slice(batch: \(index)) of \(shape)")
        var dims = shape
        dims[0] = 1
        let inner = count / shape[0]
        let out = Tensor(uninitialized: dims)
        out.data.update(from: data + index * inner, count: inner)
        return out
    }

    /// Batch items stacked along a new leading dimension (all of the same shape [1, ...] or [...]).
    public static func stack(batch parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "stack of nothing")
        let item = parts[0].shape.first == 1 ? Array(parts[0].shape.dropFirst()) : parts[0].shape
        let inner = item.reduce(1, *)
        let out = Tensor(uninitialized: [parts.count] + item)
        for (i, p) in parts.enumerated() {
            precondition(p.count == inner, "stack: \(p.shape) does not match \(item)")
            (out.data + i * inner).update(from: p.data, count: inner)
        }
        return out
    }

    /// Largest absolute elementwise difference from `other` (same shape), for parity checks.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "maxAbsDifference: \(shape) vs \(other.shape)")
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(data[i] - other.data[i])) }
        return m
    }

    /// Circular shift of the last two (spatial) axes, as `torch.roll(x, (dy, dx), (-2, -1))`.
    public func rolled(dy: Int, dx: Int) -> Tensor {
        precondition(rank >= 2, "rolled needs [..., H, W]")
        let h = shape[rank - 2], w = shape[rank - 1]
        let planes = count / max(h * w, 1)
        let out = Tensor(uninitialized: shape)
        for p in 0..<planes {
            let src = data + p * h * w, dst = out.data + p * h * w
            for y in 0..<h {
                let ty = ((y + dy) % h + h) % h
                for x in 0..<w { dst[ty * w + ((x + dx) % w + w) % w] = src[y * w + x] }
            }
        }
        return out
    }
}
