import CTesseraKernels

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

    /// GroupNorm over channels-last `x` [N, H, W, C] (or [N, L, C]): the same statistics as
    /// `groupNorm`, so the result is `toChannelsLast(groupNorm(toChannelsFirst(x)))` up to
    /// rounding. Per-channel sums are taken over bands of pixels on every worker (in double,
    /// as `moments`), folded into group moments, then one pass normalises and activates.
    public static func groupNormChannelsLast(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?,
                                             eps: Float, activation: Activation = .identity) -> Tensor {
        precondition(x.rank >= 2, "groupNormChannelsLast expects [N, ..., C], got \(x.shape)")
        let (n, c) = (x.shape[0], x.shape[x.rank - 1])
        precondition(groups > 0 && c % groups == 0, "groupNormChannelsLast: \(c) channels not divisible by \(groups) groups")
        let pixels = x.count / max(n * c, 1)
        let cpg = c / groups
        let out = Tensor(uninitialized: x.shape)
        guard pixels > 0 else { return out }
        let bands = pixels * c >= Parallel.grain ? min(Parallel.workers, pixels) : 1
        let perBand = (pixels + bands - 1) / bands
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: bands * c)
        defer { partial.deallocate() }
        let scale = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
        defer { scale.deallocate() }
        let shift = scale + c
        let centre = UnsafeMutablePointer<Double>.allocate(capacity: c)
        defer { centre.deallocate() }
        // Per-band sums over pixels of each channel's value (`centred`: its squared distance
        // from `centre`), folded into one sum per group.
        func groupSums(_ image: UnsafePointer<Float>, centred: Bool) -> [Double] {
            Parallel.tasks(bands, workers: bands) { band in
                let acc = partial + band * c
                acc.update(repeating: 0, count: c)
                let p0 = band * perBand, p1 = min(pixels, p0 + perBand)
                guard p0 < p1 else { return }
                for p in p0..<p1 {
                    let row = image + p * c
                    if centred {
                        for ch in 0..<c { let d = Double(row[ch]) - centre[ch]; acc[ch] += d * d }
                    } else {
                        for ch in 0..<c { acc[ch] += Double(row[ch]) }
                    }
                }
            }
            var sums = [Double](repeating: 0, count: groups)
            for band in 0..<bands { for ch in 0..<c { sums[ch / cpg] += partial[band * c + ch] } }
            return sums
        }
        let count = Double(pixels * cpg)
        for b in 0..<n {
            let src = x.data + b * pixels * c, dst = out.data + b * pixels * c
            let means = groupSums(src, centred: false).map { $0 / count }
            for ch in 0..<c { centre[ch] = means[ch / cpg] }
            let squares = groupSums(src, centred: true)
            for ch in 0..<c {
                let g = ch / cpg
                let invStd = Float(1 / (squares[g] / count + Double(eps)).squareRoot())
                scale[ch] = (weight?.data[ch] ?? 1) * invStd
                shift[ch] = (bias?.data[ch] ?? 0) - Float(means[g]) * scale[ch]
            }
            let fusedSiLU = activation == .silu && VectorMath.usesAVX512
            Parallel.forEach(pixels, costPerItem: c * 4) { range in
                for p in range {
                    let from = src + p * c, to = dst + p * c
                    if fusedSiLU {
                        // The same affine map and SiLU in one AVX-512 pass, the same bits.
                        tessera_affine_swish(from, scale, shift, Int64(c), 1, to)
                        continue
                    }
                    for ch in 0..<c { to[ch] = from[ch] * scale[ch] + shift[ch] }
                    // Pixel by pixel, while the row is in L1: a band's rows need not fit in L2.
                    activation.applySerial(to, count: c)
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
                switch (weight, bias) {
                case let (w?, b?):
                    for i in 0..<d { dst[i] = (src[i] - mean) * invStd * w.data[i] + b.data[i] }
                default:
                    for i in 0..<d {
                        dst[i] = (src[i] - mean) * invStd * (weight?.data[i] ?? 1) + (bias?.data[i] ?? 0)
                    }
                }
            }
        }
        return out
    }

    /// Mean and 1/sqrt(var + eps), two-pass so that large means do not cancel. Vectorised:
    /// eight float lanes sum blocks of 512 values, and the blocks add up in double.
    @inline(__always)
    static func moments(_ p: UnsafePointer<Float>, count n: Int, eps: Float) -> (Float, Float) {
        let mean = Float(blockSum(p, count: n) { $0 } / Double(n))
        let variance = blockSum(p, count: n) { let d = $0 - mean; return d * d } / Double(n)
        return (mean, Float(1 / (variance + Double(eps)).squareRoot()))
    }

    /// Sum of `f(x)` over `n` floats: float lanes within a block, double across blocks.
    @inline(__always)
    static func blockSum(_ p: UnsafePointer<Float>, count n: Int, _ f: (VectorMath.V) -> VectorMath.V) -> Double {
        typealias V = VectorMath.V
        var total = 0.0
        var i = 0
        while i < n {
            let end = min(n, i + 512)
            var acc = V(repeating: 0)
            while i + 8 <= end {
                acc += f(UnsafeRawPointer(p + i).loadUnaligned(as: V.self))
                i += 8
            }
            if i < end {
                var tail = V(repeating: 0), mask = SIMDMask<V.MaskStorage>(repeating: false)
                for j in 0..<(end - i) { tail[j] = p[i + j]; mask[j] = true }
                acc += f(tail).replacing(with: 0, where: .!mask)
                i = end
            }
            total += Double(acc.sum())
        }
        return total
    }
}
