import Foundation

/// `config.json` of diffusers' `AutoencoderKL` (the SD 1.x/2.x/XL VAE).
///
/// The keys that lay out the network (`block_out_channels`, `layers_per_block`,
/// `latent_channels`) are required: diffusers writes every key, and its defaults for these
/// describe no released model. The rest take diffusers' defaults. Unknown keys are ignored.
public struct AutoencoderKLConfig: Decodable, Sendable, Equatable {
    /// Image channels in (`in_channels`).
    public var inChannels: Int = 3
    /// Image channels out (`out_channels`).
    public var outChannels: Int = 3
    /// Encoder stage types (`down_block_types`); only "DownEncoderBlock2D". Absent: one per width.
    public var downBlockTypes: [String]
    /// Decoder stage types (`up_block_types`); only "UpDecoderBlock2D". Absent: one per width.
    public var upBlockTypes: [String]
    /// Width of each encoder stage; the decoder runs them in reverse (`block_out_channels`, required).
    public var blockOutChannels: [Int]
    /// Resnets per encoder stage; decoder stages have one more (`layers_per_block`, required).
    public var layersPerBlock: Int
    /// Activation (`act_fn`); only "silu"/"swish", which is what every released VAE uses.
    public var actFn: String = "silu"
    /// Latent channels (`latent_channels`, required).
    public var latentChannels: Int
    /// GroupNorm groups everywhere (`norm_num_groups`).
    public var normNumGroups: Int = 32
    /// Latent scale the UNet works in: `unet = raw * scaling_factor` (`scaling_factor`; 0.18215 for SD 1.x/2.x).
    public var scalingFactor: Float = 0.18215
    /// Latent shift, `unet = (raw - shift_factor) * scaling_factor` (`shift_factor`; null for SD).
    public var shiftFactor: Float?
    /// Per-channel latent means (`latents_mean`), informational.
    public var latentsMean: [Float]?
    /// Per-channel latent standard deviations (`latents_std`), informational.
    public var latentsStd: [Float]?
    /// `force_upcast`; informational (Tessera runs the VAE in float32).
    public var forceUpcast: Bool = true
    /// Whether the encoder's output passes through the 1x1 `quant_conv` (`use_quant_conv`).
    public var useQuantConv: Bool = true
    /// Whether latents pass through the 1x1 `post_quant_conv` before decoding (`use_post_quant_conv`).
    public var usePostQuantConv: Bool = true
    /// Whether the mid blocks have their self-attention (`mid_block_add_attention`).
    public var midBlockAddAttention: Bool = true

    private enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels"
        case downBlockTypes = "down_block_types", upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case actFn = "act_fn", latentChannels = "latent_channels", normNumGroups = "norm_num_groups"
        case scalingFactor = "scaling_factor", shiftFactor = "shift_factor"
        case latentsMean = "latents_mean", latentsStd = "latents_std", forceUpcast = "force_upcast"
        case useQuantConv = "use_quant_conv", usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    /// A config; the defaults describe the SD 1.x/2.x VAE.
    public init(blockOutChannels: [Int] = [128, 256, 512, 512], layersPerBlock: Int = 2, latentChannels: Int = 4) {
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.latentChannels = latentChannels
        downBlockTypes = Array(repeating: "DownEncoderBlock2D", count: blockOutChannels.count)
        upBlockTypes = Array(repeating: "UpDecoderBlock2D", count: blockOutChannels.count)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        blockOutChannels = try c.decode([Int].self, forKey: .blockOutChannels)
        layersPerBlock = try c.decode(Int.self, forKey: .layersPerBlock)
        latentChannels = try c.decode(Int.self, forKey: .latentChannels)
        downBlockTypes = try get(.downBlockTypes, Array(repeating: "DownEncoderBlock2D", count: blockOutChannels.count))
        upBlockTypes = try get(.upBlockTypes, Array(repeating: "UpDecoderBlock2D", count: blockOutChannels.count))
        inChannels = try get(.inChannels, inChannels)
        outChannels = try get(.outChannels, outChannels)
        actFn = try get(.actFn, actFn)
        normNumGroups = try get(.normNumGroups, normNumGroups)
        scalingFactor = try get(.scalingFactor, scalingFactor)
        shiftFactor = try c.decodeIfPresent(Float.self, forKey: .shiftFactor)
        latentsMean = try c.decodeIfPresent([Float].self, forKey: .latentsMean)
        latentsStd = try c.decodeIfPresent([Float].self, forKey: .latentsStd)
        forceUpcast = try get(.forceUpcast, forceUpcast)
        useQuantConv = try get(.useQuantConv, useQuantConv)
        usePostQuantConv = try get(.usePostQuantConv, usePostQuantConv)
        midBlockAddAttention = try get(.midBlockAddAttention, midBlockAddAttention)
    }

    /// Image pixels per latent pixel: one 2x resampling between consecutive stages.
    public var spatialScale: Int { 1 << max(blockOutChannels.count - 1, 0) }

    /// Checks values a model can be built from; throws naming the key otherwise.
    public func validate(path: String) throws {
        func need(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw ModelError.badConfig(path: path, key: key, reason: why) }
        }
        try need(inChannels > 0, "in_channels", "must be positive")
        try need(outChannels > 0, "out_channels", "must be positive")
        try need(latentChannels > 0, "latent_channels", "must be positive")
        try need(layersPerBlock >= 0, "layers_per_block", "must not be negative")
        try need(!blockOutChannels.isEmpty && blockOutChannels.allSatisfy { $0 > 0 },
                 "block_out_channels", "must be a non-empty list of positive widths")
        try need(normNumGroups > 0 && blockOutChannels.allSatisfy { $0 % normNumGroups == 0 }, "norm_num_groups",
                 "must divide every width in block_out_channels \(blockOutChannels)")
        try need(downBlockTypes.count == blockOutChannels.count, "down_block_types",
                 "must name one block per width in block_out_channels")
        try need(upBlockTypes.count == blockOutChannels.count, "up_block_types",
                 "must name one block per width in block_out_channels")
        if let other = downBlockTypes.first(where: { $0 != "DownEncoderBlock2D" }) {
            throw ModelError.unsupported(path: path, what: "down_block_types entry '\(other)' (only DownEncoderBlock2D)")
        }
        if let other = upBlockTypes.first(where: { $0 != "UpDecoderBlock2D" }) {
            throw ModelError.unsupported(path: path, what: "up_block_types entry '\(other)' (only UpDecoderBlock2D)")
        }
        guard actFn == "silu" || actFn == "swish" else {
            throw ModelError.unsupported(path: path, what: "act_fn '\(actFn)' (only silu)")
        }
        try need(scalingFactor.isFinite && scalingFactor != 0, "scaling_factor", "must be a non-zero number")
        try need(shiftFactor?.isFinite ?? true, "shift_factor", "must be a number or null")
    }
}
