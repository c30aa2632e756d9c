import TesseraTensor

/// The VAE mid block's spatial self-attention: diffusers' `Attention` as `UNetMidBlock2D`
/// builds it (GroupNorm first, one head as wide as the channels, biased projections,
/// residual added, output scale 1).
///
/// Loads `to_q`/`to_k`/`to_v`/`to_out.0`, or, when `to_q` is absent, the names of diffusers'
/// old `AttentionBlock` (`query`/`key`/`value`/`proj_attn`) that some checkpoints still carry,
/// with weights stored either as [C, C] or as 1x1 convolutions [C, C, 1, 1].
struct VAEAttentionBlock: Sendable {
    let norm: GroupNorm
    let q, k, v, out: (weight: Tensor, bias: Tensor)

    init(_ w: Weights, channels: Int, groups: Int, eps: Float) throws {
        norm = try GroupNorm(w.scoped("group_norm"), groups: groups, channels: channels, eps: eps)
        let names: [String]
        if w.has("to_q.weight") {
            names = ["to_q", "to_k", "to_v", "to_out.0"]
        } else if w.has("query.weight") {
            names = ["query", "key", "value", "proj_attn"]
        } else {
            throw ModelError.tensorMissing(path: w.archive.url.path, tensor: w.fullName("to_q.weight"))
        }
        let p = try names.map { try Self.projection(w.scoped($0), channels: channels) }
        (q, k, v, out) = (p[0], p[1], p[2], p[3])
    }

    /// A C -> C projection's weight as [C, C] (accepting a 1x1 conv's [C, C, 1, 1]) and bias [C].
    static func projection(_ w: Weights, channels c: Int) throws -> (weight: Tensor, bias: Tensor) {
        let name = w.fullName("weight")
        guard w.has("weight") else { throw ModelError.tensorMissing(path: w.archive.url.path, tensor: name) }
        let weight = try w.archive.tensor(name)
        guard weight.shape == [c, c] || weight.shape == [c, c, 1, 1] else {
            throw ModelError.shapeMismatch(path: w.archive.url.path, tensor: name, expected: [c, c], actual: weight.shape)
        }
        return (weight.reshaped([c, c]), try w.tensor("bias", shape: [c]))
    }

    /// `x` [N, C, H, W] plus attention over its H*W positions. With `channelsLast`, `x`
    /// and the result are [N, H, W, C], which are the tokens already.
    func callAsFunction(_ x: Tensor, channelsLast last: Bool = false) -> Tensor {
        let (n, h, w, c) = last ? (x.shape[0], x.shape[1], x.shape[2], x.shape[3]) : (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
        let normed = norm(x, channelsLast: last)
        let tokens = last ? normed.reshaped([n, h * w, c]) : Ops.channelsLast(normed)
        let attended = Ops.attention(q: Ops.linear(tokens, weight: q.weight, bias: q.bias),
                                     k: Ops.linear(tokens, weight: k.weight, bias: k.bias),
                                     v: Ops.linear(tokens, weight: v.weight, bias: v.bias), heads: 1)
        let projected = Ops.linear(attended, weight: out.weight, bias: out.bias)
        let y = last ? projected.reshaped([n, h, w, c]) : Ops.channelsFirst(projected, height: h, width: w)
        Ops.addInPlace(y, x)
        return y
    }
}
