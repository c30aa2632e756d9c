import XCTest
@testable import TesseraTensor

/// The few-output convolution kernel against the OpenBLAS reference.
final class NarrowConvolutionTests: XCTestCase {
    private var values = RandomTensors(seed: 5)
    private func random(_ shape: [Int], scale: Float = 1) -> Tensor { values.tensor(shape, scale: scale) }

    /// 1 to 4 outputs; zero, circular and mixed padding; no padding; 1x1 and 3x3; a batch
    /// of two; with and without bias; inputs of 8, 24 and 64 channels; odd sizes.
    func testMatchesTheReference() {
        let blas = OpenBLASBackend()
        let circular = Conv2dOptions(padding: (1, 1), paddingModeY: .circular, paddingModeX: .circular)
        let cases: [([Int], [Int], Conv2dOptions, Bool)] = [
            ([1, 24, 17, 15], [3, 24, 3, 3], circular, true),
            ([2, 8, 5, 7], [1, 8, 3, 3], Conv2dOptions(padding: (1, 1)), false),
            ([1, 64, 9, 4], [4, 64, 3, 3], Conv2dOptions(padding: (1, 1), paddingModeY: .circular), true),
            ([1, 16, 6, 6], [2, 16, 3, 3], Conv2dOptions(), true),
            ([1, 24, 3, 2], [3, 24, 3, 3], circular, true),
            ([2, 32, 4, 5], [3, 32, 1, 1], Conv2dOptions(), true),
        ]
        for (xs, ws, o, hasBias) in cases {
            XCTAssertTrue(NarrowConvolution.supports(channels: xs[1], outputs: ws[0], kh: ws[2], kw: ws[3], options: o))
            let x = random(xs), w = random(ws, scale: 1 / Float(ws[1] * ws[2] * ws[3]).squareRoot())
            let b = hasBias ? random([ws[0]]) : nil
            let ref = blas.conv2d(x, weight: w, bias: b, options: o)
            let got = Ops.toChannelsFirst(NarrowConvolution.convolve(Ops.toChannelsLast(x), weight: w, bias: b, options: o))
            XCTAssertEqual(got.shape, ref.shape)
            var worst: Float = 0
            for i in 0..<ref.count { worst = max(worst, abs(got.data[i] - ref.data[i])) }
            XCTAssertLessThan(worst, 1e-5, "x \(xs) w \(ws) \(o)")
        }
    }

    /// Shapes it leaves to oneDNN: many outputs, ragged input channels, stride 2.
    func testDeclinesOtherShapes() {
        let o = Conv2dOptions(padding: (1, 1))
        XCTAssertFalse(NarrowConvolution.supports(channels: 24, outputs: 5, kh: 3, kw: 3, options: o))
        XCTAssertFalse(NarrowConvolution.supports(channels: 12, outputs: 3, kh: 3, kw: 3, options: o))
        XCTAssertFalse(NarrowConvolution.supports(channels: 24, outputs: 3, kh: 3, kw: 3, options: Conv2dOptions(stride: (2, 2), padding: (1, 1))))
        XCTAssertTrue(NarrowConvolution.supports(channels: 24, outputs: 3, kh: 3, kw: 3, options: o))
    }
}
