import Foundation
import XCTest
@testable import TesseraTensor

/// The oneDNN backend against the OpenBLAS reference and a naive convolution.
final class DNNLBackendTests: XCTestCase {
    private var values = RandomTensors(seed: 11)
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor { values.tensor(shape, scale: scale) }

    private func worst(_ a: Tensor, _ b: Tensor) -> Float { maxDifference(a, b) }

    /// Every geometry the models use: 3x3 with zero, circular and mixed padding, stride 2,
    /// 1x1, a batch of two, with and without bias, and channel counts that are not
    /// multiples of oneDNN's block size.
    func testConvolutionsMatchTheReference() {
        let dnnl = DNNLBackend(), blas = OpenBLASBackend()
        let cases: [([Int], [Int], Conv2dOptions, Bool)] = [
            ([1, 24, 20, 20], [24, 24, 3, 3], Conv2dOptions(padding: (1, 1)), true),
            ([1, 16, 16, 16], [32, 16, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular), true),
            ([2, 8, 9, 13], [5, 8, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeX: .circular), false),
            ([1, 32, 16, 16], [32, 32, 3, 3], Conv2dOptions(stride: (2, 2), padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular), true),
            ([1, 64, 8, 8], [128, 64, 1, 1], Conv2dOptions(), true),
            ([1, 3, 32, 32], [24, 3, 3, 3], Conv2dOptions(padding: (1, 1)), true),
            // Padding larger than the input: the wrap is modulo the size.
            ([1, 16, 1, 1], [16, 16, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular), true),
        ]
        for (xs, ws, o, hasBias) in cases {
            let x = random(xs), w = random(ws, scale: 0.2)
            let b = hasBias ? random([ws[0]]) : nil
            let got = dnnl.conv2d(x, weight: w, bias: b, options: o)
            let ref = blas.conv2d(x, weight: w, bias: b, options: o)
            XCTAssertLessThan(worst(got, ref), 1e-4, "x \(xs) w \(ws) \(o)")
            // A second call reuses the cached primitive and reordered weights.
            XCTAssertEqual(dnnl.conv2d(x, weight: w, bias: b, options: o).scalars, got.scalars, "x \(xs) w \(ws) \(o)")
        }
    }

    /// Fused epilogues (residual sum, ReLU, both) match the reference's unfused ones, on
    /// zero- and circular-padded, single- and multi-band convolutions, in every precision
    /// this CPU runs; the residual's values must survive unchanged.
    func testFusedEpiloguesMatchTheReference() {
        let saved = Parallel.workerOverride
        Parallel.workerOverride = 3
        defer { Parallel.workerOverride = saved }
        let blas = OpenBLASBackend()
        let precisions = ComputePrecision.allCases.filter { $0.isSupported(isa: DNNLBackend.isa) }
        let cases: [([Int], [Int], Conv2dOptions)] = [
            ([1, 16, 23, 19], [16, 16, 3, 3], Conv2dOptions(padding: (1, 1))),
            ([1, 32, 40, 40], [32, 32, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)),
            ([2, 24, 9, 13], [24, 24, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeX: .circular)),
            ([1, 64, 8, 8], [32, 64, 1, 1], Conv2dOptions()),
        ]
        for precision in precisions {
            let dnnl = DNNLBackend(precision: precision)
            // bf16 rounds the inputs to 8 mantissa bits.
            let bound: Float = precision == .bf16 ? 2e-2 : 1e-3
            for (xs, ws, o) in cases {
                let x = random(xs), w = random(ws, scale: 1 / Float(ws[1] * ws[2] * ws[3]).squareRoot()), b = random([ws[0]])
                let (ho, wo) = o.outputSize(height: xs[2], width: xs[3], kh: ws[2], kw: ws[3])
                let residual = random([xs[0], ws[0], ho, wo])
                let kept = residual.scalars
                for epilogue in [ConvEpilogue.relu, ConvEpilogue(residual: residual), ConvEpilogue(residual: residual, relu: true)] {
                    let got = dnnl.conv2d(x, weight: w, bias: b, options: o, epilogue: epilogue)
                    let ref = blas.conv2d(x, weight: w, bias: b, options: o, epilogue: epilogue)
                    let label = "\(precision) x \(xs) w \(ws) residual \(epilogue.residual != nil) relu \(epilogue.relu)"
                    XCTAssertLessThan(worst(got, ref), bound, label)
                    if epilogue.relu { XCTAssertEqual(got.scalars.min(), 0, label) }
                    XCTAssertEqual(residual.scalars, kept, label)
                }
            }
        }
    }

