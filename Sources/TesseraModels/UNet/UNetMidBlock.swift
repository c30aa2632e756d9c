import TesseraTensor

/// `UNetMidBlock2DCrossAttn`: resnet, transformer, resnet at the lowest resolution.
struct UNetMidBlock: Sendable {
    let first, second: ResnetBlock2D
    let attentions: [Transformer2DModel]

    init(_ w: Weights, config c: UNet2DConditionConfig, channels: Int, timeChannels: Int) throws {
        let scale = c.midBlockScaleFactor
        first = try ResnetBlock2D(w.scoped("resnets.0"), inChannels: channels, outChannels: channels,
                                  timeChannels: timeChannels, groups: c.normNumGroups, eps: c.normEps, outputScale: scale)
        second = try ResnetBlock2D(w.scoped("resnets.1"), inChannels: channels, outChannels: channels,
                                   timeChannels: timeChannels, groups: c.normNumGroups, eps: c.normEps, outputScale: scale)
        let last = c.levels - 1
        attentions = [try Transformer2DModel(w.scoped("attentions.0"), channels: channels, heads: c.headsPerBlock[last],
                                             layers: c.transformerLayersPerBlock.expanded(c.levels)![last],
                                             contextDim: c.crossAttentionDim, groups: c.normNumGroups,
                                             linearProjection: c.useLinearProjection)]
    }

    /// With `channelsLast`, `x` and the result are [N, H, W, C].
    func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor, tiling: Tiling, channelsLast last: Bool) -> Tensor {
        var h = first(x, timeEmbedding: temb, tiling: tiling, channelsLast: last)
        h = attentions[0](h, context: context, channelsLast: last)
        return second(h, timeEmbedding: temb, tiling: tiling, channelsLast: last)
    }
}
