import Foundation
import XCTest
@testable import TesseraTensor

/// Small cases worked out by hand, independent of any generated fixture.
final class HandWorkedKernelTests: XCTestCase {
    func testCircularConvWrapsAroundOnChosenAxisOnly() {
        // 1x3 row [1, 2, 3], kernel [1, 1, 1] horizontally, padding 1 on x.
        let x = Tensor(shape: [1, 1, 1, 3], values: [1, 2, 3])
        let w = Tensor(shape: [1, 1, 1, 3], values: [1, 1, 1])
        let circ = Ops.conv2d(x, weight: w, options: Conv2dOptions(padding: (0, 1), paddingModeX: .circular))
        XCTAssertEqual(circ.scalars, [6, 6, 6])  // 3+1+2, 1+2+3, 2+3+1
        let zero = Ops.conv2d(x, weight: w, options: Conv2dOptions(padding: (0, 1)))
        XCTAssertEqual(zero.scalars, [3, 6, 5])
        // Circular on y does not change an x-padded conv.
        let yOnly = Ops.conv2d(x, weight: w, options: Conv2dOptions(padding: (0, 1), paddingModeY: .circular))
        XCTAssertEqual(yOnly.scalars, [3, 6, 5])
    }

    func testConvBiasAndStride() {
        let x = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init))
        let w = Tensor(shape: [2, 1, 1, 1], values: [1, -1])
        let b = Tensor(shape: [2], values: [10, 0])
        let y = Ops.conv2d(x, weight: w, bias: b, options: Conv2dOptions(stride: (2, 2)))
        XCTAssertEqual(y.shape, [1, 2, 2, 2])
        XCTAssertEqual(y.scalars, [10, 12, 18, 20, 0, -2, -8, -10])
    }

    func testCausalAttentionFirstQuerySeesOnlyFirstKey() {
        let q = Tensor(shape: [1, 3, 2], values: [1, 0, 0, 1, 1, 1])
        let k = Tensor(shape: [1, 3, 2], values: [5, 0, 0, 5, 1, 1])
        let v = Tensor(shape: [1, 3, 2], values: [1, 2, 3, 4, 5, 6])
        let y = Ops.attention(q: q, k: k, v: v, heads: 1, causal: true)
        XCTAssertEqual(y[0, 0, 0], 1, accuracy: 1e-6)
        XCTAssertEqual(y[0, 0, 1], 2, accuracy: 1e-6)
        // Equal keys give the mean of the visible values.
        let flat = Ops.attention(q: q, k: Tensor(zeros: [1, 3, 2]), v: v, heads: 1, causal: true)
        XCTAssertEqual(flat[0, 1, 0], 2, accuracy: 1e-6)
        XCTAssertEqual(flat[0, 2, 1], 4, accuracy: 1e-6)
    }

    func testSoftmaxOfMaskedRowIsZeroNotNaN() {
        let x = Tensor(shape: [2, 2], values: [-.infinity, -.infinity, 0, 0])
        XCTAssertEqual(Ops.softmax(x).scalars, [0, 0, 0.5, 0.5])
    }

    func testGroupNormOfConstantGroupIsBias() {
        let x = Tensor(repeating: 7, shape: [1, 2, 2, 2])
        let y = Ops.groupNorm(x, groups: 1, weight: Tensor(shape: [2], values: [3, 3]),
                              bias: Tensor(shape: [2], values: [0.5, -1]), eps: 1e-5)
        XCTAssertEqual(y.scalars, [0.5, 0.5, 0.5, 0.5, -1, -1, -1, -1])
    }

    func testGroupNormFusedSiLU() {
        let x = Tensor(shape: [1, 2, 1, 2], values: [1, 3, -2, 2])
        let plain = Ops.groupNorm(x, groups: 2, weight: nil, bias: nil, eps: 0)
        XCTAssertEqual(plain.scalars, [-1, 1, -1, 1])
        let fused = Ops.groupNorm(x, groups: 2, weight: nil, bias: nil, eps: 0, activation: .silu)
        XCTAssertEqual(fused.scalars, Ops.activate(plain, .silu).scalars)
    }

    func testUpsampleThenPoolIsIdentity() {
        let x = Tensor(shape: [1, 2, 3, 5], values: (0..<30).map { Float($0) * 0.5 })
        XCTAssertEqual(Ops.avgPool2x2(Ops.upsampleNearest2x(x)).scalars, x.scalars)
    }

    func testInterleavePlacesEachPhase() {
        // Channel 2a + b of the phase image holds 100 (2a + b) + 10 row + column; the
        // result at (2i + a, 2j + b) must be phase 2a + b's value at (i + a, j + b).
        let (h, w) = (2, 3)
        var values: [Float] = []
        for p in 0..<4 { for r in 0...h { for col in 0...w { values.append(Float(100 * p + 10 * r + col)) } } }
        let phases = Tensor(shape: [1, 4, h + 1, w + 1], values: values)
        for channelsLast in [false, true] {
            let input = channelsLast ? Ops.toChannelsLast(phases) : phases
            var out = Ops.interleavePhases2x(input, channelsLast: channelsLast)
            if channelsLast { out = Ops.toChannelsFirst(out) }
            XCTAssertEqual(out.shape, [1, 1, 2 * h, 2 * w])
            for y in 0..<(2 * h) {
                for x in 0..<(2 * w) {
                    let (i, a, j, b) = (y / 2, y % 2, x / 2, x % 2)
                    XCTAssertEqual(out.data[y * 2 * w + x], Float(100 * (2 * a + b) + 10 * (i + a) + j + b),
                                   "(\(y), \(x)), channels-last \(channelsLast)")
                }
            }
        }
    }

    func testReshapeSharesStorageAndInfers() {
        let x = Tensor(zeros: [2, 3, 4])
        let y = x.reshaped([6, -1])
        XCTAssertEqual(y.shape, [6, 4])
        y[5, 3] = 9
        XCTAssertEqual(x[1, 2, 3], 9)
    }

    func testBufferPoolReusesExactSizes() {
        let pool = BufferPool(maxBytes: 1 << 20)
        let a = pool.acquire(100)
        pool.release(a, count: 100)
        let b = pool.acquire(100)
        XCTAssertEqual(a, b)
        XCTAssertEqual(pool.statistics.hits, 1)
        pool.release(b, count: 100)
        pool.acquire(50).deallocate()
        XCTAssertEqual(pool.statistics.misses, 2)
        pool.trim()
        XCTAssertEqual(pool.statistics.idleBytes, 0)
        // Over budget: released buffers are freed, not kept.
        let small = BufferPool(maxBytes: 16)
        small.release(small.acquire(100), count: 100)
        XCTAssertEqual(small.statistics.idleBytes, 0)
    }

    func testNpyRoundTrip() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("t-\(UUID()).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        let x = Tensor(shape: [2, 1, 3], values: [1, -2, 3, 4.5, 1e-7, -0])
        try NpyFile.write(x, to: url)
        let y = try NpyFile.read(url)
        XCTAssertEqual(y.shape, x.shape)
        XCTAssertEqual(y.scalars, x.scalars)
        try Data([0x93, 0x4E]).write(to: url)
        XCTAssertThrowsError(try NpyFile.read(url))
    }

    func testLinearAndBatchedMatmulSmall() {
        let x = Tensor(shape: [1, 2], values: [1, 2])
        let w = Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, 1])
        XCTAssertEqual(Ops.linear(x, weight: w, bias: Tensor(shape: [3], values: [0, 0, 1])).scalars, [1, 2, 4])
        let a = Tensor(shape: [2, 1, 2], values: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2, 1], values: [1, 1, 2, 0])
        XCTAssertEqual(Ops.matmul(a, b).scalars, [3, 6])
        XCTAssertEqual(Ops.matmul(a, b.reshaped([2, 1, 2]), transposeB: true).scalars, [3, 6])
    }
}

