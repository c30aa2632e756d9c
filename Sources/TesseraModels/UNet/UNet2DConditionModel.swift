import Foundation
import TesseraTensor

/// diffusers' `UNet2DConditionModel` for the SD 1.x/2.x family, fp32 inference.
public final class UNet2DConditionModel: @unchecked Sendable {
    /// The decoded `unet/config.json`.
    public let config: UNet2DConditionConfig
    let timeEmbedding: TimestepEmbedding
    let convIn, convOut: Conv2d
    let normOut: GroupNorm
    let downBlocks: [UNetDownBlock]
    let midBlock: UNetMidBlock?
    let upBlocks: [UNetUpBlock]

    /// Loads a `unet/` folder: `config.json` and `diffusion_pytorch_model.safetensors` (or sharded).
    public convenience init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try ConfigFile.load(UNet2DConditionConfig.self, from: configURL)
        try config.validate(path: configURL.path)
        try self.init(config: config, archive: SafeTensorsArchive(folder: folder, stems: ["diffusion_pytorch_model", "model"]))
    }

    /// Builds the network from a validated config and diffusers-named weights.
    public init(config c: UNet2DConditionConfig, archive: SafeTensorsArchive) throws {
        config = c
        let w = Weights(archive)
        let ch = c.blockOutChannels
        let timeDim = ch[0] * 4
        timeEmbedding = try TimestepEmbedding(w.scoped("time_embedding"), channels: ch[0], embedDim: timeDim,
                                              flipSinToCos: c.flipSinToCos, freqShift: c.freqShift, condDim: c.timeCondProjDim)
        convIn = try Conv2d(w.scoped("conv_in"), inChannels: c.inChannels, outChannels: ch[0], kernel: 3, padding: 1)
        var down: [UNetDownBlock] = []
        var output = ch[0]
        for i in 0..<c.levels {
            let input = output
            output = ch[i]
            down.append(try UNetDownBlock(w.scoped("down_blocks.\(i)"), config: c, index: i, inChannels: input,
                                          outChannels: output, timeChannels: timeDim,
                                          crossAttention: c.downBlockTypes[i] == "CrossAttnDownBlock2D",
                                          addDownsample: i != c.levels - 1))
        }
        downBlocks = down
        midBlock = c.midBlockType == nil ? nil
            : try UNetMidBlock(w.scoped("mid_block"), config: c, channels: ch[c.levels - 1], timeChannels: timeDim)
        let reversed = Array(ch.reversed())
        var up: [UNetUpBlock] = []
        var prev = reversed[0]
        for i in 0..<c.levels {
            let out = reversed[i]
            let skipIn = reversed[min(i + 1, c.levels - 1)]
            up.append(try UNetUpBlock(w.scoped("up_blocks.\(i)"), config: c, index: i, prevChannels: prev,
                                      outChannels: out, skipInChannels: skipIn, timeChannels: timeDim,
                                      crossAttention: c.upBlockTypes[i] == "CrossAttnUpBlock2D",
                                      addUpsample: i != c.levels - 1))
            prev = out
        }
        upBlocks = up
        normOut = try GroupNorm(w.scoped("conv_norm_out"), groups: c.normNumGroups, channels: ch[0], eps: c.normEps)
        convOut = try Conv2d(w.scoped("conv_out"), inChannels: ch[0], outChannels: c.outChannels, kernel: 3, padding: 1)
    }

    /// Predicts the model output (noise, v or sample, per the scheduler's prediction type).
    /// - Parameters:
    ///   - sample: latents [B, in_channels, h, w].
    ///   - timesteps: one timestep per batch item (or one for all).
    ///   - context: text embeddings [B, L, cross_attention_dim].
    ///   - timestepCondition: guidance embedding [B, time_cond_proj_dim] for LCM-distilled UNets.
    ///   - tiling: axes on which every padded conv wraps around.
    public func callAsFunction(_ sample: Tensor, timesteps: [Float], context: Tensor,
                               timestepCondition: Tensor? = nil, tiling: Tiling = .none) -> Tensor {
        let batch = sample.shape[0]
        precondition(sample.rank == 4 && sample.shape[1] == config.inChannels, "UNet sample must be [B, \(config.inChannels), h, w], got \(sample.shape)")
        precondition(context.rank == 3 && context.shape[0] == batch && context.shape[2] == config.crossAttentionDim,
                     "UNet context must be [\(batch), L, \(config.crossAttentionDim)], got \(context.shape)")
        let ts = timesteps.count == 1 ? Array(repeating: timesteps[0], count: batch) : timesteps
        precondition(ts.count == batch, "UNet: \(timesteps.count) timesteps for a batch of \(batch)")
        let temb = timeEmbedding(ts, condition: timestepCondition)
        // Channels-last between conv_in and conv_out where the backend's convolutions read and
        // write that layout: the transformers' tokens are then the activations themselves.
        let last = Compute.backend.prefersChannelsLast
        let (hAxis, wAxis) = last ? (1, 2) : (2, 3)

        var h = convIn(last ? Ops.toChannelsLast(sample) : sample, tiling: tiling, channelsLast: last)
        var skips: [Tensor] = [h]
        for block in downBlocks {
            let (out, states) = block(h, temb: temb, context: context, tiling: tiling, channelsLast: last)
            h = out
            skips += states
        }
        if let midBlock { h = midBlock(h, temb: temb, context: context, tiling: tiling, channelsLast: last) }
        for (i, block) in upBlocks.enumerated() {
            let n = block.skipCount
            let mine = Array(skips.suffix(n))
            skips.removeLast(n)
            // Upsample to the next skip's size so odd latent sizes round-trip as in diffusers.
            let size = (i < upBlocks.count - 1 && !skips.isEmpty) ? (skips.last!.shape[hAxis], skips.last!.shape[wAxis]) : nil
            h = block(h, skips: mine, temb: temb, context: context, upsampleSize: size, tiling: tiling, channelsLast: last)
        }
        let out = convOut(normOut(h, activation: .silu, channelsLast: last), tiling: tiling, channelsLast: last)
        return last ? Ops.toChannelsFirst(out) : out
    }
}
