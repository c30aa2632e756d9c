/// Cheap previews of latents: TAESD when available, else the widely used linear map from
/// SD's 4 latent channels to RGB, at latent resolution.
public struct LatentPreviewDecoder: Sendable {
    let autoencoder: (any LatentAutoencoder)?

    /// Uses `autoencoder` for previews when it is a TAESD; otherwise the linear map.
    public init(model: any LatentAutoencoder) {
        autoencoder = model is AutoencoderTiny ? model : nil
    }

    /// Approximate RGB contributions of SD 1.x/2.x latent channels.
    static let factors: [[Float]] = [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350],
                                     [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]]

    /// Preview image [N, 3, h, w] in [-1, 1] of UNet-space latents.
    public func preview(_ latents: Tensor) -> Tensor {
        if let autoencoder, let image = try? autoencoder.decode(Ops.affine(latents, scale: 1 / autoencoder.scalingFactor), tiling: .none) {
            return image
        }
        let (n, c, h, w) = (latents.shape[0], latents.shape[1], latents.shape[2], latents.shape[3])
        let out = Tensor(zeros: [n, 3, h, w])
        let plane = h * w
        for b in 0..<n {
            for ch in 0..<min(c, 4) {
                let src = latents.data + (b * c + ch) * plane
                for rgb in 0..<3 {
                    let f = Self.factors[ch][rgb]
                    let dst = out.data + (b * 3 + rgb) * plane
                    for i in 0..<plane { dst[i] += f * src[i] }
                }
            }
        }
        return Ops.clamp(out, min: -1, max: 1)
    }
}
