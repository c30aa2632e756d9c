import XCTest
@testable import TesseraTensor
@testable import TesseraModels

/// `Linear.rows`, which splits GEGLU's projection into its value and gate halves.
final class LinearTests: XCTestCase {
    /// The rows' weights and bias are copies of the right rows, on the heap like loaded
    /// weights: pooled storage would keep the plain fp32 copy resident beside bf16 mode's
    /// packed one (about 0.4 GB on an SD-size UNet), since only heap weights are released.
    func testRowsCopyTheirOutputsToHeapStorage() {
        let (o, i) = (6, 5)
        let weight = Tensor(shape: [o, i], values: (0..<(o * i)).map(Float.init))
        let bias = Tensor(shape: [o], values: (0..<o).map { Float($0) * 10 })
        let layer = Linear(weight: weight, bias: bias)
        for range in [0..<3, 3..<6, 1..<2] {
            let part = layer.rows(range)
            XCTAssertEqual(part.weight.shape, [range.count, i])
            XCTAssertEqual(part.weight.scalars, Array(weight.scalars[(range.lowerBound * i)..<(range.upperBound * i)]))
            XCTAssertEqual(part.bias?.scalars, Array(bias.scalars[range]))
            XCTAssertTrue(part.weight.storage.isHeap)
            XCTAssertTrue(part.bias?.storage.isHeap ?? false)
            XCTAssertFalse(part.weight.storage === weight.storage)
        }
        XCTAssertNil(Linear(weight: weight, bias: nil).rows(0..<2).bias)
    }
}
