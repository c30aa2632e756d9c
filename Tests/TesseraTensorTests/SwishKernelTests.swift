import CTesseraKernels
import XCTest
@testable import TesseraTensor

/// The AVX-512 SiLU kernels of `CTesseraKernels` against the Swift loops they replace:
/// the same operations in the same order, so the same bits, tails and edge values included.
final class SwishKernelTests: XCTestCase {
    private func requireAVX512() throws {
        try XCTSkipUnless(tessera_has_avx512f() != 0, "this CPU has no AVX512F")
    }

    private func bits(_ x: Float) -> UInt32 { x.isNaN ? 0x7FC0_0000 : x.bitPattern }

    func testSwishMatchesTheSwiftLoopsBitForBit() throws {
        try requireAVX512()
        let saved = VectorMath.avx512Override
        defer { VectorMath.avx512Override = saved }
        var random = RandomTensors(seed: 11)
        var values = random.tensor([997], scale: 40).scalars
        values += [0, -0, 1e-30, -1e-30, 88.3, 88.4, 89, 100, 1000, -87.3, -87.4, -88, -100, -1000,
                   .nan, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        for k: Float in [1, 1.702] {
            for count in Array(1...40) + [values.count] {
                var swift = Array(values.prefix(count)), kernel = swift
                VectorMath.avx512Override = false
                swift.withUnsafeMutableBufferPointer { VectorMath.swish($0.baseAddress!, count: count, k: k) }
                VectorMath.avx512Override = true
                kernel.withUnsafeMutableBufferPointer { VectorMath.swish($0.baseAddress!, count: count, k: k) }
                for i in 0..<count where bits(swift[i]) != bits(kernel[i]) {
                    XCTFail("k \(k), \(count) values: swish(\(values[i])) is \(kernel[i]), the Swift loop gives \(swift[i])")
                }
            }
        }
    }

    /// GroupNorm's fused affine map and SiLU, over channel counts with and without a tail.
    func testGroupNormSiLUMatchesTheSwiftLoopsBitForBit() throws {
        try requireAVX512()
        let saved = VectorMath.avx512Override
        defer { VectorMath.avx512Override = saved }
        var random = RandomTensors(seed: 12)
        for (shape, groups) in [([2, 5, 7, 40], 8), ([1, 8, 8, 64], 32), ([1, 3, 4, 16], 4)] {
            let c = shape[3]
            let x = random.tensor(shape, scale: 3), w = random.tensor([c]), b = random.tensor([c])
            VectorMath.avx512Override = false
            let swift = Ops.groupNormChannelsLast(x, groups: groups, weight: w, bias: b, eps: 1e-5, activation: .silu)
            VectorMath.avx512Override = true
            let kernel = Ops.groupNormChannelsLast(x, groups: groups, weight: w, bias: b, eps: 1e-5, activation: .silu)
            XCTAssertEqual(kernel.scalars.map(bits), swift.scalars.map(bits), "\(shape), \(groups) groups")
        }
    }
}
