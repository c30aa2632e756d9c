import TesseraTensor

/// diffusers' `FeedForward` with the GEGLU activation: `proj` to twice the inner width,
/// value * GELU(gate), then back down.
struct FeedForward: Sendable {
    let proj, out: Linear
    let inner: Int

    init(_ w: Weights, dim: Int, mult: Int = 4) throws {
        inner = dim * mult
        proj = try Linear(w.scoped("net.0.proj"), inFeatures: dim, outFeatures: inner * 2)
        out = try Linear(w.scoped("net.2"), inFeatures: inner, outFeatures: dim)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let h = proj(x)
        let rows = h.count / (2 * inner)
        let gated = Tensor(uninitialized: Array(x.shape.dropLast()) + [inner])
        for r in 0..<rows {
            let src = h.data + r * 2 * inner, dst = gated.data + r * inner
            (dst).update(from: src + inner, count: inner)
            Activation.gelu.apply(dst, count: inner)
            for i in 0..<inner { dst[i] *= src[i] }
        }
        return out(gated)
    }
}
