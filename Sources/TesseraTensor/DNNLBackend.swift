import Foundation

/// Convolutions and linear layers on oneDNN's JIT kernels (blocked or channels-last layouts,
/// weights reordered once per weight tensor, primitives cached per geometry, bands of output
/// rows on Tessera's workers, residual sums and ReLU fused as post-ops) and attention's
/// matmuls. Everything else stays on the OpenBLAS reference path.
///
/// oneDNN picks its kernels for the CPU it finds (`isa`): on AVX2 machines that is its
/// direct `jit:avx2` convolution, about 2 to 3.5 times the single-core throughput of
/// im2col + sgemm on the embedded model's small-channel convs (docs/BENCHMARKS.md).
/// `precision` picks Winograd (`mixed`) or bf16 convolutions where the CPU has AVX-512
/// (and AVX512_BF16) kernels for them.
public struct DNNLBackend: ComputeBackend {
    public var name: String { "onednn-\(precision.rawValue) (\(isa))" }
    /// The instruction set oneDNN dispatches to on this CPU.
    public var isa: String { DNNLEngine.shared.isa }
    /// The instruction set oneDNN dispatches to on this CPU, without building a backend.
    public static var isa: String { DNNLEngine.shared.isa }
    /// How convolutions compute (`ComputePrecision`).
    public let precision: ComputePrecision
    private let reference = OpenBLASBackend()
    /// Whether a conv weight's (in bf16 mode also a linear weight's) plain copy is released
    /// once oneDNN holds it reordered (`DNNLWeightCache`): one copy in memory instead of two.
    public let releasesPlainWeights: Bool

