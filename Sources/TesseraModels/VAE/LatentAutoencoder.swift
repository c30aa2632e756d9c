import TesseraTensor

/// What a pipeline needs from a VAE, whichever kind it is (`AutoencoderKL`, `AutoencoderTiny`).
///
/// Both methods keep diffusers' semantics: `encode` returns the model's raw latents and
/// `decode` takes raw latents. The pipeline converts between raw latents and the UNet's
/// latent space itself: `unet = (raw - shiftFactor) * scalingFactor` after encoding and
/// `raw = unet / scalingFactor + shiftFactor` before decoding (diffusers' pipelines do the
/// same with the VAE's own config; TAESD's `scaling_factor` is 1.0 because it was trained on
/// the UNet's latent space directly).
public protocol LatentAutoencoder: Sendable {
    /// Channels of the latent space.
    var latentChannels: Int { get }
    /// Image pixels per latent pixel along each axis (8 for SD's VAEs).
    var spatialScale: Int { get }
    /// `scaling_factor` of the VAE's config.
    var scalingFactor: Float { get }
    /// `shift_factor` of the VAE's config, 0 when absent or null.
    var shiftFactor: Float { get }
    /// Image [N, 3, H, W] in [-1, 1] to raw latents [N, latentChannels, H/scale, W/scale],
    /// deterministically (the posterior's mean for `AutoencoderKL`).
    func encode(_ image: Tensor, tiling: Tiling) throws -> Tensor
    /// Raw latents to an image [N, 3, H*scale, W*scale], nominally in [-1, 1] (not clamped).
    /// With `tiling`, every padded convolution wraps around on those axes.
    func decode(_ latents: Tensor, tiling: Tiling) throws -> Tensor
}
