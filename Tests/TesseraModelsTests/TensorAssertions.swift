import XCTest
import TesseraTensor

/// Max abs error between two tensors, failing the test (and returning infinity) on a shape mismatch.
func maxAbsError(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    guard a.shape == b.shape else { return .infinity }
    return a.maxAbsDifference(b)
}

/// Runs `body` with the oneDNN backend (fp32, which prefers channels-last activations) as
/// `Compute.backend`, restoring the previous backend afterwards.
func onOneDNNChannelsLast(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) rethrows {
    let backend = DNNLBackend()
    XCTAssertTrue(backend.prefersChannelsLast, file: file, line: line)
    let saved = Compute.backend
    Compute.backend = backend
    defer { Compute.backend = saved }
    try body()
}
