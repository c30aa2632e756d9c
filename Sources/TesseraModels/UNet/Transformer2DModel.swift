import TesseraTensor

/// diffusers' `Transformer2DModel` for continuous inputs: GroupNorm, projection in (1x1 conv
/// or linear), transformer blocks over the H*W tokens, projection out, residual.
struct Transformer2DModel: Sendable {
    let norm: GroupNorm
    let linearProjection: Bool
    let projInConv, projOutConv: Conv2d?
    let projInLinear, projOutLinear: Linear?
    let blocks: [BasicTransformerBlock]
    let inner: Int

    init(_ w: Weights, channels: Int, heads: Int, layers: Int, contextDim: Int, groups: Int, linearProjection: Bool) throws {
        let headDim = channels / heads
        inner = heads * headDim
        norm = try GroupNorm(w.scoped("norm"), groups: groups, channels: channels, eps: 1e-6)
        self.linearProjection = linearProjection
        if linearProjection {
            projInLinear = try Linear(w.scoped("proj_in"), inFeatures: channels, outFeatures: inner)
            projOutLinear = try Linear(w.scoped("proj_out"), inFeatures: inner, outFeatures: channels)
            projInConv = nil; projOutConv = nil
        } else {
            projInConv = try Conv2d(w.scoped("proj_in"), inChannels: channels, outChannels: inner, kernel: 1)
            projOutConv = try Conv2d(w.scoped("proj_out"), inChannels: inner, outChannels: channels, kernel: 1)
            projInLinear = nil; projOutLinear = nil
        }
        let dim = heads * headDim
        blocks = try (0..<layers).map {
            try BasicTransformerBlock(w.scoped("transformer_blocks.\($0)"), dim: dim, heads: heads, headDim: headDim, contextDim: contextDim)
        }
    }

    /// `x` [B, C, H, W] attends within itself and to `context`. With `channelsLast`, `x`
    /// and the result are [B, H, W, C]: already the token layout, so nothing is transposed.
    func callAsFunction(_ x: Tensor, context: Tensor, channelsLast last: Bool = false) -> Tensor {
        let shape = x.shape
        let (b, h, w) = last ? (shape[0], shape[1], shape[2]) : (shape[0], shape[2], shape[3])
        var t = norm(x, channelsLast: last)
        if let projInConv { t = projInConv(t, channelsLast: last) }
        // [B, H*W, C']
        var tokens = last ? t.reshaped([b, h * w, t.shape[3]]) : Ops.channelsLast(t)
        if let projInLinear { tokens = projInLinear(tokens) }
        for block in blocks { tokens = block(tokens, context: context) }
        if let projOutLinear { tokens = projOutLinear(tokens) }
        let c = tokens.shape[2]
        var y = last ? tokens.reshaped([b, h, w, c]) : Ops.channelsFirst(tokens, height: h, width: w)
        if let projOutConv { y = projOutConv(y, channelsLast: last) }
        precondition(y.shape == shape)
        Ops.addInPlace(y, x)
        return y
    }
}
