import Foundation

/// The guidance-scale embedding of LCM-distilled UNets (`time_cond_proj_dim`), as diffusers'
/// `get_guidance_scale_embedding` computes it: sinusoids of `w * 1000`, sines first.
public enum GuidanceEmbedding {
    /// Embedding [batch, dim] of guidance weight `w` (the pipeline passes guidance - 1).
    public static func make(w: Float, dim: Int, batch: Int) -> Tensor {
        let half = dim / 2
        let out = Tensor(zeros: [batch, dim])
        let scaled = w * 1000
        let step = Float(log(10000.0)) / Float(half - 1)
        for i in 0..<half {
            let freq = Float(exp(Double(Float(i) * -step)))
            let arg = Double(scaled * freq)
            for b in 0..<batch {
                out.data[b * dim + i] = Float(sin(arg))
                out.data[b * dim + half + i] = Float(cos(arg))
            }
        }
        return out
    }
}