    /// A backend on the process's oneDNN engine. With `releasingPlainWeights`, large conv
    /// weights (in bf16 mode, linear weights too) keep only their reordered copy; Tessera's backends restore the plain values
    /// when they need them, but other code must not read such a weight's `data` directly.
    /// `precision` must be supported on this CPU (`ComputePrecision.isSupported`).
    public init(precision: ComputePrecision = .fp32, releasingPlainWeights: Bool = false) {
        precondition(precision.isSupported(isa: DNNLEngine.shared.isa),
                     "precision \(precision.rawValue) needs kernels this CPU (\(DNNLEngine.shared.isa)) lacks")
        self.precision = precision
        releasesPlainWeights = releasingPlainWeights
    }

    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, options: Conv2dOptions) -> Tensor {
        conv2d(x, weight: weight, bias: bias, options: options, epilogue: .none)
    }

    /// The epilogue runs as oneDNN post-ops on the blocked output before it is reordered
    /// back: a sum (the residual is reordered into the output buffer first) and ReLU.
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, options o: Conv2dOptions, epilogue: ConvEpilogue) -> Tensor {
        convolve(x, weight: weight, bias: bias, options: o, epilogue: epilogue, channelsLast: false)
    }

    /// Channels-last convolutions ask oneDNN for that layout: fp32 ones then read and write
    /// Tessera's tensors in place, bf16 ones only convert the input.
    public func conv2dChannelsLast(_ x: Tensor, weight: Tensor, bias: Tensor?, options o: Conv2dOptions,
                                   epilogue: ConvEpilogue) -> Tensor {
        convolve(x, weight: weight, bias: bias, options: o, epilogue: epilogue, channelsLast: true)
    }

    /// Output pixels up to which a bf16 channels-last convolution splits its output
    /// channels between two workers instead of its rows (`OutputParts`): 8x8 planes.
    static let outputSplitPixels = 64

    /// Channels-last in every precision (`mixed`'s Winograd convolutions reorder to and
    /// from their blocked layout).
    public var prefersChannelsLast: Bool { true }

    /// `mixed`: oneDNN's Winograd (F(4x4, 3x3)) where it would be asked for; bf16:
    /// `WinogradConvolution`'s F(2x2, 3x3); else direct.
    public func conv3x3Multiplications(channels c: Int, outputs oc: Int, height: Int, width: Int) -> Double {
        switch precision {
        case .mixed where DNNLConvolution.winogradCandidate(channels: c, outputs: oc, kh: 3, kw: 3, width: width):
            return 2.25
        case .bf16 where WinogradConvolution.supports(channels: c, outputs: oc, kh: 3, kw: 3, options: Conv2dOptions(padding: (1, 1)),
                                                      outputHeight: height, outputWidth: width):
            return 4
        default:
            return 9
        }
    }

    /// Fewest outputs per phase run as four convs (`upsampledConv2x`). Per upsampled conv,
    /// bf16, this VM (docs/BENCHMARKS.md): 1,280 channels on 8x8 input 7.3 against 8.9 ms,
    /// 640 on 16x16 7.3 against 8.4, 128 on 64x64 5.6 against 5.9; but TAESD's 64 channels
    /// on 64x64 2.1 against 1.9 ms.
    static let phaseMinOutputs = 128

    /// On channels-last input with zero padding, each of the four phases is its own 2x2
    /// conv over exactly the H x W pixels it keeps (padded by one pixel on the two sides it
    /// reads past), written straight into its place in the interleaved output; a worker
    /// takes whole phases, each with a quarter of the weights. The one conv with 4O outputs
    /// computes (H + 1)(W + 1) pixels per phase instead: 81 for 64 on an 8x8 input, 25 for
    /// 16 on a 4x4 one. Circular padding and convolutions `NarrowConvolution` runs keep that
    /// one conv, and so do phases under `phaseMinOutputs` outputs.
    public func upsampledConv2x(_ x: Tensor, phases: Tensor, bias: Tensor?, options o: Conv2dOptions,
                                channelsLast last: Bool) -> Tensor {
        let (c, outputs) = (phases.shape[1], phases.shape[0])
        guard last, x.rank == 4, x.shape[3] == c, phases.rank == 4, phases.shape[2] == 2, phases.shape[3] == 2,
              outputs % 4 == 0, outputs / 4 >= Self.phaseMinOutputs, o.stride == (1, 1), o.padding == (1, 1),
              o.paddingModeY == .zeros, o.paddingModeX == .zeros,
              !NarrowConvolution.supports(channels: c, outputs: outputs, kh: 2, kw: 2, options: o) else {
            return phasesAsOneConv(x, phases: phases, bias: bias, options: o, channelsLast: last)
        }
        if let bias { precondition(bias.count == outputs, "upsampledConv2x: bias has \(bias.count) values for \(outputs) outputs") }
        let (n, h, w, oc) = (x.shape[0], x.shape[1], x.shape[2], outputs / 4)
        let out = Tensor(uninitialized: [n, 2 * h, 2 * w, oc])
        let parts = OutputParts.shared.parts(phases, bias: bias, count: 4, releasePlain: releasesPlainWeights)
        let workers = outputs * h * w * c * 4 >= OpenBLASBackend.parallelFlops ? min(Parallel.workers, 4) : 1
        Parallel.tasks(workers, workers: workers) { worker in
            for phase in stride(from: worker, to: 4, by: workers) {
                let (a, b) = (phase / 2, phase % 2)
                // Phase (a, b) reads input rows i - 1 + a ... i + a and columns j - 1 + b ... j + b.
                let g = DNNLConvolution.Geometry(
                    n: n, c: c, h: h, w: w, oc: oc, kh: 2, kw: 2, strideY: 1, strideX: 1,
                    padTop: 1 - a, padBottom: a, padLeft: 1 - b, padRight: b,
                    bias: bias != nil, sourcePlane: h * w, outputPlane: 2 * h * w, staged: false, band: worker,
                    precision: precision, channelsLast: true, outputStride: 2 * oc, outputRowStride: 4 * w * oc)
                DNNLPrimitives.convolutions.primitive(for: g).run(
                    src: x.data, weight: parts.weights[phase], bias: parts.biases?[phase], residual: nil,
                    dst: out.data + (a * 2 * w + b) * oc, releasePlain: releasesPlainWeights)
            }
        }
        return out
    }

    private func convolve(_ x: Tensor, weight: Tensor, bias: Tensor?, options o: Conv2dOptions, epilogue: ConvEpilogue,
                          channelsLast last: Bool) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d expects x \(last ? "[N,H,W,C]" : "[N,C,H,W]") and weight [O,C,kh,kw], got \(x.shape), \(weight.shape)")
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let (n, c, h, w) = last ? (x.shape[0], x.shape[3], x.shape[1], x.shape[2]) : (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oc = weight.shape[0]
        precondition(weight.shape[1] == c, "conv2d: input has \(c) channels, weight expects \(weight.shape[1])")
        if let bias { precondition(bias.count == oc, "conv2d: bias has \(bias.count) values for \(oc) outputs") }
        let (ho, wo) = o.outputSize(height: h, width: w, kh: kh, kw: kw)
        precondition(ho > 0 && wo > 0, "conv2d: empty output for input \(x.shape), kernel \(kh)x\(kw)")
        if last && NarrowConvolution.supports(channels: c, outputs: oc, kh: kh, kw: kw, options: o) {
            DNNLWeightCache.shared.restorePlain(weight)  // a no-op unless oneDNN released it
            let out = NarrowConvolution.convolve(x, weight: weight, bias: bias, options: o)
            epilogue.apply(to: out)
            return out
        }
        if last && precision == .bf16
            && WinogradConvolution.supports(channels: c, outputs: oc, kh: kh, kw: kw, options: o, outputHeight: ho, outputWidth: wo) {
            return WinogradConvolution.convolve(x, weight: weight, bias: bias, options: o, epilogue: epilogue,
                                                releasePlain: releasesPlainWeights)
        }
        let (py, px) = o.padding
        // oneDNN pads with zeros only: a circular axis is padded by copying each band's
        // input, wrapped, into the primitive's staging buffer.
        let wrapY = o.paddingModeY == .circular && py > 0, wrapX = o.paddingModeX == .circular && px > 0
        let out = Tensor(uninitialized: last ? [n, ho, wo, oc] : [n, oc, ho, wo])
        if let r = epilogue.residual { precondition(r.shape == out.shape, "conv2d: residual \(r.shape) vs output \(out.shape)") }
        let residual = epilogue.residual.map { UnsafePointer($0.data) }
        // Bands of output rows, one per worker when the convolution is big enough to share.
        let work = oc * ho * wo * c * kh * kw
        let bands = work >= OpenBLASBackend.parallelFlops ? min(Parallel.workers, ho) : 1
        let rowsPerBand = (ho + bands - 1) / bands
        // Floats from one row to the next, input and output.
        let (inRow, outRow) = last ? (w * c, wo * oc) : (w, wo)
        let (src, dst) = (x.data, out.data)
        // Output rows r0..<r1 and channels `channel ..< channel + outputs` (all but on small planes).
        func band(_ band: Int, rows r0: Int, _ r1: Int, weight: Tensor, bias: Tensor?, outputs: Int, channel: Int) {
            // Input rows this band reads (in unpadded coordinates, may lie outside 0..<h).
            let first = r0 * o.stride.0 - py, lastRow = (r1 - 1) * o.stride.0 - py + kh
            let rows = wrapY ? (first..<lastRow) : (max(first, 0)..<min(lastRow, h))
            let g = DNNLConvolution.Geometry(
                n: n, c: c, h: rows.count, w: wrapX ? w + 2 * px : w, oc: outputs, kh: kh, kw: kw,
                strideY: o.stride.0, strideX: o.stride.1,
                padTop: wrapY ? 0 : max(0, -first), padBottom: wrapY ? 0 : max(0, lastRow - h),
                padLeft: wrapX ? 0 : px, padRight: wrapX ? 0 : px,
                bias: bias != nil, sourcePlane: h * w, outputPlane: ho * wo, staged: wrapY || wrapX, band: band,
                precision: precision, residual: residual != nil, relu: epilogue.relu, channelsLast: last,
                outputStride: outputs == oc ? 0 : oc)
            let conv = DNNLPrimitives.convolutions.primitive(for: g)
            let bandResidual = residual.map { $0 + r0 * outRow + channel }
            if g.staged {
                conv.run(fill: {
                    if last {
                        Self.stageChannelsLast(src, images: n, height: h, width: w, channels: c, rows: rows, wrapX: wrapX ? px : 0, into: $0)
                    } else {
                        Self.stage(src, planes: n * c, height: h, width: w, rows: rows, wrapX: wrapX ? px : 0, into: $0)
                    }
                }, weight: weight, bias: bias, residual: bandResidual, dst: dst + r0 * outRow + channel, releasePlain: releasesPlainWeights)
            } else {
                conv.run(src: src + rows.lowerBound * inRow, weight: weight, bias: bias, residual: bandResidual,
                         dst: dst + r0 * outRow + channel, releasePlain: releasesPlainWeights)
            }
        }
        if last && precision == .bf16 && bands >= 2 && ho * wo <= Self.outputSplitPixels && oc % 32 == 0 {
            // Small planes: each worker computes half of the output channels from half of
            // the weights, where bands of rows would each read all of them.
            let halves = OutputParts.shared.parts(weight, bias: bias, count: 2, releasePlain: releasesPlainWeights)
            Parallel.tasks(2, workers: 2) { half in
                band(half, rows: 0, ho, weight: halves.weights[half], bias: halves.biases?[half], outputs: oc / 2, channel: half * oc / 2)
            }
        } else {
            Parallel.tasks(bands, workers: bands) { b in
                let r0 = b * rowsPerBand, r1 = min(ho, r0 + rowsPerBand)
                if r0 < r1 { band(b, rows: r0, r1, weight: weight, bias: bias, outputs: oc, channel: 0) }
            }
        }
        return out
    }

    /// `stage` for channels-last [N, H, W, C] input: rows of `width * channels` floats,
    /// each extended by `wrapX` pixels from the opposite edge per side.
    static func stageChannelsLast(_ src: UnsafePointer<Float>, images: Int, height h: Int, width w: Int, channels c: Int,
                                  rows: Range<Int>, wrapX px: Int, into buffer: UnsafeMutablePointer<Float>) {
        let row = w * c
        var to = buffer
        for i in 0..<images {
            let image = src + i * h * row
            for r in rows {
                let line = image + ((r % h) + h) % h * row
                for k in 0..<px {
                    (to + (px - 1 - k) * c).update(from: line + ((w - 1 - k) % w + w) % w * c, count: c)
                    (to + (px + w + k) * c).update(from: line + (k % w) * c, count: c)
                }
                (to + px * c).update(from: line, count: row)
                to += row + 2 * px * c
            }
        }
    }

    /// Copies input `rows` (indices taken modulo `height`) of every plane into the dense
    /// staging buffer, each row extended by `wrapX` columns from the opposite edge per side.
    static func stage(_ src: UnsafePointer<Float>, planes: Int, height h: Int, width w: Int, rows: Range<Int>,
                      wrapX px: Int, into buffer: UnsafeMutablePointer<Float>) {
        let wp = w + 2 * px
        var to = buffer
        for p in 0..<planes {
            let plane = src + p * h * w
            for r in rows {
                PaddedRow.copy(plane + ((r % h) + h) % h * w, width: w, pad: px, mode: .circular, into: to)
                to += wp
            }
        }
    }

    /// The kernels oneDNN chose so far, e.g. "convolutions: jit:avx512_core x 40,
    /// jit_fp32_wino_2x3:avx512_core x 12" (one primitive per band geometry).
    public static var kernelSummary: String {
        func list(_ d: [String: Int]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key) x \($0.value)" }.joined(separator: ", ") }
        let matmuls = DNNLPrimitives.matmuls.implementations, attention = DNNLPrimitives.stridedMatmuls.implementations
        let softmaxes = DNNLPrimitives.softmaxes.implementations
        let winograd = DNNLPrimitives.batchedMatmuls.implementations
        return "convolutions: " + list(DNNLPrimitives.convolutions.implementations)
            + (matmuls.isEmpty ? "" : "; matmuls: " + list(matmuls)) + (attention.isEmpty ? "" : "; attention matmuls: " + list(attention))
            + (softmaxes.isEmpty ? "" : "; softmax: " + list(softmaxes))
            + (winograd.isEmpty ? "" : "; bf16 Winograd products: " + list(winograd)
                + (WinogradConvolution.usesAVX512Transforms ? " (AVX-512 transforms)" : " (Swift transforms)"))
    }

    /// Convolution primitives built with the Winograd algorithm so far (kept in the cache).
    public static var winogradPrimitives: Int {
        DNNLPrimitives.convolutions.implementations.filter { $0.key.contains("wino") }.values.reduce(0, +)
    }

    /// Linear layers run as oneDNN matmuls (`DNNLMatmul`: bf16 operands in bf16 mode, fp32
    /// otherwise) on weights packed once, in bands of rows on Tessera's workers.
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let (rows, n, k) = OpenBLASBackend.linearShape(x, weight: weight, bias: bias)
        let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [n])
        bands(rows: rows, work: rows * k * n) { band, r0, m in
            let g = DNNLMatmul.Geometry(m: m, k: k, n: n, bias: bias != nil, band: band, bf16: precision == .bf16)
            DNNLPrimitives.matmuls.primitive(for: g).run(src: x.data + r0 * k, weight: weight, bias: bias, out: out.data + r0 * n,
                                                         releasePlain: releasesPlainWeights)
        }
        return out
    }

    /// Several linear layers over the same input (Q, K and V): one dispatch of bands, and
    /// in bf16 each band's rows converted once for all of them.
    public func linears(_ x: Tensor, _ layers: [(weight: Tensor, bias: Tensor?)]) -> [Tensor] {
        let shapes = layers.map { OpenBLASBackend.linearShape(x, weight: $0.weight, bias: $0.bias) }
        let outs = shapes.map { Tensor(uninitialized: Array(x.shape.dropLast()) + [$0.1]) }
        guard let (rows, _, k) = shapes.first else { return [] }
        bands(rows: rows, work: rows * k * shapes.reduce(0) { $0 + $1.1 }) { band, r0, m in
            let primitives = layers.map {
                DNNLPrimitives.matmuls.primitive(for: DNNLMatmul.Geometry(m: m, k: k, n: $0.weight.shape[0], bias: $0.bias != nil,
                                                                          band: band, bf16: precision == .bf16))
            }
            primitives[0].withConvertedSource(x.data + r0 * k) { converted in
                for (i, layer) in layers.enumerated() {
                    let n = outs[i].shape.last!
                    primitives[i].run(src: x.data + r0 * k, converted: converted, weight: layer.weight, bias: layer.bias,
                                      out: outs[i].data + r0 * n, releasePlain: releasesPlainWeights)
                }
            }
        }
        return outs
    }

    /// GEGLU as two matmuls per band: the gate's with oneDNN's erf GELU as a post-op into a
    /// pooled buffer, then the value's with a product by that buffer as a post-op. No pass
    /// over memory of its own, and no [rows, 2 x inner] intermediate.
    public func gatedLinear(_ x: Tensor, value: Tensor, valueBias: Tensor?, gate: Tensor, gateBias: Tensor?) -> Tensor {
        let (rows, n, k) = OpenBLASBackend.linearShape(x, weight: value, bias: valueBias)
        precondition(gate.shape == value.shape && (gateBias == nil) == (valueBias == nil), "GEGLU halves differ")
        let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [n])
        bands(rows: rows, work: 2 * rows * k * n) { band, r0, m in
            var g = DNNLMatmul.Geometry(m: m, k: k, n: n, bias: valueBias != nil, band: band, bf16: precision == .bf16,
                                        epilogue: .gelu)
            let gelu = DNNLPrimitives.matmuls.primitive(for: g)
            g.epilogue = .multiply
            let product = DNNLPrimitives.matmuls.primitive(for: g)
            let gated = BufferPool.shared.acquire(m * n)
            defer { BufferPool.shared.release(gated, count: m * n) }
            gelu.withConvertedSource(x.data + r0 * k) { converted in
                gelu.run(src: x.data + r0 * k, converted: converted, weight: gate, bias: gateBias, out: gated,
                         releasePlain: releasesPlainWeights)
                product.run(src: x.data + r0 * k, converted: converted, weight: value, bias: valueBias, out: out.data + r0 * n,
                            multiplier: gated, releasePlain: releasesPlainWeights)
            }
        }
        return out
    }

    /// Splits `rows` into bands over the workers (one band under `parallelFlops` of `work`)
    /// and calls `body` with each band's index, first row and row count.
    private func bands(rows: Int, work: Int, _ body: (_ band: Int, _ r0: Int, _ m: Int) -> Void) {
        guard rows > 0 else { return }
        let bands = work >= OpenBLASBackend.parallelFlops ? min(Parallel.workers, rows) : 1
        let per = (rows + bands - 1) / bands
        Parallel.tasks(bands, workers: bands) { band in
            let r0 = band * per, m = min(rows, r0 + per) - r0
            if m > 0 { body(band, r0, m) }
        }
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool) -> Tensor {
        reference.matmul(a, b, transposeB: transposeB)
    }

    /// Attention on oneDNN's matmuls and softmax (`DNNLAttention`).
    public func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Bool) -> Tensor {
        DNNLAttention.attention(q: q, k: k, v: v, heads: heads, causal: causal, bf16: precision == .bf16)
    }
}
