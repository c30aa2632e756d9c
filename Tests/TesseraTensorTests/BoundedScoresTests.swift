import XCTest
@testable import TesseraTensor

/// The pieces of attention's softmax-free path: the norm bound, the limit test, bf16 sums
/// and the row normalisation.
final class BoundedScoresTests: XCTestCase {
    func testMaxNormIsTheLargestRowNorm() {
        // Rows of 10 floats (a vector part and a tail), 12 apart.
        var rows = [Float](repeating: 99, count: 36)
        for j in 0..<10 { rows[j] = 1; rows[12 + j] = j == 9 ? 4 : 0; rows[24 + j] = j < 8 ? 1.25 : 0 }
        XCTAssertEqual(BoundedScores.maxNorm(rows, rows: 3, stride: 12, count: 10), 4, accuracy: 1e-6)
        XCTAssertEqual(BoundedScores.maxNorm(rows, rows: 1, stride: 12, count: 10), Float(10).squareRoot(), accuracy: 1e-6)
    }

    func testAllowsOnlyFiniteBoundsUnderTheLimit() {
        XCTAssertTrue(BoundedScores.allows(query: 5, key: 11))
        XCTAssertFalse(BoundedScores.allows(query: 6, key: 10), "60 plus the rounding margin is over the limit")
        XCTAssertFalse(BoundedScores.allows(query: .infinity, key: 1))
        XCTAssertFalse(BoundedScores.allows(query: .nan, key: 1))
        // PV's unnormalised sums: 4,096 tokens x e^50 x |v| must stay under 1e30.
        XCTAssertTrue(BoundedScores.allows(query: 5, key: 9.8, largestValue: 1e4, tokens: 4096))
        XCTAssertFalse(BoundedScores.allows(query: 5, key: 9.8, largestValue: 1e6, tokens: 4096))
        XCTAssertTrue(BoundedScores.allows(query: 1, key: 3, largestValue: 1e20, tokens: 77))
        XCTAssertFalse(BoundedScores.allows(query: 1, key: 1, largestValue: .nan, tokens: 77))
    }

    func testLargestMagnitudeSeesEveryLaneAndNaN() {
        var rows = [Float](repeating: 0, count: 30)  // 2 rows of 11 (a vector and a tail), 15 apart
        rows[3] = -7; rows[15 + 10] = 6; rows[12] = 99  // 99 lies between the rows
        XCTAssertEqual(BoundedScores.largestMagnitude(rows, rows: 2, stride: 15, count: 11), 7)
        rows[15 + 10] = -8
        XCTAssertEqual(BoundedScores.largestMagnitude(rows, rows: 2, stride: 15, count: 11), 8)
        rows[15 + 2] = .nan
        XCTAssertTrue(BoundedScores.largestMagnitude(rows, rows: 2, stride: 15, count: 11).isNaN)
    }

    func testBF16SumAndConversion() {
        let values: [Float] = (0..<19).map { Float($0) * 0.25 - 1 }  // exact in bf16
        var halves = [UInt16](repeating: 0, count: values.count)
        BFloat16.run(values, count: values.count, into: &halves)
        XCTAssertEqual(halves, values.map { BFloat16.bits($0) }, "vector and scalar conversion agree")
        XCTAssertEqual(BFloat16.sum(halves, count: values.count), values.reduce(0, +))
        var scaled = [UInt16](repeating: 0, count: 11)
        let odd: [Float] = [1.00390625, -3.3, .nan, .infinity, 1e-30, 7, 8, 9, 10, 11, 12.5]
        BFloat16.run(odd, count: odd.count, scale: 2, into: &scaled)
        XCTAssertEqual(scaled, odd.map { BFloat16.bits($0, scale: 2) }, "rounding, NaN and infinity as the scalar path")
    }

    func testNormaliseDividesEachRowBySum() {
        let probabilities: [UInt16] = [1, 1, 2, 4].map { BFloat16.bits(Float($0)) } + [0.5, 0.5, 0, 1].map { BFloat16.bits(Float($0)) }
        var out: [Float] = [8, 16, 99, 2, 4, 99]  // two rows of 2, 3 apart
        BoundedScores.normalise(&out, rows: 2, stride: 3, count: 2, probabilities: probabilities, cols: 4)
        XCTAssertEqual(out, [1, 2, 99, 1, 2, 99])
    }
}
