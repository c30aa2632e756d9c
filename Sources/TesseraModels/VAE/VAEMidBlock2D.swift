import TesseraTensor

/// diffusers' `UNetMidBlock2D` as the VAE uses it (one layer, no time embedding): resnet,
/// self-attention (unless `mid_block_add_attention` is false), resnet.
struct VAEMidBlock2D: Sendable {
    let resnet0, resnet1: ResnetBlock2D
    let attention: VAEAttentionBlock?

    /// Loads `resnets.0`, `attentions.0`, `resnets.1` under `w`.
    init(_ w: Weights, channels: Int, groups: Int, addAttention: Bool) throws {
        let eps: Float = 1e-6
        resnet0 = try ResnetBlock2D(w.scoped("resnets.0"), inChannels: channels, outChannels: channels,
                                    timeChannels: nil, groups: groups, eps: eps)
        attention = addAttention
            ? try VAEAttentionBlock(w.scoped("attentions.0"), channels: channels, groups: groups, eps: eps) : nil
        resnet1 = try ResnetBlock2D(w.scoped("resnets.1"), inChannels: channels, outChannels: channels,
                                    timeChannels: nil, groups: groups, eps: eps)
    }

    /// With `channelsLast`, `x` and the result are [N, H, W, C].
    func callAsFunction(_ x: Tensor, tiling: Tiling, channelsLast last: Bool = false) -> Tensor {
        var h = resnet0(x, tiling: tiling, channelsLast: last)
        if let attention { h = attention(h, channelsLast: last) }
        return resnet1(h, tiling: tiling, channelsLast: last)
    }
}
