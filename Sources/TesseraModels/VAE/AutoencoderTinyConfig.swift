import Foundation

/// `config.json` of diffusers' `AutoencoderTiny` (TAESD).
///
/// The keys that lay out the network (block widths and counts, latent channels) are
/// required: diffusers writes every key, and a missing one means the file is not what it
/// claims. The rest take diffusers' defaults. Unknown keys are ignored.
public struct AutoencoderTinyConfig: Decodable, Sendable, Equatable {
    /// Image channels in (`in_channels`).
    public var inChannels: Int = 3
    /// Image channels out (`out_channels`).
    public var outChannels: Int = 3
    /// Width of each encoder stage (`encoder_block_out_channels`, required).
    public var encoderBlockOutChannels: [Int]
    /// Width of each decoder stage (`decoder_block_out_channels`, required).
    public var decoderBlockOutChannels: [Int]
    /// `AutoencoderTinyBlock`s per encoder stage (`num_encoder_blocks`, required).
    public var numEncoderBlocks: [Int]
    /// `AutoencoderTinyBlock`s per decoder stage (`num_decoder_blocks`, required).
    public var numDecoderBlocks: [Int]
    /// Latent channels (`latent_channels`, required).
    public var latentChannels: Int
    /// Activation inside the blocks (`act_fn`): "relu" for TAESD; "silu"/"swish" and "gelu" also load.
    public var actFn: String = "relu"
    /// Upsampling mode between decoder stages (`upsample_fn`); only "nearest" is supported.
    public var upsampleFn: String = "nearest"
    /// Upsampling factor between decoder stages (`upsampling_scaling_factor`), a power of two.
    public var upsamplingScalingFactor: Int = 2
    /// Latent range used by `scaleLatents` (`latent_magnitude`).
    public var latentMagnitude: Float = 3
    /// Latent centre used by `scaleLatents` (`latent_shift`).
    public var latentShift: Float = 0.5
    /// `scaling_factor`: 1.0 for TAESD, which works in the UNet's latent space directly.
    public var scalingFactor: Float = 1
    /// `shift_factor` (0 unless set).
    public var shiftFactor: Float = 0
    /// `force_upcast`; informational (Tessera runs the VAE in float32).
    public var forceUpcast: Bool = false

