/// Group and layer normalisation with affine parameters, as PyTorch defines them
/// (biased variance, eps inside the square root).
extension Ops {
    /// GroupNorm over `x` [N, C, ...]: channels split into `groups`, each normalised over
    /// its channels and spatial positions, then scaled by `weight` [C] and shifted by
    /// `bias` [C]. `activation` is fused into the same pass (for GroupNorm + SiLU).
    public static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?,
                                 eps: Float, activation: Activation = .identity) -> Tensor {
        precondition(x.rank >= 2, "groupNorm expects [N, C, ...], got \(x.shape)")
        let (n, c) = (x.shape[0], x.shape[1])
        precondition(groups > 0 && c % groups == 0, "groupNorm: \(c) channels not divisible by \(groups) groups")
        let spatial = x.count / max(n * c, 1)
        let cpg = c / groups
        let groupSize = cpg * spatial
        let out = Tensor(uninitialized: x.shape)
        Parallel.forEach(n * groups, costPerItem: groupSize * 4) { items in
            for item in items {
                let (b, g) = (item / groups, item % groups)
                let base = (b * c + g * cpg) * spatial
                let (mean, invStd) = moments(x.data + base, count: groupSize, eps: eps)
                for ch in 0..<cpg {
                    let channel = g * cpg + ch
                    let scale = (weight?.data[channel] ?? 1) * invStd
                    let shift = (bias?.data[channel] ?? 0) - mean * scale
                    let src = x.data + base + ch * spatial
                    let dst = out.data + base + ch * spatial
                    for i in 0..<spatial { dst[i] = src[i] * scale + shift }
                    activation.applySerial(dst, count: spatial)
                }
            }
        }
        return out
    }

    /// LayerNorm over the last dimension with `weight` and `bias` of that size.
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> Tensor {
        let d = x.shape.last ?? 1
        let rows = x.count / max(d, 1)
        let out = Tensor(uninitialized: x.shape)
        Parallel.forEach(rows, costPerItem: d * 4) { range in
            for r in range {
                let src = x.data + r * d
                let dst = out.data + r * d
                let (mean, invStd) = moments(src, count: d, eps: eps)
                for i in 0..<d {
                    dst[i] = (src[i] - mean) * invStd * (weight?.data[i] ?? 1) + (bias?.data[i] ?? 0)
                }
            }
        }
        return out
    }

    /// Mean and 1/sqrt(var + eps), two-pass in double so large means do not cancel.
    @inline(__always)
    static func moments(_ p: UnsafePointer<Float>, count n: Int, eps: Float) -> (Float, Float) {
        var sum = 0.0
        for i in 0..<n { sum += Double(p[i]) }
        let mean = sum / Double(n)
        var sq = 0.0
        for i in 0..<n { let d = Double(p[i]) - mean; sq += d * d }
        let variance = sq / Double(n)
        return (Float(mean), Float(1 / (variance + Double(eps)).squareRoot()))
    }
}
