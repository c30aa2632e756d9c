import TesseraTensor

/// diffusers' `ResnetBlock2D` (time_embedding_norm "default", output_scale_factor 1):
/// GroupNorm-SiLU-conv, plus the projected time embedding, GroupNorm-SiLU-conv, plus a
/// (1x1-projected when widths differ) shortcut.
public struct ResnetBlock2D: Sendable {
    let norm1, norm2: GroupNorm
    let conv1, conv2: Conv2d
    let timeProjection: Linear?
    let shortcut: Conv2d?
    let outputScale: Float

    /// Loads a block under `w`. `timeChannels` nil means the block has no `time_emb_proj` (VAE).
    public init(_ w: Weights, inChannels: Int, outChannels: Int, timeChannels: Int?,
                groups: Int, eps: Float, outputScale: Float = 1) throws {
        norm1 = try GroupNorm(w.scoped("norm1"), groups: groups, channels: inChannels, eps: eps)
        conv1 = try Conv2d(w.scoped("conv1"), inChannels: inChannels, outChannels: outChannels, kernel: 3, padding: 1)
        norm2 = try GroupNorm(w.scoped("norm2"), groups: groups, channels: outChannels, eps: eps)
        conv2 = try Conv2d(w.scoped("conv2"), inChannels: outChannels, outChannels: outChannels, kernel: 3, padding: 1)
        timeProjection = try timeChannels.map {
            try Linear(w.scoped("time_emb_proj"), inFeatures: $0, outFeatures: outChannels)
        }
        shortcut = inChannels == outChannels ? nil
            : try Conv2d(w.scoped("conv_shortcut"), inChannels: inChannels, outChannels: outChannels, kernel: 1)
        self.outputScale = outputScale
    }

    /// `x` [N, C, H, W] (with `channelsLast`, [N, H, W, C], and so is the result);
    /// `timeEmbedding` [N, T] already passed through nothing (SiLU is applied here).
    public func callAsFunction(_ x: Tensor, timeEmbedding: Tensor? = nil, tiling: Tiling = .none,
                               channelsLast last: Bool = false) -> Tensor {
        var h = conv1(norm1(x, activation: .silu, channelsLast: last), tiling: tiling, channelsLast: last)
        if let timeProjection, let timeEmbedding {
            let t = timeProjection(Ops.activate(timeEmbedding, .silu))
            h = last ? Ops.addPerSampleChannelsLast(h, t) : Ops.addPerSample(h, t)
        }
        // The shortcut sum is conv2's epilogue (fused where the backend can).
        h = conv2(norm2(h, activation: .silu, channelsLast: last), tiling: tiling,
                  epilogue: ConvEpilogue(residual: shortcut.map { $0(x, channelsLast: last) } ?? x), channelsLast: last)
        if outputScale != 1 { return Ops.affine(h, scale: 1 / outputScale) }
        return h
    }
}