extension HandWorkedKernelTests {
    /// Naive direct convolution, the reference for shapes too large for committed fixtures.
    func naiveConv(_ x: Tensor, _ w: Tensor, _ o: Conv2dOptions) -> Tensor {
        let (c, h, wd) = (x.shape[1], x.shape[2], x.shape[3])
        let (oc, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let (ho, wo) = o.outputSize(height: h, width: wd, kh: kh, kw: kw)
        let out = Tensor(zeros: [1, oc, ho, wo])
        for m in 0..<oc { for oy in 0..<ho { for ox in 0..<wo {
            var acc: Double = 0
            for ch in 0..<c { for ky in 0..<kh { for kx in 0..<kw {
                var iy = oy * o.stride.0 - o.padding.0 + ky, ix = ox * o.stride.1 - o.padding.1 + kx
                if o.paddingModeY == .circular { iy = (iy % h + h) % h }
                if o.paddingModeX == .circular { ix = (ix % wd + wd) % wd }
                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                acc += Double(x[0, ch, iy, ix]) * Double(w[m, ch, ky, kx])
            } } }
            out[0, m, oy, ox] = Float(acc)
        } } }
        return out
    }

    /// Large enough that im2col runs in several row bands (and in parallel over channels).
    func testBandedConvMatchesNaiveReference() {
        var state: UInt32 = 7
        func next() -> Float { state = state &* 1664525 &+ 1013904223; return Float(Int32(bitPattern: state)) / Float(Int32.max) }
        let x = Tensor(shape: [1, 6, 21, 17], values: (0..<(6 * 21 * 17)).map { _ in next() })
        let w = Tensor(shape: [3, 6, 3, 3], values: (0..<(3 * 6 * 9)).map { _ in next() * 0.1 })
        let backend = OpenBLASBackend(columnBudget: 6 * 9 * 17 * 4)  // four output rows per band
        for o in [Conv2dOptions(padding: (1, 1)), Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular),
                  Conv2dOptions(stride: (2, 2), padding: (1, 1), paddingModeX: .circular)] {
            let got = backend.conv2d(x, weight: w, bias: nil, options: o)
            let ref = naiveConv(x, w, o)
            XCTAssertEqual(got.shape, ref.shape)
            var worst: Float = 0
            for i in 0..<got.count { worst = max(worst, abs(got.data[i] - ref.data[i])) }
            XCTAssertLessThan(worst, 1e-4, "\(o)")
        }
    }
}

