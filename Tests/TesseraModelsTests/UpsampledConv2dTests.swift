import XCTest
import TesseraTensor
@testable import TesseraModels

/// `UpsampledConv2d` against what it replaces, nearest 2x upsampling then the 3x3 conv,
/// on the reference backend and on oneDNN's channels-last path.
final class UpsampledConv2dTests: XCTestCase {
    private var state: UInt32 = 12_345

    /// Values in [-1, 1] from a fixed linear congruential sequence.
    private func random(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state)) / Float(Int32.max)
        })
    }

    /// Every tiling, with and without a bias, on a non-square plane with channels that are
    /// not a multiple of 16 (the reference path) and that are (oneDNN's blocked kernels).
    private func assertMatchesUpsampleThenConv(channels c: Int, outputs o: Int, height h: Int, width w: Int,
                                               channelsLast: Bool, tolerance: Float = 2e-5,
                                               file: StaticString = #filePath, line: UInt = #line) {
        for bias in [false, true] {
            let conv = Conv2d(weight: random([o, c, 3, 3]), bias: bias ? random([o]) : nil, padding: 1)
            let folded = UpsampledConv2d(conv)
            let x = random([2, c, h, w])
            for tiling in [Tiling.none, .x, .y, .xy] {
                let expected = conv(Ops.upsampleNearest2x(x), tiling: tiling)
                let got = channelsLast
                    ? Ops.toChannelsFirst(folded(Ops.toChannelsLast(x), tiling: tiling, channelsLast: true))
                    : folded(x, tiling: tiling)
                XCTAssertEqual(got.shape, [2, o, 2 * h, 2 * w], file: file, line: line)
                XCTAssertLessThan(maxAbsError(got, expected), tolerance, "tiling \(tiling), bias \(bias)", file: file, line: line)
            }
        }
    }

    func testFoldedPhasesMatchUpsampleThenConvOnTheReference() {
        assertMatchesUpsampleThenConv(channels: 3, outputs: 5, height: 4, width: 7, channelsLast: false)
    }

    /// One-pixel planes (an 8-pixel image's latents): the one-pixel padding wraps onto the pixel itself.
    func testFoldedPhasesMatchOnOnePixelPlanes() {
        assertMatchesUpsampleThenConv(channels: 2, outputs: 3, height: 1, width: 1, channelsLast: false)
        assertMatchesUpsampleThenConv(channels: 2, outputs: 3, height: 1, width: 3, channelsLast: false)
        onOneDNNChannelsLast {
            assertMatchesUpsampleThenConv(channels: 16, outputs: 16, height: 1, width: 2, channelsLast: true)
        }
    }

    func testFoldedPhasesMatchUpsampleThenConvOnOneDNNChannelsLast() {
        onOneDNNChannelsLast {
            assertMatchesUpsampleThenConv(channels: 16, outputs: 32, height: 5, width: 6, channelsLast: true)
        }
    }

    func testUnfoldedConvIsTheOriginal() {
        let conv = Conv2d(weight: random([6, 5, 3, 3]), bias: random([6]), padding: 1)
        let plain = UpsampledConv2d(conv).unfolded()
        XCTAssertLessThan(maxAbsError(plain.weight, conv.weight), 1e-6)
        XCTAssertEqual(plain.bias?.scalars, conv.bias?.scalars)
        XCTAssertEqual(plain.padding, 1)
        XCTAssertEqual(plain.stride, 1)
    }

    /// A backend named on a command line releases the plain copy of weights it reordered;
    /// an odd-size request after 2x ones rebuilds the 3x3 kernel from the phase weights,
    /// which must read their values, not the released zeros.
    func testUnfoldingAfterTheBackendReleasedThePhasesReadsTheirValues() {
        let conv = Conv2d(weight: random([64, 64, 3, 3]), bias: random([64]), padding: 1)  // phases over the release minimum
        let folded = UpsampledConv2d(conv)
        let saved = Compute.backend
        Compute.backend = DNNLBackend(precision: .fp32, releasingPlainWeights: true)
        defer { Compute.backend = saved }
        _ = folded(Ops.toChannelsLast(random([1, 64, 4, 4])), channelsLast: true)
        XCTAssertLessThan(maxAbsError(folded.unfolded().weight, conv.weight), 1e-6)
    }

    /// `mixed` runs wide planes' plain convs as Winograd F(4x4, 3x3), cheaper than the
    /// phases: the fold then upsamples and runs the rebuilt conv, with the same result.
    func testMixedPrecisionKeepsItsWinogradForWidePlanes() {
        let mixed = DNNLBackend(precision: .mixed), bf16 = DNNLBackend(precision: .bf16), fp32 = DNNLBackend()
        XCTAssertEqual(mixed.conv3x3Multiplications(channels: 64, outputs: 64, height: 32, width: 32), 2.25)
        XCTAssertEqual(mixed.conv3x3Multiplications(channels: 64, outputs: 64, height: 8, width: 8), 9)
        XCTAssertEqual(mixed.conv3x3Multiplications(channels: 24, outputs: 24, height: 32, width: 32), 9)
        XCTAssertEqual(bf16.conv3x3Multiplications(channels: 256, outputs: 256, height: 32, width: 32), 4)
        XCTAssertEqual(fp32.conv3x3Multiplications(channels: 256, outputs: 256, height: 32, width: 32), 9)
        XCTAssertEqual(OpenBLASBackend().conv3x3Multiplications(channels: 256, outputs: 256, height: 32, width: 32), 9)
        // Without AVX-512 oneDNN would run `mixed` on reference loops: the choice is checked above.
        guard ComputePrecision.mixed.isSupported(isa: DNNLBackend.isa) else { return }
        let saved = Compute.backend
        Compute.backend = mixed
        defer { Compute.backend = saved }
        assertMatchesUpsampleThenConv(channels: 16, outputs: 16, height: 8, width: 9, channelsLast: true, tolerance: 1e-3)
    }
}
