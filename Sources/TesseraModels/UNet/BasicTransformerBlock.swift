import TesseraTensor

/// diffusers' `BasicTransformerBlock` (layer_norm type): self-attention, cross-attention to
/// the text embeddings, GEGLU feed-forward, each pre-normed and residual.
struct BasicTransformerBlock: Sendable {
    let norm1, norm2, norm3: LayerNorm
    let selfAttention, crossAttention: Attention
    let feedForward: FeedForward

    init(_ w: Weights, dim: Int, heads: Int, headDim: Int, contextDim: Int) throws {
        norm1 = try LayerNorm(w.scoped("norm1"), dim: dim, eps: 1e-5)
        norm2 = try LayerNorm(w.scoped("norm2"), dim: dim, eps: 1e-5)
        norm3 = try LayerNorm(w.scoped("norm3"), dim: dim, eps: 1e-5)
        selfAttention = try Attention(w.scoped("attn1"), queryDim: dim, contextDim: nil, heads: heads, headDim: headDim, qkvBias: false)
        crossAttention = try Attention(w.scoped("attn2"), queryDim: dim, contextDim: contextDim, heads: heads, headDim: headDim, qkvBias: false)
        feedForward = try FeedForward(w.scoped("ff"), dim: dim)
    }

    /// `x` [B, L, dim], `context` [B, Lc, contextDim].
    func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        let a = selfAttention(norm1(x))
        Ops.addInPlace(a, x)
        let b = crossAttention(norm2(a), context: context)
        Ops.addInPlace(b, a)
        let c = feedForward(norm3(b))
        Ops.addInPlace(c, b)
        return c
    }
}
