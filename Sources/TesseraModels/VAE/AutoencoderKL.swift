import Foundation
import TesseraTensor

/// diffusers' `AutoencoderKL`, fp32 inference.
///
/// `encodeDistribution` returns what `vae.encode(x).latent_dist` holds and `encode` its mean
/// (`latent_dist.mode()`); `decode` returns `vae.decode(z).sample`. All work on raw latents:
/// the pipeline divides by `scalingFactor` (and adds `shiftFactor`) before decoding.
public final class AutoencoderKL: LatentAutoencoder {
    /// The decoded `config.json`.
    public let config: AutoencoderKLConfig
    private let encoder: AutoencoderKLEncoder?
    private let quantConv: Conv2d?
    private let postQuantConv: Conv2d?
    private let decoder: AutoencoderKLDecoder?

    /// Loads a diffusers `AutoencoderKL` folder (`vae/`: `config.json` and `diffusion_pytorch_model.safetensors`).
    /// - Parameter parts: the halves to load; the other half's weights are never read.
    public convenience init(folder: URL, parts: AutoencoderParts = .all) throws {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try ConfigFile.load(AutoencoderKLConfig.self, from: configURL)
        try config.validate(path: configURL.path)
        try self.init(config: config, archive: SafeTensorsArchive(folder: folder, stems: ["diffusion_pytorch_model"]),
                      parts: parts)
    }

    /// Builds the model from a validated config and an archive holding diffusers' tensor names.
    public init(config: AutoencoderKLConfig, archive: SafeTensorsArchive, parts: AutoencoderParts = .all) throws {
        self.config = config
        let root = Weights(archive)
        let latent = config.latentChannels
        if parts.contains(.encoder) {
            encoder = try AutoencoderKLEncoder(root.scoped("encoder"), config: config)
            quantConv = config.useQuantConv
                ? try Conv2d(root.scoped("quant_conv"), inChannels: 2 * latent, outChannels: 2 * latent, kernel: 1) : nil
        } else {
            (encoder, quantConv) = (nil, nil)
        }
        if parts.contains(.decoder) {
            postQuantConv = config.usePostQuantConv
                ? try Conv2d(root.scoped("post_quant_conv"), inChannels: latent, outChannels: latent, kernel: 1) : nil
            decoder = try AutoencoderKLDecoder(root.scoped("decoder"), config: config)
        } else {
            (postQuantConv, decoder) = (nil, nil)
        }
    }

    /// Channels of the latent space (`latent_channels`).
    public var latentChannels: Int { config.latentChannels }
    /// Image pixels per latent pixel along each axis.
    public var spatialScale: Int { config.spatialScale }
    /// `scaling_factor` of the config.
    public var scalingFactor: Float { config.scalingFactor }
    /// `shift_factor` of the config, 0 when absent or null.
    public var shiftFactor: Float { config.shiftFactor ?? 0 }

    /// `vae.encode(image).latent_dist`: image [N, in_channels, H, W] in [-1, 1], H and W multiples
    /// of `spatialScale`, to the posterior over raw latents [N, latent_channels, H/s, W/s].
    /// With `tiling`, every padded conv pads circularly on those axes; the downsamplers'
    /// one-sided pad stays zeros, as in diffusers.
    public func encodeDistribution(_ image: Tensor, tiling: Tiling = .none) throws -> DiagonalGaussianDistribution {
        guard let encoder else { throw AutoencoderError.notLoaded(.encoder) }
        try AutoencoderError.check(image, channels: config.inChannels, multiple: spatialScale, what: "image")
        var h = encoder(image, tiling: tiling)
        if let quantConv { h = quantConv(h) }
        return DiagonalGaussianDistribution(parameters: h)
    }

    /// `vae.encode(image).latent_dist.mode()`: the posterior's mean, the deterministic raw latents.
    public func encode(_ image: Tensor, tiling: Tiling = .none) throws -> Tensor {
        try encodeDistribution(image, tiling: tiling).mean
    }

    /// `vae.decode(latents).sample`: raw latents [N, latent_channels, h, w] to an image
    /// [N, out_channels, h*s, w*s] in (nominally) [-1, 1]. With `tiling`, every padded conv
    /// pads circularly on those axes, so the image tiles seamlessly when the latents do.
    public func decode(_ latents: Tensor, tiling: Tiling = .none) throws -> Tensor {
        guard let decoder else { throw AutoencoderError.notLoaded(.decoder) }
        try AutoencoderError.check(latents, channels: config.latentChannels, multiple: 1, what: "latents")
        let z = postQuantConv.map { $0(latents) } ?? latents
        return decoder(z, tiling: tiling)
    }
}
