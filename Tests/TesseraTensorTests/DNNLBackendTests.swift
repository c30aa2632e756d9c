import XCTest
@testable import TesseraTensor

/// The oneDNN backend against the OpenBLAS reference and a naive convolution.
final class DNNLBackendTests: XCTestCase {
    private var state: UInt32 = 11
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 1664525 &+ 1013904223
            return Float(Int32(bitPattern: state)) / Float(Int32.max) * scale
        })
    }

    private func worst(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        var m: Float = 0
        for i in 0..<min(a.count, b.count) { m = max(m, abs(a.data[i] - b.data[i])) }
        return m
    }

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
        let cache = DNNLConvolutions(capacity: 2)
        func g(_ h: Int) -> DNNLConvolution.Geometry {
            DNNLConvolution.Geometry(n: 1, c: 8, h: h, w: 8, oc: 8, kh: 3, kw: 3, strideY: 1, strideX: 1,
                                     padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, bias: false,
                                     sourcePlane: h * 8, outputPlane: h * 8, staged: false, band: 0)
        }
        let first = cache.convolution(for: g(4))
        _ = cache.convolution(for: g(5))
        XCTAssertTrue(cache.convolution(for: g(4)) === first, "a hit returns the same primitive")
        _ = cache.convolution(for: g(6))  // evicts g(5), the least recently used
        XCTAssertEqual(cache.count, 2)
        XCTAssertTrue(cache.convolution(for: g(4)) === first)
    }

    func testBackendsAreNamed() {
        XCTAssertEqual(Compute.backend(named: "openblas")?.name, "openblas-fp32")
        XCTAssertTrue(Compute.backend(named: "onednn")?.name.hasPrefix("onednn-fp32") == true)
        XCTAssertNil(Compute.backend(named: "cuda"))
    }
}