    private enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels", outChannels = "out_channels"
        case encoderBlockOutChannels = "encoder_block_out_channels"
        case decoderBlockOutChannels = "decoder_block_out_channels"
        case numEncoderBlocks = "num_encoder_blocks", numDecoderBlocks = "num_decoder_blocks"
        case latentChannels = "latent_channels", actFn = "act_fn", upsampleFn = "upsample_fn"
        case upsamplingScalingFactor = "upsampling_scaling_factor"
        case latentMagnitude = "latent_magnitude", latentShift = "latent_shift"
        case scalingFactor = "scaling_factor", shiftFactor = "shift_factor", forceUpcast = "force_upcast"
    }

    /// A config; the defaults describe madebyollin's TAESD for SD 1.x/2.x.
    public init(encoderBlockOutChannels: [Int] = [64, 64, 64, 64], decoderBlockOutChannels: [Int] = [64, 64, 64, 64],
                numEncoderBlocks: [Int] = [1, 3, 3, 3], numDecoderBlocks: [Int] = [3, 3, 3, 1],
                latentChannels: Int = 4) {
        self.encoderBlockOutChannels = encoderBlockOutChannels
        self.decoderBlockOutChannels = decoderBlockOutChannels
        self.numEncoderBlocks = numEncoderBlocks
        self.numDecoderBlocks = numDecoderBlocks
        self.latentChannels = latentChannels
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        encoderBlockOutChannels = try c.decode([Int].self, forKey: .encoderBlockOutChannels)
        decoderBlockOutChannels = try c.decode([Int].self, forKey: .decoderBlockOutChannels)
        numEncoderBlocks = try c.decode([Int].self, forKey: .numEncoderBlocks)
        numDecoderBlocks = try c.decode([Int].self, forKey: .numDecoderBlocks)
        latentChannels = try c.decode(Int.self, forKey: .latentChannels)
        inChannels = try get(.inChannels, inChannels)
        outChannels = try get(.outChannels, outChannels)
        actFn = try get(.actFn, actFn)
        upsampleFn = try get(.upsampleFn, upsampleFn)
        upsamplingScalingFactor = try get(.upsamplingScalingFactor, upsamplingScalingFactor)
        latentMagnitude = try get(.latentMagnitude, latentMagnitude)
        latentShift = try get(.latentShift, latentShift)
        scalingFactor = try get(.scalingFactor, scalingFactor)
        shiftFactor = try get(.shiftFactor, shiftFactor)
        forceUpcast = try get(.forceUpcast, forceUpcast)
    }

    /// Image pixels per latent pixel: one stride-2 conv per encoder stage after the first.
    public var encoderDownscale: Int { 1 << max(numEncoderBlocks.count - 1, 0) }

    /// Image pixels per latent pixel on decoding: one upsampling between decoder stages.
    public var decoderUpscale: Int {
        (0..<max(numDecoderBlocks.count - 1, 0)).reduce(1) { acc, _ in acc * upsamplingScalingFactor }
    }

    /// Checks values a model can be built from; throws naming the key otherwise.
    public func validate(path: String) throws {
        func need(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw ModelError.badConfig(path: path, key: key, reason: why) }
        }
        try need(inChannels > 0, "in_channels", "must be positive")
        try need(outChannels > 0, "out_channels", "must be positive")
        try need(latentChannels > 0, "latent_channels", "must be positive")
        try need(!encoderBlockOutChannels.isEmpty && encoderBlockOutChannels.allSatisfy { $0 > 0 },
                 "encoder_block_out_channels", "must be a non-empty list of positive widths")
        try need(!decoderBlockOutChannels.isEmpty && decoderBlockOutChannels.allSatisfy { $0 > 0 },
                 "decoder_block_out_channels", "must be a non-empty list of positive widths")
        // diffusers' EncoderTiny/DecoderTiny build every stage's convs as width -> width of that
        // stage, so a model with differing widths cannot run there either.
        try need(Set(encoderBlockOutChannels).count == 1, "encoder_block_out_channels",
                 "widths must all be equal (diffusers' EncoderTiny cannot change width between stages)")
        try need(Set(decoderBlockOutChannels).count == 1, "decoder_block_out_channels",
                 "widths must all be equal (diffusers' DecoderTiny cannot change width between stages)")
        try need(numEncoderBlocks.count == encoderBlockOutChannels.count && numEncoderBlocks.allSatisfy { $0 >= 0 },
                 "num_encoder_blocks", "must list a non-negative count for each of the \(encoderBlockOutChannels.count) encoder stages")
        try need(numDecoderBlocks.count == decoderBlockOutChannels.count && numDecoderBlocks.allSatisfy { $0 >= 0 },
                 "num_decoder_blocks", "must list a non-negative count for each of the \(decoderBlockOutChannels.count) decoder stages")
        guard upsampleFn == "nearest" else {
            throw ModelError.unsupported(path: path, what: "upsample_fn '\(upsampleFn)' (only \"nearest\")")
        }
        let f = upsamplingScalingFactor
        guard f > 0, f & (f - 1) == 0 else {
            throw ModelError.unsupported(path: path, what: "upsampling_scaling_factor \(f) (only powers of two)")
        }
        guard TinyActivation(name: actFn) != nil else {
            throw ModelError.unsupported(path: path, what: "act_fn '\(actFn)' (supported: relu, silu, swish, gelu)")
        }
        try need(latentMagnitude.isFinite && latentMagnitude != 0, "latent_magnitude", "must be a non-zero number")
        try need(latentShift.isFinite, "latent_shift", "must be a number")
        try need(scalingFactor.isFinite && scalingFactor != 0, "scaling_factor", "must be a non-zero number")
        try need(shiftFactor.isFinite, "shift_factor", "must be a number")
    }
}
