import XCTest
import TesseraTensor

/// Max abs error between two tensors, failing the test (and returning infinity) on a shape mismatch.
func maxAbsError(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    guard a.shape == b.shape else { return .infinity }
    return a.maxAbsDifference(b)
}
