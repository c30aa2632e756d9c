import Foundation
import TesseraTensor

/// diffusers' `AutoencoderTiny` (TAESD), fp32 inference.
///
/// `encode` and `decode` return what `vae.encode(x).latents` and `vae.decode(z).sample`
/// return in diffusers: raw latents, and an image in (nominally) [-1, 1]. TAESD is trained on
/// the UNet's latent space, so its `scaling_factor` is 1.0 and a pipeline's
/// `latents / scaling_factor` leaves the latents unchanged. `scaleLatents`/`unscaleLatents`
/// are diffusers' helpers for storing latents as bytes; no pipeline applies them.
public final class AutoencoderTiny: LatentAutoencoder {
    /// The decoded `config.json`.
    public let config: AutoencoderTinyConfig
    private let encoder: EncoderTiny?
    private let decoder: DecoderTiny?

    /// Loads a diffusers `AutoencoderTiny` folder (`config.json` and `diffusion_pytorch_model.safetensors`).
    /// - Parameter parts: the halves to load; the other half's weights are never read.
    public convenience init(folder: URL, parts: AutoencoderParts = .all) throws {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try ConfigFile.load(AutoencoderTinyConfig.self, from: configURL)
        try config.validate(path: configURL.path)
        try self.init(config: config, archive: SafeTensorsArchive(folder: folder, stems: ["diffusion_pytorch_model"]),
                      parts: parts)
    }

    /// Builds the model from a validated config and an archive holding diffusers' tensor names
    /// (`encoder.layers.*`, `decoder.layers.*`).
    public init(config: AutoencoderTinyConfig, archive: SafeTensorsArchive, parts: AutoencoderParts = .all) throws {
        guard let activation = TinyActivation(name: config.actFn) else {
            throw ModelError.unsupported(path: archive.url.path, what: "act_fn '\(config.actFn)'")
        }
        self.config = config
        let root = Weights(archive)
        encoder = parts.contains(.encoder)
            ? try EncoderTiny(root.scoped("encoder"), config: config, activation: activation) : nil
        decoder = parts.contains(.decoder)
            ? try DecoderTiny(root.scoped("decoder"), config: config, activation: activation) : nil
    }

    /// Channels of the latent space (`latent_channels`).
    public var latentChannels: Int { config.latentChannels }
    /// Image pixels per latent pixel along each axis.
    public var spatialScale: Int { config.decoderUpscale }
    /// `scaling_factor` of the config.
    public var scalingFactor: Float { config.scalingFactor }
    /// `shift_factor` of the config, 0 when absent or null.
    public var shiftFactor: Float { config.shiftFactor }

    /// `vae.encode(image).latents`: image [N, in_channels, H, W] in [-1, 1], H and W multiples of
    /// the encoder's downscale (8 for TAESD), to raw latents [N, latent_channels, H/8, W/8].
    /// With `tiling`, every conv (including the stride-2 ones) pads circularly on those axes.
    public func encode(_ image: Tensor, tiling: Tiling = .none) throws -> Tensor {
        guard let encoder else { throw AutoencoderError.notLoaded(.encoder) }
        try AutoencoderError.check(image, channels: config.inChannels, multiple: config.encoderDownscale, what: "image")
        return encoder(image, tiling: tiling)
    }

    /// `vae.decode(latents).sample`: raw latents [N, latent_channels, h, w] to an image
    /// [N, out_channels, 8h, 8w] in (nominally) [-1, 1]. With `tiling`, every conv pads
    /// circularly on those axes, so the image tiles seamlessly when the latents do.
    public func decode(_ latents: Tensor, tiling: Tiling = .none) throws -> Tensor {
        guard let decoder else { throw AutoencoderError.notLoaded(.decoder) }
        try AutoencoderError.check(latents, channels: config.latentChannels, multiple: 1, what: "latents")
        return decoder(latents, tiling: tiling)
    }

    /// diffusers' `scale_latents`: raw latents to [0, 1], `(x / (2 * latent_magnitude) + latent_shift)` clamped.
    public func scaleLatents(_ x: Tensor) -> Tensor {
        let m = 2 * config.latentMagnitude
        return Ops.clamp(Ops.affine(x, scale: 1 / m, shift: config.latentShift), min: 0, max: 1)
    }

    /// diffusers' `unscale_latents`: [0, 1] back to raw latents, `(x - latent_shift) * 2 * latent_magnitude`.
    public func unscaleLatents(_ x: Tensor) -> Tensor {
        let m = 2 * config.latentMagnitude
        return Ops.affine(x, scale: m, shift: -config.latentShift * m)
    }
}
