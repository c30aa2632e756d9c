/// The x₀ / ε algebra of ᾱ-parametrised schedulers (DDIM, LCM), elementwise in float32 in
/// diffusers' operation order.
enum DDPMMath {
    /// x₀ from the denoiser output at cumulative alpha `alphaProduct`, clamped to
    /// ±`clipRange` when given. The result is a fresh tensor the caller may overwrite.
    static func predictOriginal(modelOutput: Tensor, sample: Tensor, alphaProduct: Float,
                                predictionType: PredictionType, clipRange: Float?) -> Tensor {
        let out = Tensor(uninitialized: sample.shape)
        let m = modelOutput.data, s = sample.data, o = out.data, n = sample.count
        let sqrtAlpha = alphaProduct.squareRoot(), sqrtBeta = (1 - alphaProduct).squareRoot()
        switch predictionType {
        case .epsilon:
            for i in 0..<n { o[i] = (s[i] - sqrtBeta * m[i]) / sqrtAlpha }
        case .vPrediction:
            for i in 0..<n { o[i] = sqrtAlpha * s[i] - sqrtBeta * m[i] }
        case .sample:
            o.update(from: m, count: n)
        }
        if let r = clipRange {
            for i in 0..<n { o[i] = min(max(o[i], -r), r) }
        }
        return out
    }
}