    /// Channels-last convolutions (every precision this CPU runs, zero and circular padding,
    /// stride 2, 1x1, a batch of two, three bands, fused epilogues) match the reference on
    /// the transposed tensors; fp32 primitives for one image read and write in place.
    func testChannelsLastMatchesTheReference() {
        let saved = Parallel.workerOverride
        Parallel.workerOverride = 3
        defer { Parallel.workerOverride = saved }
        let blas = OpenBLASBackend()
        let cases: [([Int], [Int], Conv2dOptions)] = [
            ([1, 16, 23, 19], [32, 16, 3, 3], Conv2dOptions(padding: (1, 1))),
            ([1, 32, 40, 40], [32, 32, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)),
            ([2, 24, 9, 13], [24, 24, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeX: .circular)),
            ([1, 16, 17, 17], [16, 16, 3, 3], Conv2dOptions(stride: (2, 2), padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)),
            ([1, 64, 8, 8], [3, 64, 1, 1], Conv2dOptions()),
            // Small planes: bf16 splits the output channels between workers (`OutputParts`).
            ([1, 64, 8, 8], [64, 64, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)),
            ([2, 64, 6, 5], [64, 64, 3, 3], Conv2dOptions(padding: (1, 1))),
            // Few outputs: NarrowConvolution, not oneDNN.
            ([2, 24, 9, 13], [3, 24, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeX: .circular)),
            ([1, 64, 12, 10], [4, 64, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)),
        ]
        for precision in ComputePrecision.allCases where precision.isSupported(isa: DNNLBackend.isa) {
            let dnnl = DNNLBackend(precision: precision)
            let bound: Float = precision == .bf16 ? 2e-2 : 1e-4
            for (xs, ws, o) in cases {
                let x = random(xs), w = random(ws, scale: 1 / Float(ws[1] * ws[2] * ws[3]).squareRoot()), b = random([ws[0]])
                let (ho, wo) = o.outputSize(height: xs[2], width: xs[3], kh: ws[2], kw: ws[3])
                let residual = random([xs[0], ws[0], ho, wo])
                for epilogue in [ConvEpilogue.none, ConvEpilogue(residual: residual, relu: true)] {
                    let ref = blas.conv2d(x, weight: w, bias: b, options: o, epilogue: epilogue)
                    let lastEpilogue = ConvEpilogue(residual: epilogue.residual.map(Ops.toChannelsLast), relu: epilogue.relu)
                    let got = dnnl.conv2dChannelsLast(Ops.toChannelsLast(x), weight: w, bias: b, options: o, epilogue: lastEpilogue)
                    XCTAssertEqual(got.shape, [xs[0], ho, wo, ws[0]])
                    XCTAssertLessThan(worst(Ops.toChannelsFirst(got), ref), bound, "\(precision) x \(xs) w \(ws) \(o) residual \(epilogue.residual != nil)")
                }
            }
        }
        var g = geometry(c: 32, oc: 32, h: 16, precision: .fp32)
        g.channelsLast = true
        let conv = DNNLConvolution(g)
        XCTAssertTrue(conv.readsDirectly && conv.writesDirectly, "chosen: \(conv.implementation)")
        XCTAssertFalse(DNNLConvolution(geometry(c: 32, oc: 32, h: 16, precision: .fp32)).writesDirectly)
    }

