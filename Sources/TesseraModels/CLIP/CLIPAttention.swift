import TesseraTensor

/// CLIP's multi-head self-attention: q/k/v projections, causal SDPA, output projection.
struct CLIPAttention: Sendable {
    let q, k, v, out: Linear
    let heads: Int

    init(_ w: Weights, dim: Int, heads: Int) throws {
        q = try Linear(w.scoped("q_proj"), inFeatures: dim, outFeatures: dim)
        k = try Linear(w.scoped("k_proj"), inFeatures: dim, outFeatures: dim)
        v = try Linear(w.scoped("v_proj"), inFeatures: dim, outFeatures: dim)
        out = try Linear(w.scoped("out_proj"), inFeatures: dim, outFeatures: dim)
        self.heads = heads
    }

    /// `x` [B, L, D] attends to itself; position i sees positions 0...i.
    func callAsFunction(_ x: Tensor) -> Tensor {
        out(Ops.attention(q: q(x), k: k(x), v: v(x), heads: heads, causal: true))
    }
}
