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
        // erf dominates: spread the rows over the cores.
        Parallel.forEach(rows, costPerItem: inner * 16) { range in
            for r in range {
                let src = h.data + r * 2 * inner, dst = gated.data + r * inner
                VectorMath.geglu(value: src, gate: src + inner, into: dst, count: inner)
            }
        }
        return out(gated)
    }
}
