import Foundation

/// `unet/config.json` of diffusers' `UNet2DConditionModel`, SD 1.x/2.x family.
/// Keys Tessera does not implement are rejected by `validate`, naming the key.
public struct UNet2DConditionConfig: Decodable, Sendable {
    /// Latent channels in and out.
    public var inChannels = 4, outChannels = 4
    /// Whether sinusoidal embeddings put cosines first.
    public var flipSinToCos = true
    /// Frequency shift of the sinusoidal timestep embedding.
    public var freqShift = 0
    /// Down, mid and up block class names.
    public var downBlockTypes: [String] = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
    public var midBlockType: String? = "UNetMidBlock2DCrossAttn"
    public var upBlockTypes: [String] = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    /// Channels per resolution level.
    public var blockOutChannels = [320, 640, 1280, 1280]
    /// Resnet layers per down block (up blocks have one more).
    public var layersPerBlock: PerBlockInt = .uniform(2)
    /// Padding of the downsampling convs.
    public var downsamplePadding = 1
    /// Scale of the mid block's resnet outputs.
    public var midBlockScaleFactor: Float = 1
    /// Activation of the time embedding and output.
    public var actFn = "silu"
    /// GroupNorm groups and epsilon in resnets and output norm.
    public var normNumGroups = 32
    public var normEps: Float = 1e-5
    /// Width of the text embeddings cross-attended to.
    public var crossAttentionDim = 1280
    /// Transformer layers per attention block.
    public var transformerLayersPerBlock: PerBlockInt = .uniform(1)
    /// Heads per block: diffusers reads `num_attention_heads`, else (legacy naming) `attention_head_dim`.
    public var attentionHeadDim: PerBlockInt = .uniform(8)
    public var numAttentionHeads: PerBlockInt?
    /// Linear (SD2) or 1x1-conv (SD1) projections around the transformer blocks.
    public var useLinearProjection = false
    /// Width of an optional guidance embedding added to the time embedding (LCM-distilled UNets).
    public var timeCondProjDim: Int?
    /// Options Tessera rejects when set to anything but their defaults.
    public var onlyCrossAttention: Bool = false
    public var dualCrossAttention = false
    public var classEmbedType: String?
    public var addictionEmbedType: String?
    public var encoderHidDim: Int?
    public var resnetTimeScaleShift = "default"
    public var timeEmbeddingType = "positional"
    public var timeEmbeddingDim: Int?
    public var timestepPostAct: String?
    public var convInKernel = 3, convOutKernel = 3
    public var centerInputSample = false
    public var attentionType = "default"
    public var numClassEmbeds: Int?

