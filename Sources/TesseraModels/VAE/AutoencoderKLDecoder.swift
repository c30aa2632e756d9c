import TesseraTensor

/// diffusers' `Decoder` (GroupNorm variant): conv_in, mid block, `UpDecoderBlock2D` stages
/// over the widths in reverse with `layers_per_block + 1` resnets each, GroupNorm + SiLU,
/// conv_out to the image channels.
struct AutoencoderKLDecoder: Sendable {
    let convIn, convOut: Conv2d
    let midBlock: VAEMidBlock2D
    let upBlocks: [UpDecoderBlock2D]
    let normOut: GroupNorm

    /// Loads the tensors under `w` (the model's `decoder`).
    init(_ w: Weights, config: AutoencoderKLConfig) throws {
        let reversed = Array(config.blockOutChannels.reversed()), groups = config.normNumGroups
        convIn = try Conv2d(w.scoped("conv_in"), inChannels: config.latentChannels, outChannels: reversed[0],
                            kernel: 3, padding: 1)
        midBlock = try VAEMidBlock2D(w.scoped("mid_block"), channels: reversed[0], groups: groups,
                                     addAttention: config.midBlockAddAttention)
        upBlocks = try reversed.indices.map { i in
            try UpDecoderBlock2D(w.scoped("up_blocks.\(i)"), inChannels: i == 0 ? reversed[0] : reversed[i - 1],
                                 outChannels: reversed[i], layers: config.layersPerBlock + 1, groups: groups,
                                 addUpsample: i != reversed.count - 1)
        }
        normOut = try GroupNorm(w.scoped("conv_norm_out"), groups: groups, channels: reversed.last!, eps: 1e-6)
        convOut = try Conv2d(w.scoped("conv_out"), inChannels: reversed.last!, outChannels: config.outChannels,
                             kernel: 3, padding: 1)
    }

    /// Latents [N, latentChannels, h, w] to the image [N, outChannels, H, W]. Runs
    /// channels-last in between when the backend prefers it, like the UNet and TAESD.
    func callAsFunction(_ z: Tensor, tiling: Tiling) -> Tensor {
        let last = Compute.backend.prefersChannelsLast
        var h = convIn(last ? Ops.toChannelsLast(z) : z, tiling: tiling, channelsLast: last)
        h = midBlock(h, tiling: tiling, channelsLast: last)
        for block in upBlocks { h = block(h, tiling: tiling, channelsLast: last) }
        h = convOut(normOut(h, activation: .silu, channelsLast: last), tiling: tiling, channelsLast: last)
        return last ? Ops.toChannelsFirst(h) : h
    }
}
