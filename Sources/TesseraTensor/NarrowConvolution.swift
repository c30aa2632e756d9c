/// Stride-1 convolutions with few output channels (an image head: 3 or 4) on
/// channels-last input, computed directly with the vector running over input channels.
///
/// oneDNN's kernels vectorise over output channels, so with 3 outputs they fill 3 of 16
/// lanes: the embedded decoder's last convolution (24 to 3 channels at 128x128) ran at
/// about 20 GFLOP/s there. Columns whose taps all lie inside the row go two pixels at a
/// time, so that enough independent accumulator chains hide the FMA latency (TAESD's 64 to
/// 3 head at 512x512: 12.5 ms as one pixel at a time, 8.0 to 8.5 ms in pairs). Circular
/// padding is handled by wrapping indices, so nothing is staged. Every output is the same sum of products as the reference computes, in
/// another order (fp32 rounding only).
enum NarrowConvolution {
    /// Most output channels handled (one vector accumulator each).
    static let maxOutputs = 4

    /// Whether a convolution of `channels` inputs to `outputs` outputs with options `o`
    /// runs here: at most `maxOutputs` outputs, input channels in whole vectors, stride 1,
    /// padding narrower than the kernel.
    static func supports(channels c: Int, outputs oc: Int, kh: Int, kw: Int, options o: Conv2dOptions) -> Bool {
        oc <= maxOutputs && c > 0 && c % VectorMath.V.scalarCount == 0 && o.stride == (1, 1)
            && o.padding.0 < kh && o.padding.1 < kw
    }

