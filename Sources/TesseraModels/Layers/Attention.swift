import TesseraTensor

/// diffusers' `Attention` with the default processor: q/k/v projections, multi-head SDPA,
/// output projection (`to_out.0`). Self-attention when no context is given.
public struct Attention: Sendable {
    let toQ, toK, toV, toOut: Linear
    /// Number of heads.
    public let heads: Int

    /// Loads `to_q`, `to_k`, `to_v` (bias per `qkvBias`) and `to_out.0` (with bias).
    public init(_ w: Weights, queryDim: Int, contextDim: Int?, heads: Int, headDim: Int, qkvBias: Bool) throws {
        let inner = heads * headDim
        toQ = try Linear(w.scoped("to_q"), inFeatures: queryDim, outFeatures: inner, bias: qkvBias)
        toK = try Linear(w.scoped("to_k"), inFeatures: contextDim ?? queryDim, outFeatures: inner, bias: qkvBias)
        toV = try Linear(w.scoped("to_v"), inFeatures: contextDim ?? queryDim, outFeatures: inner, bias: qkvBias)
        toOut = try Linear(w.scoped("to_out.0"), inFeatures: inner, outFeatures: queryDim)
        self.heads = heads
    }

    /// `x` [B, L, queryDim] attends to `context` [B, Lk, contextDim] (or itself).
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil) -> Tensor {
        // Projections of the same input go together: the backend shares work on it.
        let qkv = context.map { [toQ(x)] + Ops.linears($0, [toK.parameters, toV.parameters]) }
            ?? Ops.linears(x, [toQ.parameters, toK.parameters, toV.parameters])
        return toOut(Ops.attention(q: qkv[0], k: qkv[1], v: qkv[2], heads: heads))
    }
}