    /// oneDNN's upsampled convs (each phase on its own pixels, written into the interleaved
    /// output; and the one-conv form it keeps for circular padding and few outputs) match
    /// the reference's one conv with 4O outputs: a batch of two, a plane that is not
    /// square, with and without bias, every precision this CPU runs.
    func testUpsampledConvPhasesMatchTheReference() {
        let blas = OpenBLASBackend()
        let cases: [(x: [Int], outputs: Int, bias: Bool, options: Conv2dOptions)] = [
            ([2, 5, 3, 32], 128, true, Conv2dOptions(padding: (1, 1))),
            ([1, 4, 4, 64], 256, false, Conv2dOptions(padding: (1, 1))),
            ([1, 6, 4, 32], 128, true, Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)),
            ([1, 6, 7, 32], 32, true, Conv2dOptions(padding: (1, 1))),
        ]
        for precision in ComputePrecision.allCases where precision.isSupported(isa: DNNLBackend.isa) {
            let dnnl = DNNLBackend(precision: precision)
            let bound: Float = precision == .bf16 ? 2e-2 : 1e-4
            for (xs, o, hasBias, options) in cases {
                let c = xs[3]
                let x = random(xs), w = random([4 * o, c, 2, 2], scale: 1 / Float(4 * c).squareRoot())
                let b = hasBias ? random([4 * o]) : nil
                let ref = blas.phasesAsOneConv(x, phases: w, bias: b, options: options, channelsLast: true)
                let got = dnnl.upsampledConv2x(x, phases: w, bias: b, options: options, channelsLast: true)
                XCTAssertEqual(got.shape, [xs[0], 2 * xs[1], 2 * xs[2], o])
                XCTAssertLessThan(worst(got, ref), bound, "\(precision) x \(xs) outputs \(o) \(options)")
            }
        }
    }

    func testChannelsLastUpsamplingAndTransposes() {
        let x = random([2, 3, 4, 5])
        XCTAssertEqual(Ops.toChannelsFirst(Ops.toChannelsLast(x)).scalars, x.scalars)
        XCTAssertEqual(Ops.toChannelsLast(x)[1, 2, 3, 0], x[1, 0, 2, 3])
        XCTAssertEqual(Ops.upsampleNearest2xChannelsLast(Ops.toChannelsLast(x)).scalars,
                       Ops.toChannelsLast(Ops.upsampleNearest2x(x)).scalars)
    }

    /// The channels-last kernels the UNet uses agree with their channels-first originals:
    /// group norm (with SiLU, a large mean, and pixel bands split over three workers),
    /// per-sample broadcasts, concatenation and resizing to an odd size.
    func testChannelsLastNormsConcatAndBroadcasts() {
        let saved = Parallel.workerOverride
        Parallel.workerOverride = 3
        defer { Parallel.workerOverride = saved }
        let x = Ops.affine(random([2, 64, 72, 60]), scale: 3, shift: 100)
        let (w, b) = (random([64]), random([64]))
        let first = Ops.groupNorm(x, groups: 16, weight: w, bias: b, eps: 1e-5, activation: .silu)
        let last = Ops.groupNormChannelsLast(Ops.toChannelsLast(x), groups: 16, weight: w, bias: b, eps: 1e-5, activation: .silu)
        XCTAssertLessThanOrEqual(worst(Ops.toChannelsFirst(last), first), 2e-5)
        XCTAssertGreaterThan(first.scalars.map(abs).max()!, 1, "normalised values are of order 1")

        let small = random([2, 6, 5, 7]), other = random([2, 3, 5, 7]), perSample = random([2, 6])
        XCTAssertEqual(Ops.addPerSampleChannelsLast(Ops.toChannelsLast(small), perSample).scalars,
                       Ops.toChannelsLast(Ops.addPerSample(small, perSample)).scalars)
        XCTAssertEqual(Ops.concatLast([Ops.toChannelsLast(small), Ops.toChannelsLast(other)]).scalars,
                       Ops.toChannelsLast(Ops.concatChannels([small, other])).scalars)
        XCTAssertEqual(Ops.upsampleNearestChannelsLast(Ops.toChannelsLast(small), height: 11, width: 13).scalars,
                       Ops.toChannelsLast(Ops.upsampleNearest(small, height: 11, width: 13)).scalars)
    }

    /// bf16 attention: causal and not, cross-attention, ragged query blocks on three workers;
    /// outputs (weighted means of V, of order 1) within a few hundredths of the reference.
    func testBF16AttentionStaysWithinItsBound() throws {
        try XCTSkipUnless(ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa), "bf16 needs AVX512_BF16; this CPU: \(DNNLBackend.isa)")
        let (savedWorkers, savedBlock) = (Parallel.workerOverride, OpenBLASBackend.attentionBlockFloats)
        Parallel.workerOverride = 3
        OpenBLASBackend.attentionBlockFloats = 1 << 12
        defer { Parallel.workerOverride = savedWorkers; OpenBLASBackend.attentionBlockFloats = savedBlock }
        let bf16 = DNNLBackend(precision: .bf16), blas = OpenBLASBackend()
        for (b, lq, lk, dim, heads, causal) in [(2, 77, 77, 64, 2, true), (1, 301, 301, 80, 2, false), (2, 64, 77, 128, 4, false)] {
            let q = random([b, lq, dim]), k = random([b, lk, dim]), v = random([b, lk, dim])
            let got = bf16.attention(q: q, k: k, v: v, heads: heads, causal: causal)
            let ref = blas.attention(q: q, k: k, v: v, heads: heads, causal: causal)
            let err = worst(got, ref)
            XCTAssertGreaterThan(err, 1e-6, "bf16 rounding must show: is bf16 really used?")
            XCTAssertLessThan(err, 3e-2, "b \(b) lq \(lq) lk \(lk) dim \(dim) heads \(heads) causal \(causal)")
        }
        // Head-major bf16 operands get oneDNN's JIT kernels (brgemm), never its reference loops.
        XCTAssertTrue(DNNLPrimitives.stridedMatmuls.implementations.keys.allSatisfy { !$0.contains("ref") },
                      "\(DNNLPrimitives.stridedMatmuls.implementations)")
    }

    /// Attention whose scores are too large for exp without the max shift
    /// (`BoundedScores`) takes the softmax instead, block by block: queries scaled by 40
    /// in the first half of the rows, by 1 in the rest, so one call mixes both paths; in
    /// fp32 within fp32 rounding of the reference, in bf16 within its bounds above.
    func testAttentionWithLargeScoresFallsBackToTheSoftmax() {
        let (savedWorkers, savedBlock) = (Parallel.workerOverride, OpenBLASBackend.attentionBlockFloats)
        Parallel.workerOverride = 2
        OpenBLASBackend.attentionBlockFloats = 1 << 12
        defer { Parallel.workerOverride = savedWorkers; OpenBLASBackend.attentionBlockFloats = savedBlock }
        let (lq, lk, dim, heads) = (160, 96, 64, 2)
        let q = random([1, lq, dim]), k = random([1, lk, dim]), v = random([1, lk, dim])
        for i in 0..<(lq / 2 * dim) { q.data[i] *= 40 }
        // The first rows' scores can reach 40 |q| |k| / 8, beyond the limit; the last rows' cannot.
        let scale = 1 / Float(dim / heads).squareRoot()
        let keys = BoundedScores.maxNorm(k.data, rows: lk, stride: dim, count: dim / heads)
        XCTAssertFalse(BoundedScores.allows(query: scale * BoundedScores.maxNorm(q.data, rows: 1, stride: dim, count: dim / heads), key: keys))
        XCTAssertTrue(BoundedScores.allows(query: scale * BoundedScores.maxNorm(q.data + (lq - 1) * dim, rows: 1, stride: dim, count: dim / heads),
                                           key: keys))
        let ref = OpenBLASBackend().attention(q: q, k: k, v: v, heads: heads, causal: false)
        let bf16 = ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa)
        for (precision, largeBound, smallBound) in [(ComputePrecision.fp32, Float(1e-4), Float(1e-5))] + (bf16 ? [(.bf16, 0.1, 3e-2)] : []) {
            let got = DNNLBackend(precision: precision).attention(q: q, k: k, v: v, heads: heads, causal: false)
            XCTAssertFalse(got.scalars.contains { !$0.isFinite }, "no overflow to inf or NaN")
            let half = lq / 2 * dim
            var (large, small): (Float, Float) = (0, 0)
            for i in 0..<got.count { if i < half { large = max(large, abs(got.data[i] - ref.data[i])) } else { small = max(small, abs(got.data[i] - ref.data[i])) } }
            XCTAssertLessThan(large, largeBound, "\(precision): large scores (softmax path)")
            XCTAssertLessThan(small, smallBound, "\(precision): bounded scores (exp in the matmul)")
        }
        // Values near fp32's range: unnormalised sums would overflow, so every block takes
        // the softmax and the outputs (weighted means) stay finite.
        let huge = Tensor(shape: v.shape, values: v.scalars.map { abs($0) * 1e37 })
        let small = Tensor(shape: q.shape, values: q.scalars.enumerated().map { $0.offset < lq / 2 * dim ? $0.element / 40 : $0.element })
        let hugeRef = OpenBLASBackend().attention(q: small, k: k, v: huge, heads: heads, causal: false)
        let hugeGot = DNNLBackend().attention(q: small, k: k, v: huge, heads: heads, causal: false)
        XCTAssertFalse(hugeGot.scalars.contains { !$0.isFinite }, "no overflow in PV")
        XCTAssertLessThan(worst(hugeGot, hugeRef) / 1e37, 1e-5)
    }

    /// fp32 attention on oneDNN's matmuls and softmax (Tessera's under a causal mask): the
    /// same cases as bf16, within fp32 rounding.
    func testFP32AttentionMatchesTheReference() {
        let (savedWorkers, savedBlock) = (Parallel.workerOverride, OpenBLASBackend.attentionBlockFloats)
        Parallel.workerOverride = 3
        OpenBLASBackend.attentionBlockFloats = 1 << 12
        defer { Parallel.workerOverride = savedWorkers; OpenBLASBackend.attentionBlockFloats = savedBlock }
        let dnnl = DNNLBackend(), blas = OpenBLASBackend()
        for (b, lq, lk, dim, heads, causal) in [(2, 77, 77, 64, 2, true), (1, 301, 301, 80, 2, false), (2, 64, 77, 128, 4, false)] {
            let q = random([b, lq, dim]), k = random([b, lk, dim]), v = random([b, lk, dim])
            let got = dnnl.attention(q: q, k: k, v: v, heads: heads, causal: causal)
            let ref = blas.attention(q: q, k: k, v: v, heads: heads, causal: causal)
            XCTAssertLessThan(worst(got, ref), 1e-5, "b \(b) lq \(lq) lk \(lk) dim \(dim) heads \(heads) causal \(causal)")
        }
        // Strided fp32 shapes (Kᵀ read column-wise, V row-wise) get JIT kernels; the dense
        // ones attention uses a brgemm kernel where the CPU has AVX-512.
        for g in [DNNLStridedMatmul.Geometry(m: 40, k: 64, n: 77, lda: 320, bStrideK: 1, bStrideN: 320, ldc: 77, band: 0, bf16: false),
                  DNNLStridedMatmul.Geometry(m: 40, k: 77, n: 64, lda: 77, bStrideK: 320, bStrideN: 1, ldc: 320, band: 0, bf16: false)] {
            let name = DNNLStridedMatmul(g).implementation
            XCTAssertFalse(name.contains("ref"), name)
        }
        let dense = DNNLStridedMatmul(DNNLStridedMatmul.Geometry(m: 40, k: 77, n: 64, lda: 77, bStrideK: 64, bStrideN: 1, ldc: 64,
                                                                  band: 0, bf16: false)).implementation
        XCTAssertFalse(dense.contains("ref"), dense)
        if DNNLBackend.isa.hasPrefix("avx512") { XCTAssertTrue(dense.hasPrefix("brg"), dense) }
        // So does the softmax between them, into fp32 and (where the CPU has it) into bf16.
        for bf16 in ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa) ? [false, true] : [false] {
            let name = DNNLSoftmax(DNNLSoftmax.Geometry(rows: 40, cols: 77, bf16: bf16, band: 0)).implementation
            XCTAssertFalse(name.contains("ref"), name)
        }
    }

    /// The reference epilogue: the residual is added after the bias, ReLU comes last.
    func testReferenceEpilogueOrder() {
        let x = Tensor(shape: [1, 1, 1, 2], values: [1, -2]), w = Tensor(shape: [1, 1, 1, 1], values: [1])
        let b = Tensor(shape: [1], values: [0.5]), r = Tensor(shape: [1, 1, 1, 2], values: [-2, 1])
        let out = OpenBLASBackend().conv2d(x, weight: w, bias: b, options: Conv2dOptions(),
                                           epilogue: ConvEpilogue(residual: r, relu: true))
        XCTAssertEqual(out.scalars, [0, 0])
        let noRelu = OpenBLASBackend().conv2d(x, weight: w, bias: b, options: Conv2dOptions(), epilogue: ConvEpilogue(residual: r))
        XCTAssertEqual(noRelu.scalars, [-0.5, -0.5])
    }

    /// Three bands over odd row counts, with stride 2 and zero padding at the outer bands only.
    func testBandsCoverEveryOutputRowOnce() {
        let saved = Parallel.workerOverride
        Parallel.workerOverride = 3
        defer { Parallel.workerOverride = saved }
        let dnnl = DNNLBackend(), blas = OpenBLASBackend()
        for (xs, o) in [([1, 16, 23, 19], Conv2dOptions(padding: (1, 1))),
                        ([2, 16, 23, 19], Conv2dOptions(stride: (2, 2), padding: (1, 1))),
                        ([1, 16, 17, 17], Conv2dOptions(stride: (2, 2), padding: (1, 1), paddingModeY: .circular))] {
            let x = random(xs), w = random([32, 16, 3, 3], scale: 0.2), b = random([32])
            XCTAssertLessThan(worst(dnnl.conv2d(x, weight: w, bias: b, options: o), blas.conv2d(x, weight: w, bias: b, options: o)), 1e-4, "\(xs) \(o)")
        }
    }

    /// A different weight tensor of the same shape is reordered afresh, not served stale.
    func testNewWeightsOfTheSameShapeAreNotConfused() {
        let dnnl = DNNLBackend(), blas = OpenBLASBackend()
        let x = random([1, 8, 6, 6])
        for _ in 0..<3 {
            let w = random([8, 8, 3, 3])
            let o = Conv2dOptions(padding: (1, 1))
            XCTAssertLessThan(worst(dnnl.conv2d(x, weight: w, bias: nil, options: o), blas.conv2d(x, weight: w, bias: nil, options: o)), 1e-4)
        }
    }

    func testStagingWrapsRowsAndColumns() {
        let x: [Float] = [1, 2, 3, 4, 5, 6]  // one 2x3 plane
        var out = [Float](repeating: 0, count: 4 * 7)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { DNNLBackend.stage(src.baseAddress!, planes: 1, height: 2, width: 3, rows: -1..<3, wrapX: 2, into: $0.baseAddress!) }
        }
        XCTAssertEqual(out, [5, 6, 4, 5, 6, 4, 5,
                             2, 3, 1, 2, 3, 1, 2,
                             5, 6, 4, 5, 6, 4, 5,
                             2, 3, 1, 2, 3, 1, 2])
    }

    /// The primitive cache keeps at most its capacity, dropping the least recently used.
    func testPrimitiveCacheIsBounded() {
        let cache = DNNLPrimitiveCache<DNNLConvolution.Geometry, DNNLConvolution>(capacity: 2, make: { DNNLConvolution($0) },
                                                                                  name: { $0.implementation })
        func g(_ h: Int) -> DNNLConvolution.Geometry {
            DNNLConvolution.Geometry(n: 1, c: 8, h: h, w: 8, oc: 8, kh: 3, kw: 3, strideY: 1, strideX: 1,
                                     padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, bias: false,
                                     sourcePlane: h * 8, outputPlane: h * 8, staged: false, band: 0)
        }
        let first = cache.primitive(for: g(4))
        _ = cache.primitive(for: g(5))
        XCTAssertTrue(cache.primitive(for: g(4)) === first, "a hit returns the same primitive")
        _ = cache.primitive(for: g(6))  // evicts g(5), the least recently used
        XCTAssertEqual(cache.count, 2)
        XCTAssertTrue(cache.primitive(for: g(4)) === first)
    }

    private func geometry(c: Int, oc: Int, h: Int, precision: ComputePrecision) -> DNNLConvolution.Geometry {
        DNNLConvolution.Geometry(n: 1, c: c, h: h, w: h, oc: oc, kh: 3, kw: 3, strideY: 1, strideX: 1,
                                 padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, bias: true,
                                 sourcePlane: h * h, outputPlane: h * h, staged: false, band: 0, precision: precision)
    }

    /// `mixed` runs 3x3 stride-1 convolutions as Winograd where oneDNN has the kernel, and
    /// stays within 1e-3 of the reference (outputs of order 1).
    func testMixedPrecisionUsesWinogradWithinOneThousandth() throws {
        try XCTSkipUnless(ComputePrecision.mixed.isSupported(isa: DNNLBackend.isa), "Winograd needs AVX-512; this CPU: \(DNNLBackend.isa)")
        let conv = DNNLConvolution(geometry(c: 64, oc: 64, h: 32, precision: .mixed))
        XCTAssertTrue(conv.winograd, "chosen: \(conv.implementation)")
        XCTAssertFalse(DNNLConvolution(geometry(c: 64, oc: 64, h: 32, precision: .fp32)).winograd)
        let mixed = DNNLBackend(precision: .mixed), blas = OpenBLASBackend()
        for (c, o) in [(64, Conv2dOptions(padding: (1, 1))),
                       (32, Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular))] {
            let x = random([1, c, 24, 24]), w = random([64, c, 3, 3], scale: 1 / Float(3 * c).squareRoot()), b = random([64])
            let err = worst(mixed.conv2d(x, weight: w, bias: b, options: o), blas.conv2d(x, weight: w, bias: b, options: o))
            XCTAssertLessThan(err, 1e-3, "c \(c) \(o)")
        }
    }

    /// bf16 inputs keep 8 mantissa bits: errors of a few thousandths on outputs of order 1.
    func testBF16ConvolutionsStayWithinTheirBound() throws {
        try XCTSkipUnless(ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa), "bf16 needs AVX512_BF16; this CPU: \(DNNLBackend.isa)")
        XCTAssertTrue(DNNLConvolution(geometry(c: 32, oc: 32, h: 16, precision: .bf16)).implementation.contains("bf16"))
        let bf16 = DNNLBackend(precision: .bf16), blas = OpenBLASBackend()
        let x = random([1, 64, 20, 20]), w = random([32, 64, 3, 3], scale: 1 / 24), b = random([32])
        let o = Conv2dOptions(padding: (1, 1), paddingModeX: .circular)
        let err = worst(bf16.conv2d(x, weight: w, bias: b, options: o), blas.conv2d(x, weight: w, bias: b, options: o))
        XCTAssertGreaterThan(err, 1e-5, "bf16 rounding must show: is bf16 really used?")
        XCTAssertLessThan(err, 2e-2)
    }

    /// bf16 linear layers: bands of rows (ragged, rank 3 input), with and without bias.
    func testBF16LinearLayersStayWithinTheirBound() throws {
        try XCTSkipUnless(ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa), "bf16 needs AVX512_BF16; this CPU: \(DNNLBackend.isa)")
        let bf16 = DNNLBackend(precision: .bf16), blas = OpenBLASBackend()
        for (shape, n, hasBias) in [([2, 77, 96], 320, true), ([1, 3, 40], 24, false), ([257, 64], 64, true)] {
            let k = shape.last!
            let x = random(shape), w = random([n, k], scale: 1 / Float(k).squareRoot()), b = hasBias ? random([n]) : nil
            let got = bf16.linear(x, weight: w, bias: b), ref = blas.linear(x, weight: w, bias: b)
            XCTAssertEqual(got.shape, ref.shape)
            let err = worst(got, ref)
            XCTAssertGreaterThan(err, 1e-5, "bf16 rounding must show: is bf16 really used?")
            XCTAssertLessThan(err, 2e-2, "\(shape) x \(n)")
        }
        XCTAssertTrue(DNNLBackend.kernelSummary.contains("matmuls: "), DNNLBackend.kernelSummary)
    }

    /// fp32 linear layers run as oneDNN matmuls on packed weights: bands of rows (ragged,
    /// rank 3 input, a single row), with and without bias, within fp32 rounding of the
    /// reference; a released weight comes back exactly.
    func testFP32LinearLayersMatchTheReference() {
        let dnnl = DNNLBackend(releasingPlainWeights: true), blas = OpenBLASBackend()
        for (shape, n, hasBias) in [([2, 77, 96], 320, true), ([1, 3, 40], 24, false), ([257, 64], 64, true), ([1, 128], 512, true)] {
            let k = shape.last!
            let x = random(shape), w = random([n, k], scale: 1 / Float(k).squareRoot()), b = hasBias ? random([n]) : nil
            let got = dnnl.linear(x, weight: w, bias: b), ref = blas.linear(x, weight: w, bias: b)
            XCTAssertEqual(got.shape, ref.shape)
            XCTAssertLessThan(worst(got, ref), 1e-5, "\(shape) x \(n)")
        }
        XCTAssertTrue(DNNLBackend.kernelSummary.contains("matmuls: "), DNNLBackend.kernelSummary)
        let w = Tensor(shape: [320, 256], storage: TensorStorage(count: 320 * 256, pool: nil))
        let original = random(w.shape, scale: 0.05).scalars
        w.data.update(from: original, count: original.count)
        let x = random([2, 9, 256])
        let reference = blas.linear(x, weight: w, bias: nil)
        XCTAssertLessThan(worst(dnnl.linear(x, weight: w, bias: nil), reference), 1e-5)
        XCTAssertTrue(w.storage.pagesReleased)
        XCTAssertEqual(blas.linear(x, weight: w, bias: nil).scalars, reference.scalars)
        XCTAssertEqual(w.scalars, original)
    }

    /// Q, K and V over one input share its bands and its bf16 conversion: each result equals
    /// the single layer's bit for bit, in fp32 and bf16, on one band and several, with and
    /// without bias and with layers of different widths.
    func testLinearsOverOneInputMatchSingleLayers() throws {
        var backends = [DNNLBackend(releasingPlainWeights: true)]
        if ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa) { backends.append(DNNLBackend(precision: .bf16)) }
        for backend in backends {
            for (shape, widths, hasBias) in [([2, 77, 96], [320, 320, 320], true), ([1, 3, 40], [24, 8], false), ([257, 64], [64, 128, 64], true)] {
                let k = shape.last!
                let x = random(shape)
                let layers = widths.map { (weight: random([$0, k], scale: 1 / Float(k).squareRoot()), bias: hasBias ? random([$0]) : nil) }
                let got = backend.linears(x, layers)
                XCTAssertEqual(got.count, layers.count)
                for (out, layer) in zip(got, layers) {
                    XCTAssertEqual(out.shape, Array(shape.dropLast()) + [layer.weight.shape[0]])
                    XCTAssertEqual(out.scalars, backend.linear(x, weight: layer.weight, bias: layer.bias).scalars,
                                   "\(backend.precision) \(shape) x \(layer.weight.shape[0])")
                }
            }
        }
    }

    /// GEGLU's projection with GELU and the product as matmul post-ops: the reference's two
    /// linear layers and `VectorMath.geglu` against the exact formula (double-precision erf),
    /// then oneDNN against the reference in fp32 (within fp32 rounding) and in bf16 (within
    /// 1% of the largest output), on one band and on several (ragged, rank 3), with and
    /// without bias.
    func testGatedLinearMatchesTheReference() throws {
        let blas = OpenBLASBackend(), fp32 = DNNLBackend(releasingPlainWeights: true)
        let bf16: DNNLBackend? = ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa) ? DNNLBackend(precision: .bf16) : nil
        for (shape, n, hasBias) in [([2, 77, 96], 320, true), ([1, 3, 40], 24, false), ([257, 64], 256, true), ([5, 64], 1280, true)] {
            let k = shape.last!
            let x = random(shape), scale = 4 / Float(k).squareRoot()
            let value = random([n, k], scale: scale), gate = random([n, k], scale: scale)
            let (vb, gb) = hasBias ? (random([n]), random([n])) : (nil, nil)
            let ref = blas.gatedLinear(x, value: value, valueBias: vb, gate: gate, gateBias: gb)
            XCTAssertEqual(ref.shape, Array(shape.dropLast()) + [n])
            let v = blas.linear(x, weight: value, bias: vb), g = blas.linear(x, weight: gate, bias: gb)
            var exact: Float = 0
            for i in 0..<ref.count {
                let gd = Double(g.data[i])
                let want = Double(v.data[i]) * 0.5 * gd * (1 + Foundation.erf(gd / 2.0.squareRoot()))
                exact = max(exact, abs(Float(want) - ref.data[i]))
            }
            XCTAssertLessThan(exact, 1e-5, "reference GEGLU \(shape) x \(n)")
            XCTAssertGreaterThan(g.scalars.filter { $0 < -1 }.count, 0, "\(shape): the gates must reach GELU's curved part")
            let got = fp32.gatedLinear(x, value: value, valueBias: vb, gate: gate, gateBias: gb)
            XCTAssertEqual(got.shape, ref.shape)
            XCTAssertLessThan(worst(got, ref), 1e-5, "fp32 \(shape) x \(n)")
            if let bf16 {
                let err = worst(bf16.gatedLinear(x, value: value, valueBias: vb, gate: gate, gateBias: gb), ref)
                XCTAssertGreaterThan(err, 1e-5, "bf16 rounding must show: is bf16 really used?")
                // The products reach about 10 here: bound the error relative to the largest.
                let largest = ref.scalars.map(abs).max()!
                XCTAssertLessThan(err, 1e-2 * largest, "bf16 \(shape) x \(n), largest \(largest)")
            }
        }
    }

    /// A released weight reads as zeros until the reference backend restores it from the
    /// reordered copy; both backends keep giving the reference result.
    /// In bf16 mode conv and linear weights keep only their bf16 copy; the reference then
    /// gets them back rounded to bf16 (what bf16 mode computed with).
    func testBF16ReleasesConvAndLinearWeights() throws {
        try XCTSkipUnless(ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa), "bf16 needs AVX512_BF16; this CPU: \(DNNLBackend.isa)")
        let bf16 = DNNLBackend(precision: .bf16, releasingPlainWeights: true), blas = OpenBLASBackend()
        func heap(_ shape: [Int]) -> (Tensor, [Float]) {
            let t = Tensor(shape: shape, storage: TensorStorage(count: shape.reduce(1, *), pool: nil))
            let values = random(shape, scale: 0.05).scalars
            t.data.update(from: values, count: values.count)
            return (t, values)
        }
        let (w, wValues) = heap([320, 256]), x = random([2, 9, 256]), b = random([320])
        let reference = blas.linear(x, weight: w, bias: b)
        let first = bf16.linear(x, weight: w, bias: b)
        XCTAssertTrue(w.storage.pagesReleased)
        XCTAssertLessThan(worst(first, reference), 2e-2)
        let restored = blas.linear(x, weight: w, bias: b)
        XCTAssertFalse(w.storage.pagesReleased)
        XCTAssertLessThan(worst(restored, reference), 2e-2)
        // Each value comes back as its bf16 rounding: within 2^-8 relative.
        for (r, o) in zip(w.scalars, wValues) { XCTAssertLessThanOrEqual(abs(r - o), abs(o) / 256 + 1e-12) }
        let (k, _) = heap([128, 64, 3, 3]), image = random([1, 64, 12, 12])
        let o = Conv2dOptions(padding: (1, 1))
        let convReference = blas.conv2d(image, weight: k, bias: nil, options: o)
        XCTAssertLessThan(worst(bf16.conv2d(image, weight: k, bias: nil, options: o), convReference), 2e-2)
        XCTAssertTrue(k.storage.pagesReleased)
        XCTAssertLessThan(worst(blas.conv2d(image, weight: k, bias: nil, options: o), convReference), 2e-2)
        // On an 8x8 plane the weight is split into halves of its outputs; it is released
        // all the same and comes back from the halves.
        let (k2, k2Values) = heap([128, 64, 3, 3]), small = random([1, 64, 8, 8]), bias = random([128])
        let smallReference = blas.conv2d(small, weight: k2, bias: bias, options: o)
        let split = bf16.conv2dChannelsLast(Ops.toChannelsLast(small), weight: k2, bias: bias, options: o, epilogue: .none)
        XCTAssertLessThan(worst(Ops.toChannelsFirst(split), smallReference), 2e-2)
        XCTAssertTrue(k2.storage.pagesReleased)
        XCTAssertLessThan(worst(blas.conv2d(small, weight: k2, bias: bias, options: o), smallReference), 2e-2)
        for (r, o) in zip(k2.scalars, k2Values) { XCTAssertLessThanOrEqual(abs(r - o), abs(o) / 256 + 1e-12) }
    }

    func testReleasedWeightsAreRestoredForTheReference() {
        let dnnl = DNNLBackend(releasingPlainWeights: true), blas = OpenBLASBackend()
        let x = random([1, 64, 12, 12]), b = random([128])
        // Heap storage, as loaded model weights have (pooled buffers are never released).
        let w = Tensor(shape: [128, 64, 3, 3], storage: TensorStorage(count: 128 * 64 * 9, pool: nil))
        let original = random(w.shape, scale: 0.05).scalars
        w.data.update(from: original, count: original.count)
        let o = Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)
        let reference = blas.conv2d(x, weight: w, bias: b, options: o)
        let first = dnnl.conv2d(x, weight: w, bias: b, options: o)
        XCTAssertTrue(w.storage.pagesReleased)
        XCTAssertLessThan(worst(first, reference), 1e-4)
        XCTAssertEqual(blas.conv2d(x, weight: w, bias: b, options: o).scalars, reference.scalars)
        XCTAssertFalse(w.storage.pagesReleased)
        XCTAssertEqual(w.scalars, original)
        // A new geometry (another layout may be chosen) after a second release still agrees.
        _ = dnnl.conv2d(x, weight: w, bias: b, options: o)
        let small = random([1, 64, 5, 7])
        XCTAssertLessThan(worst(dnnl.conv2d(small, weight: w, bias: b, options: o), blas.conv2d(small, weight: w, bias: b, options: o)), 1e-4)
        // Small weights are never released.
        let tiny = Tensor(shape: [8, 8, 3, 3], storage: TensorStorage(count: 576, pool: nil))
        tiny.data.update(repeating: 0.1, count: 576)
        _ = dnnl.conv2d(random([1, 8, 6, 6]), weight: tiny, bias: nil, options: o)
        XCTAssertFalse(tiny.storage.pagesReleased)
    }

    func testPrecisionsNeedTheirBackendAndCPU() {
        XCTAssertThrowsError(try Compute.backend(named: "openblas", precision: .bf16))
        XCTAssertThrowsError(try Compute.backend(named: "cuda", precision: .fp32))
        for p in ComputePrecision.allCases {
            if p.isSupported(isa: DNNLBackend.isa) {
                XCTAssertEqual(try Compute.backend(named: "onednn", precision: p).name.hasPrefix("onednn-\(p.rawValue)"), true)
            } else {
                XCTAssertThrowsError(try Compute.backend(named: "onednn", precision: p))
            }
        }
        XCTAssertFalse(ComputePrecision.bf16.isSupported(isa: "avx2"))
        XCTAssertFalse(ComputePrecision.mixed.isSupported(isa: "avx2"))
        XCTAssertTrue(ComputePrecision.bf16.isSupported(isa: "avx512_core_amx"))
    }

    func testBackendsAreNamed() {
        XCTAssertEqual(Compute.backend(named: "openblas")?.name, "openblas-fp32")
        XCTAssertTrue(Compute.backend(named: "onednn")?.name.hasPrefix("onednn-fp32") == true)
        XCTAssertNil(Compute.backend(named: "cuda"))
    }
}
