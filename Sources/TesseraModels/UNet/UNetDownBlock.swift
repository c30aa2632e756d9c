import TesseraTensor

/// `CrossAttnDownBlock2D` (resnet + transformer per layer) or `DownBlock2D` (resnets only),
/// with an optional stride-2 downsampler. Returns every intermediate state for the skips.
struct UNetDownBlock: Sendable {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let downsampler: Downsample2D?

    init(_ w: Weights, config c: UNet2DConditionConfig, index: Int, inChannels: Int, outChannels: Int,
         timeChannels: Int, crossAttention: Bool, addDownsample: Bool) throws {
        let layers = c.layersPerBlock.expanded(c.levels)![index]
        let heads = c.headsPerBlock[index]
        let depth = c.transformerLayersPerBlock.expanded(c.levels)![index]
        resnets = try (0..<layers).map {
            try ResnetBlock2D(w.scoped("resnets.\($0)"), inChannels: $0 == 0 ? inChannels : outChannels,
                              outChannels: outChannels, timeChannels: timeChannels, groups: c.normNumGroups, eps: c.normEps)
        }
        attentions = crossAttention ? try (0..<layers).map {
            try Transformer2DModel(w.scoped("attentions.\($0)"), channels: outChannels, heads: heads, layers: depth,
                                   contextDim: c.crossAttentionDim, groups: c.normNumGroups,
                                   linearProjection: c.useLinearProjection)
        } : []
        downsampler = addDownsample ? try Downsample2D(w.scoped("downsamplers.0"), channels: outChannels, padding: c.downsamplePadding) : nil
    }

    /// With `channelsLast`, `x`, the result and the states are [N, H, W, C].
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, tiling: Tiling, channelsLast last: Bool) -> (Tensor, [Tensor]) {
        var h = x
        var states: [Tensor] = []
        for (i, resnet) in resnets.enumerated() {
            h = resnet(h, timeEmbedding: temb, tiling: tiling, channelsLast: last)
            if !attentions.isEmpty { h = attentions[i](h, context: context, channelsLast: last) }
            states.append(h)
        }
        if let downsampler {
            h = downsampler(h, tiling: tiling, channelsLast: last)
            states.append(h)
        }
        return (h, states)
    }
}