    private enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels", flipSinToCos = "flip_sin_to_cos"
        case freqShift = "freq_shift", downBlockTypes = "down_block_types", midBlockType = "mid_block_type"
        case upBlockTypes = "up_block_types", blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block", downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor", actFn = "act_fn", normNumGroups = "norm_num_groups"
        case normEps = "norm_eps", crossAttentionDim = "cross_attention_dim"
        case transformerLayersPerBlock = "transformer_layers_per_block", attentionHeadDim = "attention_head_dim"
        case numAttentionHeads = "num_attention_heads", useLinearProjection = "use_linear_projection"
        case timeCondProjDim = "time_cond_proj_dim", onlyCrossAttention = "only_cross_attention"
        case dualCrossAttention = "dual_cross_attention", classEmbedType = "class_embed_type"
        case addictionEmbedType = "addition_embed_type", encoderHidDim = "encoder_hid_dim"
        case resnetTimeScaleShift = "resnet_time_scale_shift", timeEmbeddingType = "time_embedding_type"
        case timeEmbeddingDim = "time_embedding_dim", timestepPostAct = "timestep_post_act"
        case convInKernel = "conv_in_kernel", convOutKernel = "conv_out_kernel"
        case centerInputSample = "center_input_sample", attentionType = "attention_type"
        case numClassEmbeds = "num_class_embeds"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        inChannels = try get(.inChannels, inChannels)
        outChannels = try get(.outChannels, outChannels)
        flipSinToCos = try get(.flipSinToCos, flipSinToCos)
        freqShift = try get(.freqShift, freqShift)
        downBlockTypes = try get(.downBlockTypes, downBlockTypes)
        if c.contains(.midBlockType) { midBlockType = try c.decodeIfPresent(String.self, forKey: .midBlockType) }
        upBlockTypes = try get(.upBlockTypes, upBlockTypes)
        blockOutChannels = try get(.blockOutChannels, blockOutChannels)
        layersPerBlock = try get(.layersPerBlock, layersPerBlock)
        downsamplePadding = try get(.downsamplePadding, downsamplePadding)
        midBlockScaleFactor = try get(.midBlockScaleFactor, midBlockScaleFactor)
        actFn = try get(.actFn, actFn)
        normNumGroups = try get(.normNumGroups, normNumGroups)
        normEps = try get(.normEps, normEps)
        crossAttentionDim = try get(.crossAttentionDim, crossAttentionDim)
        transformerLayersPerBlock = try get(.transformerLayersPerBlock, transformerLayersPerBlock)
        attentionHeadDim = try get(.attentionHeadDim, attentionHeadDim)
        numAttentionHeads = try c.decodeIfPresent(PerBlockInt.self, forKey: .numAttentionHeads)
        useLinearProjection = try get(.useLinearProjection, useLinearProjection)
        timeCondProjDim = try c.decodeIfPresent(Int.self, forKey: .timeCondProjDim)
        // only_cross_attention may be a bool or a per-block list; any true value is unsupported.
        if let b = try? c.decodeIfPresent(Bool.self, forKey: .onlyCrossAttention) { onlyCrossAttention = b }
        else if let list = try? c.decodeIfPresent([Bool].self, forKey: .onlyCrossAttention) { onlyCrossAttention = list.contains(true) }
        dualCrossAttention = try get(.dualCrossAttention, dualCrossAttention)
        classEmbedType = try c.decodeIfPresent(String.self, forKey: .classEmbedType)
        addictionEmbedType = try c.decodeIfPresent(String.self, forKey: .addictionEmbedType)
        encoderHidDim = try c.decodeIfPresent(Int.self, forKey: .encoderHidDim)
        resnetTimeScaleShift = try get(.resnetTimeScaleShift, resnetTimeScaleShift)
        timeEmbeddingType = try get(.timeEmbeddingType, timeEmbeddingType)
        timeEmbeddingDim = try c.decodeIfPresent(Int.self, forKey: .timeEmbeddingDim)
        timestepPostAct = try c.decodeIfPresent(String.self, forKey: .timestepPostAct)
        convInKernel = try get(.convInKernel, convInKernel)
        convOutKernel = try get(.convOutKernel, convOutKernel)
        centerInputSample = try get(.centerInputSample, centerInputSample)
        attentionType = try get(.attentionType, attentionType)
        numClassEmbeds = try c.decodeIfPresent(Int.self, forKey: .numClassEmbeds)
    }

    /// Number of resolution levels.
    public var levels: Int { blockOutChannels.count }

    /// Attention heads per down block (diffusers' legacy reading of `attention_head_dim`).
    public var headsPerBlock: [Int] {
        (numAttentionHeads ?? attentionHeadDim).expanded(levels) ?? []
    }

    /// Checks the config describes a UNet Tessera can build; throws naming the key otherwise.
    public func validate(path: String) throws {
        func need(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw ModelError.badConfig(path: path, key: key, reason: why) }
        }
        func unsupported(_ key: String, _ value: Any) -> ModelError {
            .unsupported(path: path, what: "\(key) = \(value)")
        }
        try need(levels > 0, "block_out_channels", "must not be empty")
        try need(downBlockTypes.count == levels, "down_block_types", "needs \(levels) entries, one per block_out_channels")
        try need(upBlockTypes.count == levels, "up_block_types", "needs \(levels) entries, one per block_out_channels")
        for t in downBlockTypes where t != "CrossAttnDownBlock2D" && t != "DownBlock2D" { throw unsupported("down_block_types", t) }
        for t in upBlockTypes where t != "CrossAttnUpBlock2D" && t != "UpBlock2D" { throw unsupported("up_block_types", t) }
        if let m = midBlockType, m != "UNetMidBlock2DCrossAttn" { throw unsupported("mid_block_type", m) }
        try need(layersPerBlock.expanded(levels) != nil, "layers_per_block", "list length must equal the number of blocks")
        try need(transformerLayersPerBlock.expanded(levels) != nil, "transformer_layers_per_block", "list length must equal the number of blocks")
        try need(headsPerBlock.count == levels, "attention_head_dim", "list length must equal the number of blocks")
        for (ch, heads) in zip(blockOutChannels, headsPerBlock) {
            try need(heads > 0 && ch % heads == 0, "attention_head_dim", "\(heads) heads do not divide \(ch) channels")
        }
        for ch in blockOutChannels { try need(ch % normNumGroups == 0, "norm_num_groups", "\(normNumGroups) does not divide \(ch)") }
        try need(blockOutChannels[0] % 2 == 0, "block_out_channels", "first entry must be even for the timestep embedding")
        if onlyCrossAttention { throw unsupported("only_cross_attention", true) }
        if dualCrossAttention { throw unsupported("dual_cross_attention", true) }
        if let v = classEmbedType { throw unsupported("class_embed_type", v) }
        if let v = numClassEmbeds { throw unsupported("num_class_embeds", v) }
        if let v = addictionEmbedType { throw unsupported("addition_embed_type", v) }
        if let v = encoderHidDim { throw unsupported("encoder_hid_dim", v) }
        if resnetTimeScaleShift != "default" { throw unsupported("resnet_time_scale_shift", resnetTimeScaleShift) }
        if timeEmbeddingType != "positional" { throw unsupported("time_embedding_type", timeEmbeddingType) }
        if let v = timeEmbeddingDim { throw unsupported("time_embedding_dim", v) }
        if let v = timestepPostAct { throw unsupported("timestep_post_act", v) }
        if convInKernel != 3 { throw unsupported("conv_in_kernel", convInKernel) }
        if convOutKernel != 3 { throw unsupported("conv_out_kernel", convOutKernel) }
        if centerInputSample { throw unsupported("center_input_sample", true) }
        if attentionType != "default" { throw unsupported("attention_type", attentionType) }
        if actFn != "silu" && actFn != "swish" { throw unsupported("act_fn", actFn) }
    }
}
