import Foundation
import XCTest
@testable import TesseraDiffusion

/// `TorchRandomSource` against `torch.randn` draws written by tools/fixtures/make_schedulers.py.
/// Acceptance is max |error| ≤ 1e-6; on Linux (glibc libm, as the fixtures) draws are bit-exact.
final class RandomSourceTests: XCTestCase {
    struct ManifestEntry: Decodable {
        let file: String
        let seed: UInt64
        let shape: [Int]
        let part: String
    }

    struct SmallDraw: Decodable {
        let seed: UInt64
        let shape: [Int]
        let values: [Double]
    }

    struct Sequence: Decodable {
        struct Draw: Decodable {
            let shape: [Int]
            let values: [Double]
        }
        let seed: UInt64
        let draws: [Draw]
    }

    static let tolerance: Float = 1e-6

    func loadJSON<T: Decodable>(_ type: T.Type, _ relative: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: Fixtures.url(relative)))
    }

    /// Asserts `actual` matches `expected` within the tolerance, and bit for bit on Linux.
    func assertDraw(_ actual: [Float], _ expected: [Float], _ label: String,
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        var maxError: Float = 0, differing = 0
        for (a, e) in zip(actual, expected) {
            maxError = max(maxError, abs(a - e))
            if a.bitPattern != e.bitPattern && !(a == 0 && e == 0) { differing += 1 }
        }
        XCTAssertLessThanOrEqual(maxError, Self.tolerance, "\(label): max error \(maxError)", file: file, line: line)
        #if os(Linux)
        XCTAssertEqual(differing, 0, "\(label): \(differing) values not bit-identical (max error \(maxError))",
                       file: file, line: line)
        #endif
    }

    func testTensorDrawsMatchTorch() throws {
        let manifest = try loadJSON([ManifestEntry].self, "rng/manifest.json")
        XCTAssertEqual(manifest.count, 16)
        for entry in manifest {
            var random = TorchRandomSource(seed: entry.seed)
            let draw = random.normal(shape: entry.shape)
            XCTAssertEqual(draw.shape, entry.shape)
            let reference = try NpyFile.read(Fixtures.url("rng/\(entry.file)")).scalars
            let values = draw.scalars
            let actual = entry.part == "full" ? values : Array(values.prefix(1024) + values.suffix(1024))
            assertDraw(actual, reference, "seed \(entry.seed) shape \(entry.shape)")
        }
    }

    func testSmallDrawsUseTheDoublePrecisionPath() throws {
        let draws = try loadJSON([SmallDraw].self, "rng/small_shapes.json")
        XCTAssertFalse(draws.isEmpty)
        for d in draws {
            var random = TorchRandomSource(seed: d.seed)
            assertDraw(random.normal(shape: d.shape).scalars, d.values.map { Float($0) }, "seed \(d.seed) shape \(d.shape)")
        }
    }

    func testSuccessiveDrawsContinueTheStream() throws {
        let sequences = try loadJSON([Sequence].self, "rng/successive.json")
        for sequence in sequences {
            var random = TorchRandomSource(seed: sequence.seed)
            for (i, d) in sequence.draws.enumerated() {
                assertDraw(random.normal(shape: d.shape).scalars, d.values.map { Float($0) },
                           "seed \(sequence.seed) draw \(i) shape \(d.shape)")
            }
        }
    }

    func testGenericKernelMatchesTorchPortableKernel() throws {
        let cases: [(UInt64, [Int])] = [(0, [1, 4, 8, 8]), (42, [1, 4, 20, 12]), (1_099_511_627_783, [2, 4, 16, 16])]
        for (seed, shape) in cases {
            var random = TorchRandomSource(seed: seed, kernel: .generic)
            let name = "rng/generic/randn_seed\(seed)_\(shape.map(String.init).joined(separator: "x")).npy"
            assertDraw(random.normal(shape: shape).scalars, try NpyFile.read(Fixtures.url(name)).scalars,
                       "generic seed \(seed) shape \(shape)")
        }
    }

    func testSeedIsReducedToItsLow32Bits() {
        var a = TorchRandomSource(seed: 1 << 40 | 7)
        var b = TorchRandomSource(seed: 7)
        XCTAssertEqual(a.normal(shape: [37]).scalars, b.normal(shape: [37]).scalars)
        XCTAssertEqual(a.normal(shape: [3]).scalars, b.normal(shape: [3]).scalars)
    }

    func testMersenneTwisterMatchesTheStandard() {
        // C++ [rand.predef]: the 10000th output of a default-constructed mt19937 (seed 5489).
        var engine = MersenneTwister(seed: 5489)
        XCTAssertEqual(engine.next(), 3_499_211_612)
        for _ in 2..<10_000 { _ = engine.next() }
        XCTAssertEqual(engine.next(), 4_123_659_995)
    }

    func testEmptyDrawConsumesNothing() {
        var a = TorchRandomSource(seed: 9)
        var b = TorchRandomSource(seed: 9)
        _ = a.normal(shape: [0, 4])
        XCTAssertEqual(a.normal(shape: [20]).scalars, b.normal(shape: [20]).scalars)
    }

    func testCephesLogAndSinCosAreAccurate() {
        // The AVX2 polynomials are close to libm (they only differ in rounding).
        for i in 1...1000 {
            let x = Float(i) / 1000
            XCTAssertEqual(TorchBoxMuller.log(x), Foundation.log(x), accuracy: 2e-7 * max(1, abs(Foundation.log(x))))
            let theta = x * 6.2831855
            let (s, c) = TorchBoxMuller.sinCos(theta)
            XCTAssertEqual(s, Foundation.sin(theta), accuracy: 3e-7)
            XCTAssertEqual(c, Foundation.cos(theta), accuracy: 3e-7)
        }
    }
}
