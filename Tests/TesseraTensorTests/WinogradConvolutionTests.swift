import XCTest
@testable import TesseraTensor

/// bf16 Winograd F(2x2, 3x3) against the OpenBLAS reference, and its weight transform.
final class WinogradConvolutionTests: XCTestCase {
    private var values = RandomTensors(seed: 23)
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor { values.tensor(shape, scale: scale) }

    private func worst(_ a: Tensor, _ b: Tensor) -> Float { maxDifference(a, b) }

    /// `t` with every value rounded to bf16, as the direct bf16 convolution reads it.
    private func roundedToBF16(_ t: Tensor) -> Tensor {
        Tensor(shape: t.shape, values: t.scalars.map { Float(bitPattern: UInt32(BFloat16.bits($0)) << 16) })
    }

    /// Zero, circular and mixed padding, no padding, odd sizes (a half tile at the edges),
    /// a batch of two, one band, bands of tiles (40x40) and the two halves of the tile
    /// positions (17x15 and the batch of two: under `positionSplitTiles` tiles per worker),
    /// fused residual and ReLU, without bias. The
    /// error must stay within three times that of an exact convolution of the bf16-rounded
    /// operands (what direct bf16 computes), and must show bf16 rounding at all.
    /// Both transforms are checked: the Swift loops everywhere, the AVX-512 kernels where
    /// the CPU has them, and those must give the Swift loops' values bit for bit (the same
    /// sums in the same order, both rounding to nearest even).
    func testMatchesTheReferenceWithinBF16Rounding() {
        let saved = (Parallel.workerOverride, WinogradConvolution.transformsOverride)
        Parallel.workerOverride = 3
        defer { (Parallel.workerOverride, WinogradConvolution.transformsOverride) = saved }
        let avx512 = ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa)
        let blas = OpenBLASBackend()
        let circular = Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)
        let cases: [([Int], Int, Conv2dOptions, Bool, Bool)] = [
            ([1, 16, 12, 12], 16, Conv2dOptions(padding: (1, 1)), true, false),
            ([1, 32, 17, 15], 48, circular, true, true),
            ([2, 16, 9, 13], 32, Conv2dOptions(padding: (1, 1), paddingModeX: .circular), false, true),
            ([1, 32, 10, 11], 16, Conv2dOptions(), true, false),
            ([1, 64, 40, 40], 64, circular, true, true),
        ]
        for (xs, oc, o, hasBias, withEpilogue) in cases {
            let c = xs[1]
            let x = random(xs), w = random([oc, c, 3, 3], scale: 1 / Float(9 * c).squareRoot())
            let b = hasBias ? random([oc]) : nil
            let (ho, wo) = o.outputSize(height: xs[2], width: xs[3], kh: 3, kw: 3)
            let epilogue = withEpilogue ? ConvEpilogue(residual: random([xs[0], oc, ho, wo]), relu: true) : .none
            let ref = blas.conv2d(x, weight: w, bias: b, options: o, epilogue: epilogue)
            let rounded = blas.conv2d(roundedToBF16(x), weight: roundedToBF16(w), bias: b, options: o, epilogue: epilogue)
            let lastEpilogue = ConvEpilogue(residual: epilogue.residual.map(Ops.toChannelsLast), relu: epilogue.relu)
            var results: [[Float]] = []
            for kernels in avx512 ? [false, true] : [false] {
                WinogradConvolution.transformsOverride = kernels
                let got = Ops.toChannelsFirst(WinogradConvolution.convolve(Ops.toChannelsLast(x), weight: w, bias: b, options: o,
                                                                           epilogue: lastEpilogue, releasePlain: false))
                let (err, direct) = (worst(got, ref), worst(rounded, ref))
                let label = "x \(xs) o \(oc) \(o) AVX-512 \(kernels) err \(err) direct bf16 \(direct)"
                XCTAssertGreaterThan(err, 1e-5, "bf16 rounding must show: " + label)
                XCTAssertLessThan(err, 3 * direct + 1e-3, label)
                XCTAssertLessThan(err, 2e-2, label)
                results.append(got.scalars)
            }
            if results.count == 2 {
                let differing = zip(results[0], results[1]).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "values differing between the transforms, x \(xs) o \(oc) \(o)")
            }
        }
    }

    /// The weight transform is undone exactly up to fp32 rounding, and a released weight
    /// comes back (rounded to bf16, as bf16 mode computes with it) for the reference backend.
    func testWeightsAreReleasedAndRestored() throws {
        try XCTSkipUnless(ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa), "bf16 needs AVX512_BF16; this CPU: \(DNNLBackend.isa)")
        let w = random([24, 16, 3, 3])
        let back = Tensor(uninitialized: w.shape)
        WinogradWeights.inverse(WinogradWeights.forward(w), into: back.data)
        XCTAssertLessThan(worst(back, w), 1e-6)

        let bf16 = DNNLBackend(precision: .bf16, releasingPlainWeights: true), blas = OpenBLASBackend()
        let k = Tensor(shape: [32, 256, 3, 3], storage: TensorStorage(count: 32 * 256 * 9, pool: nil))
        let original = random(k.shape, scale: 0.03).scalars
        k.data.update(from: original, count: original.count)
        let x = random([1, 256, 16, 16]), o = Conv2dOptions(padding: (1, 1))
        let reference = blas.conv2d(x, weight: k, bias: nil, options: o)
        let got = bf16.conv2dChannelsLast(Ops.toChannelsLast(x), weight: k, bias: nil, options: o, epilogue: .none)
        XCTAssertLessThan(worst(Ops.toChannelsFirst(got), reference), 2e-2)
        XCTAssertTrue(k.storage.pagesReleased)
        XCTAssertTrue(DNNLBackend.kernelSummary.contains("bf16 Winograd products"), DNNLBackend.kernelSummary)
        XCTAssertLessThan(worst(blas.conv2d(x, weight: k, bias: nil, options: o), reference), 2e-2)
        XCTAssertFalse(k.storage.pagesReleased)
        // Each value within bf16 rounding of the transformed weights (a few 2^-9 relative
        // errors of values up to about |g| in size).
        for (r, v) in zip(k.scalars, original) { XCTAssertLessThanOrEqual(abs(r - v), 0.03 / 64) }
    }

    /// A NaN input pixel turns into NaN every output its 3x3 neighbourhood reaches (ReLU
    /// included) and nothing else, in both transforms: rounding to bf16 keeps NaN.
    func testNaNReachesItsNeighbourhoodOnly() {
        let saved = WinogradConvolution.transformsOverride
        defer { WinogradConvolution.transformsOverride = saved }
        let (c, oc, h, w) = (16, 16, 8, 8)
        let x = random([1, h, w, c]), weight = random([oc, c, 3, 3], scale: 0.1)
        let (ny, nx) = (3, 5)
        x.data[(ny * w + nx) * c + 7] = .nan
        let o = Conv2dOptions(padding: (1, 1))
        for kernels in ComputePrecision.bf16.isSupported(isa: DNNLBackend.isa) ? [false, true] : [false] {
            WinogradConvolution.transformsOverride = kernels
            let out = WinogradConvolution.convolve(x, weight: weight, bias: random([oc]), options: o,
                                                   epilogue: ConvEpilogue(residual: nil, relu: true), releasePlain: false)
            for y in 0..<h {
                for xx in 0..<w {
                    let reached = abs(y - ny) <= 1 && abs(xx - nx) <= 1
                    for k in 0..<oc {
                        XCTAssertEqual(out.data[(y * w + xx) * oc + k].isNaN, reached, "AVX-512 \(kernels) at \(y), \(xx), \(k)")
                    }
                }
            }
        }
    }

    /// Shapes left to oneDNN's direct kernels: few channels, 1x1, stride 2, small planes;
    /// 64 channels only with the AVX-512 transforms.
    func testDeclinesOtherShapes() {
        let saved = WinogradConvolution.transformsOverride
        defer { WinogradConvolution.transformsOverride = saved }
        WinogradConvolution.transformsOverride = false
        let o = Conv2dOptions(padding: (1, 1))
        XCTAssertFalse(WinogradConvolution.supports(channels: 4, outputs: 320, kh: 3, kw: 3, options: o, outputHeight: 64, outputWidth: 64))
        XCTAssertFalse(WinogradConvolution.supports(channels: 320, outputs: 320, kh: 1, kw: 1, options: Conv2dOptions(), outputHeight: 64, outputWidth: 64))
        XCTAssertFalse(WinogradConvolution.supports(channels: 320, outputs: 320, kh: 3, kw: 3,
                                                    options: Conv2dOptions(stride: (2, 2), padding: (1, 1)), outputHeight: 32, outputWidth: 32))
        XCTAssertFalse(WinogradConvolution.supports(channels: 320, outputs: 320, kh: 3, kw: 3, options: o, outputHeight: 8, outputWidth: 8))
        XCTAssertFalse(WinogradConvolution.supports(channels: 64, outputs: 64, kh: 3, kw: 3, options: o, outputHeight: 128, outputWidth: 128))
        XCTAssertTrue(WinogradConvolution.supports(channels: 1280, outputs: 1280, kh: 3, kw: 3, options: o, outputHeight: 16, outputWidth: 16))
        XCTAssertTrue(WinogradConvolution.supports(channels: 320, outputs: 320, kh: 3, kw: 3, options: o, outputHeight: 64, outputWidth: 64))
        WinogradConvolution.transformsOverride = true
        XCTAssertTrue(WinogradConvolution.supports(channels: 64, outputs: 64, kh: 3, kw: 3, options: o, outputHeight: 128, outputWidth: 128))
        XCTAssertFalse(WinogradConvolution.supports(channels: 32, outputs: 32, kh: 3, kw: 3, options: o, outputHeight: 64, outputWidth: 64))
    }
}
