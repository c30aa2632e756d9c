/// The elementwise float32 kernels shared by the Euler samplers, written in diffusers'
/// operation order (each torch op rounds to float32, and no operation is fused).
enum EulerMath {
    /// `sample / divisor`.
    static func divide(_ sample: Tensor, by divisor: Float) -> Tensor {
        let out = Tensor(uninitialized: sample.shape)
        let s = sample.data, o = out.data
        for i in 0..<sample.count { o[i] = s[i] / divisor }
        return out
    }

    /// x₀ from the denoiser output at noise level `sigma` (k-diffusion's `denoised`).
    static func predictOriginal(modelOutput: Tensor, sample: Tensor, sigma: Float, predictionType: PredictionType) -> Tensor {
        let out = Tensor(uninitialized: sample.shape)
        let m = modelOutput.data, s = sample.data, o = out.data, n = sample.count
        switch predictionType {
        case .epsilon:
            for i in 0..<n { o[i] = s[i] - sigma * m[i] }
        case .vPrediction:
            let skipDivisor = sigma * sigma + 1
            let outScale = -sigma / skipDivisor.squareRoot()
            for i in 0..<n { o[i] = m[i] * outScale + s[i] / skipDivisor }
        case .sample:
            o.update(from: m, count: n)
        }
        return out
    }

    /// `sample + (sample - x₀) / sigma * dt`: one Euler step of the probability-flow ODE.
    static func eulerStep(sample: Tensor, predictedOriginal: Tensor, sigma: Float, dt: Float) -> Tensor {
        let out = Tensor(uninitialized: sample.shape)
        let s = sample.data, x0 = predictedOriginal.data, o = out.data
        for i in 0..<sample.count {
            let derivative = (s[i] - x0[i]) / sigma
            o[i] = s[i] + derivative * dt
        }
        return out
    }
}
