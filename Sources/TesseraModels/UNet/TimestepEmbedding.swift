import Foundation
import TesseraTensor

/// diffusers' `Timesteps` (sinusoidal projection) followed by `TimestepEmbedding`
/// (linear, SiLU, linear), with the optional `cond_proj` of LCM-distilled UNets.
struct TimestepEmbedding: Sendable {
    let channels: Int
    let flipSinToCos: Bool
    let freqShift: Int
    let linear1, linear2: Linear
    let condProjection: Linear?

    init(_ w: Weights, channels: Int, embedDim: Int, flipSinToCos: Bool, freqShift: Int, condDim: Int?) throws {
        self.channels = channels
        self.flipSinToCos = flipSinToCos
        self.freqShift = freqShift
        linear1 = try Linear(w.scoped("linear_1"), inFeatures: channels, outFeatures: embedDim)
        linear2 = try Linear(w.scoped("linear_2"), inFeatures: embedDim, outFeatures: embedDim)
        condProjection = try condDim.map { try Linear(w.scoped("cond_proj"), inFeatures: $0, outFeatures: channels, bias: false) }
    }

    /// Sinusoidal features [B, channels], computed in float32 step by step as diffusers does,
    /// so large timesteps (up to 999 rad) round the same way.
    func sinusoid(_ timesteps: [Float]) -> Tensor {
        let half = channels / 2
        let out = Tensor(zeros: [timesteps.count, channels])
        let logPeriod = Float(-log(10000.0))
        let denom = Float(half) - Float(freqShift)
        var freqs = [Float](repeating: 0, count: half)
        for i in 0..<half { freqs[i] = Float(exp(Double((logPeriod * Float(i)) / denom))) }
        for (b, t) in timesteps.enumerated() {
            let row = out.data + b * channels
            for i in 0..<half {
                let arg = Double(t * freqs[i])
                let (s, c) = (Float(sin(arg)), Float(cos(arg)))
                if flipSinToCos { row[i] = c; row[half + i] = s } else { row[i] = s; row[half + i] = c }
            }
        }
        return out
    }

    /// Time embedding [B, embedDim]. `condition` [B, condDim] is the guidance embedding, if any.
    func callAsFunction(_ timesteps: [Float], condition: Tensor?) -> Tensor {
        var x = sinusoid(timesteps)
        if let condProjection, let condition { x = Ops.add(x, condProjection(condition)) }
        let h = linear1(x)
        Activation.silu.apply(h.data, count: h.count)
        return linear2(h)
    }
}
