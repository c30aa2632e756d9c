import TesseraTensor

/// One pre-LayerNorm transformer layer of the CLIP text encoder.
struct CLIPEncoderLayer: Sendable {
    let norm1, norm2: LayerNorm
    let attention: CLIPAttention
    let mlp: CLIPMLP

    init(_ w: Weights, config c: CLIPTextConfig, activation: Activation) throws {
        norm1 = try LayerNorm(w.scoped("layer_norm1"), dim: c.hiddenSize, eps: c.layerNormEps)
        norm2 = try LayerNorm(w.scoped("layer_norm2"), dim: c.hiddenSize, eps: c.layerNormEps)
        attention = try CLIPAttention(w.scoped("self_attn"), dim: c.hiddenSize, heads: c.numAttentionHeads)
        mlp = try CLIPMLP(w.scoped("mlp"), dim: c.hiddenSize, hidden: c.intermediateSize, activation: activation)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let h = attention(norm1(x))
        Ops.addInPlace(h, x)
        let y = mlp(norm2(h))
        Ops.addInPlace(y, h)
        return y
    }
}
