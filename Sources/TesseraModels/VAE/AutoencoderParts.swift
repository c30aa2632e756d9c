/// Which halves of an autoencoder to load. Text-to-image only decodes, so the encoder's
/// weights need not occupy memory.
public struct AutoencoderParts: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The encoder (image to latents), with `quant_conv` for `AutoencoderKL`.
    public static let encoder = AutoencoderParts(rawValue: 1)
    /// The decoder (latents to image), with `post_quant_conv` for `AutoencoderKL`.
    public static let decoder = AutoencoderParts(rawValue: 2)
    /// Both halves.
    public static let all: AutoencoderParts = [.encoder, .decoder]
}
