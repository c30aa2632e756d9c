import TesseraTensor

/// Data-movement helpers the VAEs need and `Ops` does not (yet) offer: layout changes
/// between images and token sequences, the KL downsampler's one-sided zero pad, and a
/// channel slice. Pure copies, no arithmetic; candidates to move into `TesseraTensor`.
enum VAETensorOps {
    /// [N, C, H, W] as a token sequence [N, H*W, C] (attention over spatial positions).
    static func tokens(fromImage x: Tensor) -> Tensor {
        precondition(x.rank == 4, "tokens(fromImage:) expects [N,C,H,W], got \(x.shape)")
        let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let out = Tensor(uninitialized: [n, l, c])
        for b in 0..<n {
            let src = x.data + b * c * l, dst = out.data + b * l * c
            for ch in 0..<c {
                let plane = src + ch * l
                for p in 0..<l { dst[p * c + ch] = plane[p] }
            }
        }
        return out
    }

    /// A token sequence [N, H*W, C] back as an image [N, C, H, W].
    static func image(fromTokens t: Tensor, height: Int, width: Int) -> Tensor {
        precondition(t.rank == 3 && t.shape[1] == height * width, "image(fromTokens:) got \(t.shape) for \(height)x\(width)")
        let (n, l, c) = (t.shape[0], t.shape[1], t.shape[2])
        let out = Tensor(uninitialized: [n, c, height, width])
        for b in 0..<n {
            let src = t.data + b * l * c, dst = out.data + b * c * l
            for ch in 0..<c {
                let plane = dst + ch * l
                for p in 0..<l { plane[p] = src[p * c + ch] }
            }
        }
        return out
    }

    /// [N, C, H, W] with one zero row appended at the bottom and one zero column at the
    /// right: `F.pad(x, (0, 1, 0, 1))`, as diffusers' `Downsample2D` does when `padding == 0`.
    static func padBottomRight(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "padBottomRight expects [N,C,H,W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(uninitialized: [n, c, h + 1, w + 1])
        for p in 0..<(n * c) {
            let src = x.data + p * h * w, dst = out.data + p * (h + 1) * (w + 1)
            for y in 0..<h {
                (dst + y * (w + 1)).update(from: src + y * w, count: w)
                dst[y * (w + 1) + w] = 0
            }
            (dst + h * (w + 1)).update(repeating: 0, count: w + 1)
        }
        return out
    }

    /// Channels `start ..< start + count` of [N, C, ...] (`torch.chunk` along dim 1).
    static func channels(_ x: Tensor, start: Int, count: Int) -> Tensor {
        precondition(x.rank >= 2 && start >= 0 && start + count <= x.shape[1], "channels \(start)+\(count) of \(x.shape)")
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
}
