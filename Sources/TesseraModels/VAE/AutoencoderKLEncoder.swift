import TesseraTensor

/// diffusers' `Encoder` (with `double_z`): conv_in, `DownEncoderBlock2D` stages, mid block,
/// GroupNorm + SiLU, conv_out to twice the latent channels (mean and log-variance).
struct AutoencoderKLEncoder: Sendable {
    let convIn, convOut: Conv2d
    let downBlocks: [DownEncoderBlock2D]
    let midBlock: VAEMidBlock2D
    let normOut: GroupNorm

    /// Loads the tensors under `w` (the model's `encoder`).
    init(_ w: Weights, config: AutoencoderKLConfig) throws {
        let widths = config.blockOutChannels, groups = config.normNumGroups
        convIn = try Conv2d(w.scoped("conv_in"), inChannels: config.inChannels, outChannels: widths[0], kernel: 3, padding: 1)
        downBlocks = try widths.indices.map { i in
            try DownEncoderBlock2D(w.scoped("down_blocks.\(i)"), inChannels: i == 0 ? widths[0] : widths[i - 1],
                                   outChannels: widths[i], layers: config.layersPerBlock, groups: groups,
                                   addDownsample: i != widths.count - 1)
        }
        midBlock = try VAEMidBlock2D(w.scoped("mid_block"), channels: widths.last!, groups: groups,
                                     addAttention: config.midBlockAddAttention)
        normOut = try GroupNorm(w.scoped("conv_norm_out"), groups: groups, channels: widths.last!, eps: 1e-6)
        convOut = try Conv2d(w.scoped("conv_out"), inChannels: widths.last!, outChannels: 2 * config.latentChannels,
                             kernel: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor, tiling: Tiling) -> Tensor {
        var h = convIn(x, tiling: tiling)
        for block in downBlocks { h = block(h, tiling: tiling) }
        h = midBlock(h, tiling: tiling)
        return convOut(normOut(h, activation: .silu), tiling: tiling)
    }
}
