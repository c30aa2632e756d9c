import TesseraTensor

/// `CrossAttnUpBlock2D` or `UpBlock2D`: each layer concatenates one skip state, runs a
/// resnet (and a transformer), then an optional nearest-2x upsampler.
struct UNetUpBlock: Sendable {
    let resnets: [ResnetBlock2D]
    let attentions: [Transformer2DModel]
    let upsampler: Upsample2D?

    /// `index` counts up blocks from the lowest resolution, as diffusers numbers them.
    init(_ w: Weights, config c: UNet2DConditionConfig, index: Int, prevChannels: Int, outChannels: Int,
         skipInChannels: Int, timeChannels: Int, crossAttention: Bool, addUpsample: Bool) throws {
        let level = c.levels - 1 - index
        let layers = c.layersPerBlock.expanded(c.levels)![level] + 1
        let heads = c.headsPerBlock[level]
        let depth = c.transformerLayersPerBlock.expanded(c.levels)![level]
        resnets = try (0..<layers).map { j in
            let skip = j == layers - 1 ? skipInChannels : outChannels
            let input = j == 0 ? prevChannels : outChannels
            return try ResnetBlock2D(w.scoped("resnets.\(j)"), inChannels: input + skip, outChannels: outChannels,
                                     timeChannels: timeChannels, groups: c.normNumGroups, eps: c.normEps)
        }
        attentions = crossAttention ? try (0..<layers).map {
            try Transformer2DModel(w.scoped("attentions.\($0)"), channels: outChannels, heads: heads, layers: depth,
                                   contextDim: c.crossAttentionDim, groups: c.normNumGroups,
                                   linearProjection: c.useLinearProjection)
        } : []
        upsampler = addUpsample ? try Upsample2D(w.scoped("upsamplers.0"), channels: outChannels) : nil
    }

    /// Number of skip states this block consumes.
    var skipCount: Int { resnets.count }

    /// `skips` are consumed last-first. `upsampleSize` is the next skip's spatial size.
    /// With `channelsLast`, `x`, the skips and the result are [N, H, W, C].
    func callAsFunction(_ x: Tensor, skips: [Tensor], temb: Tensor, context: Tensor,
                        upsampleSize: (Int, Int)?, tiling: Tiling, channelsLast last: Bool) -> Tensor {
        var h = x
        for (i, resnet) in resnets.enumerated() {
            let skip = skips[skips.count - 1 - i]
            let joined = last ? Ops.concatLast([h, skip]) : Ops.concatChannels([h, skip])
            h = resnet(joined, timeEmbedding: temb, tiling: tiling, channelsLast: last)
            if !attentions.isEmpty { h = attentions[i](h, context: context, channelsLast: last) }
        }
        if let upsampler { h = upsampler(h, size: upsampleSize, tiling: tiling, channelsLast: last) }
        return h
    }
}
