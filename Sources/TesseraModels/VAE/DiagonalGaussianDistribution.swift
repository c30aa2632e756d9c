import Foundation
import TesseraTensor

/// diffusers' `DiagonalGaussianDistribution`: the posterior `AutoencoderKL.encode` returns,
/// split from the encoder's 2 * latent_channels output into mean and log-variance.
public struct DiagonalGaussianDistribution: Sendable {
    /// The mean [N, latent_channels, h, w]; also `mode()`, the deterministic latents.
    public let mean: Tensor
    /// The log-variance, clamped to [-30, 20] as diffusers clamps it.
    public let logVariance: Tensor

    /// Splits `parameters` [N, 2C, h, w] into mean (first C channels) and log-variance.
    public init(parameters: Tensor) {
        precondition(parameters.rank == 4 && parameters.shape[1] % 2 == 0, "parameters must be [N, 2C, h, w], got \(parameters.shape)")
        let c = parameters.shape[1] / 2
        mean = Ops.sliceChannels(parameters, start: 0, count: c)
        logVariance = Ops.clamp(Ops.sliceChannels(parameters, start: c, count: c), min: -30, max: 20)
    }

    /// The standard deviation, `exp(0.5 * logvar)` (computed on each call).
    public var std: Tensor {
        let out = Ops.affine(logVariance, scale: 0.5)
        for i in 0..<out.count { out.data[i] = expf(out.data[i]) }
        return out
    }
}