extension HandWorkedKernelTests {
    func testParallelForEachCoversEveryIndexOnce() {
        for count in [0, 1, 7, Parallel.grain - 1, Parallel.grain * 3 + 5] {
            let hits = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
            hits.initialize(repeating: 0, count: max(count, 1))
            defer { hits.deallocate() }
            Parallel.forEach(count) { r in for i in r { hits[i] += 1 } }
            XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 1 }, "count \(count)")
        }
    }
}

extension HandWorkedKernelTests {
    /// The vectorised exp stays within a few ulp of libm over the whole useful range.
    func testVectorExpMatchesLibm() {
        let worst = worstError(from: -87, to: 88, stride: 0.097, lane: 0.0137, VectorMath.exp) { x, got in
            let ref = Float(Foundation.exp(Double(x)))
            return abs(got - ref) / ref
        }
        XCTAssertLessThan(worst, 3e-7)
        let edge = VectorMath.exp(VectorMath.V(-.infinity, -100, -87.4, 0, 1, -1, 88, 0.5))
        XCTAssertEqual(edge[0], 0)
        XCTAssertEqual(edge[1], 0)
        XCTAssertEqual(edge[3], 1)
        XCTAssertEqual(edge[4], Float(M_E), accuracy: 1e-6)
    }
}

extension HandWorkedKernelTests {
    /// The vectorised erf stays within 5e-7 of libm's erf across and beyond its curved part.
    func testVectorErfMatchesLibm() {
        let worst = worstError(from: -6, to: 6, stride: 0.0247, lane: 0.0031, VectorMath.erf) { x, got in
            abs(got - Float(Foundation.erf(Double(x))))
        }
        XCTAssertLessThan(worst, 5e-7)
        let edge = VectorMath.erf(VectorMath.V(0, 50, -50, .infinity, -.infinity, 1, -1, 1e-8))
        XCTAssertEqual(edge[0], 0, accuracy: 1e-7)
        XCTAssertEqual(edge[1], 1)
        XCTAssertEqual(edge[2], -1)
        XCTAssertEqual(edge[3], 1)
        XCTAssertEqual(edge[4], -1)
        XCTAssertEqual(edge[5], -edge[6])
    }

    /// Vector max and sum agree with scalar loops on lengths that are not multiples of 8.
    func testVectorReductions() {
        for n in [1, 7, 8, 9, 33] {
            let xs = (0..<n).map { Float(($0 * 37) % 11) - 5.5 }
            xs.withUnsafeBufferPointer { p in
                XCTAssertEqual(VectorMath.max(p.baseAddress!, count: n), xs.max() ?? -.infinity)
                XCTAssertEqual(VectorMath.sum(p.baseAddress!, count: n), xs.reduce(0, +), accuracy: 1e-5)
            }
        }
    }
}

extension HandWorkedKernelTests {
    /// Largest `error(x, f(x))` of a vector kernel `f` over x in [from, to): vectors start
    /// every `stride`, with lanes `lane` apart.
    func worstError(from: Float, to: Float, stride: Float, lane: Float, _ f: (VectorMath.V) -> VectorMath.V,
                    _ error: (Float, Float) -> Float) -> Float {
        var worst: Float = 0
        var x = from
        while x < to {
            var v = VectorMath.V(repeating: 0)
            for j in 0..<8 { v[j] = x + Float(j) * lane }
            let e = f(v)
            for j in 0..<8 { worst = max(worst, error(v[j], e[j])) }
            x += stride
        }
        return worst
    }
}