    /// `x` [N, H, W, C] convolved with `weight` [O, C, kh, kw] plus `bias`, into [N, Ho, Wo, O].
    static func convolve(_ x: Tensor, weight: Tensor, bias: Tensor?, options o: Conv2dOptions) -> Tensor {
        typealias V = VectorMath.V
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oc, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let (py, px) = o.padding
        let (ho, wo) = o.outputSize(height: h, width: w, kh: kh, kw: kw)
        let (wrapY, wrapX) = (o.paddingModeY == .circular, o.paddingModeX == .circular)
        let out = Tensor(uninitialized: [n, ho, wo, oc])
        // Weights as [kh][kw][maxOutputs][C], missing outputs zero: one tap's vectors lie together.
        let taps = kh * kw
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: taps * maxOutputs * c)
        defer { packed.deallocate() }
        packed.initialize(repeating: 0, count: taps * maxOutputs * c)
        for oo in 0..<oc {
            for ci in 0..<c {
                for t in 0..<taps { packed[(t * maxOutputs + oo) * c + ci] = weight.data[(oo * c + ci) * taps + t] }
            }
        }
        let b: [Float] = (0..<maxOutputs).map { $0 < oc ? bias?.data[$0] ?? 0 : 0 }
        let (src, dst) = (UnsafePointer(x.data), out.data)
        let k0 = UnsafePointer(packed)
        // Columns whose taps all lie inside the row (no padding, no wrap along x).
        let inner = max(px, 0)..<max(px, w - kw + 1 + px)
        b.withUnsafeBufferPointer { bias in
            let bias = bias.baseAddress!
            Parallel.forEach(n * ho, costPerItem: wo * taps * c * maxOutputs) { rows in
                for r in rows {
                    let (image, y) = (r / ho, r % ho)
                    // The source rows of the kernel rows, nil where zero padding covers them.
                    let sourceRows: [Int?] = (0..<kh).map { ky in
                        let sy = y + ky - py
                        if sy >= 0 && sy < h { return sy }
                        return wrapY ? (sy % h + h) % h : nil
                    }
                    func store(_ acc: (V, V, V, V), at xo: Int) {
                        let d = dst + (r * wo + xo) * oc
                        d[0] = acc.0.sum() + bias[0]
                        if oc > 1 { d[1] = acc.1.sum() + bias[1] }
                        if oc > 2 { d[2] = acc.2.sum() + bias[2] }
                        if oc > 3 { d[3] = acc.3.sum() + bias[3] }
                    }
                    var xo = 0
                    while xo < wo {
                        if xo + 1 < wo && inner.contains(xo) && inner.contains(xo + 1) {
                            // Two pixels at once: eight independent accumulator chains (one
                            // pixel's four leave the FMA unit waiting on its latency), and
                            // each weight vector loaded once for both.
                            var (a0, a1, a2, a3) = (V(repeating: 0), V(repeating: 0), V(repeating: 0), V(repeating: 0))
                            var (b0, b1, b2, b3) = (V(repeating: 0), V(repeating: 0), V(repeating: 0), V(repeating: 0))
                            for ky in 0..<kh {
                                guard let sy = sourceRows[ky] else { continue }
                                for kx in 0..<kw {
                                    let s = src + ((image * h + sy) * w + xo + kx - px) * c
                                    let k = k0 + (ky * kw + kx) * maxOutputs * c
                                    var ci = 0
                                    if oc == 4 {
                                        while ci < c {
                                            let u = UnsafeRawPointer(s + ci).loadUnaligned(as: V.self)
                                            let v = UnsafeRawPointer(s + c + ci).loadUnaligned(as: V.self)
                                            let w3 = UnsafeRawPointer(k + 3 * c + ci).loadUnaligned(as: V.self)
                                            a3 = a3.addingProduct(u, w3); b3 = b3.addingProduct(v, w3)
                                            ci += V.scalarCount
                                        }
                                        ci = 0
                                    }
                                    while ci < c {
                                        let u = UnsafeRawPointer(s + ci).loadUnaligned(as: V.self)
                                        let v = UnsafeRawPointer(s + c + ci).loadUnaligned(as: V.self)
                                        let w0 = UnsafeRawPointer(k + ci).loadUnaligned(as: V.self)
                                        let w1 = UnsafeRawPointer(k + c + ci).loadUnaligned(as: V.self)
                                        let w2 = UnsafeRawPointer(k + 2 * c + ci).loadUnaligned(as: V.self)
                                        a0 = a0.addingProduct(u, w0); b0 = b0.addingProduct(v, w0)
                                        a1 = a1.addingProduct(u, w1); b1 = b1.addingProduct(v, w1)
                                        a2 = a2.addingProduct(u, w2); b2 = b2.addingProduct(v, w2)
                                        ci += V.scalarCount
                                    }
                                }
                            }
                            store((a0, a1, a2, a3), at: xo)
                            store((b0, b1, b2, b3), at: xo + 1)
                            xo += 2
                            continue
                        }
                        var (a0, a1, a2, a3) = (V(repeating: 0), V(repeating: 0), V(repeating: 0), V(repeating: 0))
                        for ky in 0..<kh {
                            guard let sy = sourceRows[ky] else { continue }
                            for kx in 0..<kw {
                                var sx = xo + kx - px
                                if sx < 0 || sx >= w {
                                    guard wrapX else { continue }
                                    sx = (sx % w + w) % w
                                }
                                let s = src + ((image * h + sy) * w + sx) * c
                                let k = k0 + (ky * kw + kx) * maxOutputs * c
                                var ci = 0
                                while ci < c {
                                    let v = UnsafeRawPointer(s + ci).loadUnaligned(as: V.self)
                                    a0 = a0.addingProduct(v, UnsafeRawPointer(k + ci).loadUnaligned(as: V.self))
                                    a1 = a1.addingProduct(v, UnsafeRawPointer(k + c + ci).loadUnaligned(as: V.self))
                                    a2 = a2.addingProduct(v, UnsafeRawPointer(k + 2 * c + ci).loadUnaligned(as: V.self))
                                    a3 = a3.addingProduct(v, UnsafeRawPointer(k + 3 * c + ci).loadUnaligned(as: V.self))
                                    ci += V.scalarCount
                                }
                            }
                        }
                        store((a0, a1, a2, a3), at: xo)
                        xo += 1
                    }
                }
            }
        }
        return out
    }
}
