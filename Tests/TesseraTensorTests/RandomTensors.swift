import XCTest
@testable import TesseraTensor

/// Deterministic test tensors: a linear congruential generator's values in [-scale, scale].
struct RandomTensors {
    private var state: UInt32

    init(seed: UInt32) { state = seed }

    /// The next `shape.reduce(1, *)` values, as a tensor of `shape`.
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in
            state = state &* 1664525 &+ 1013904223
            return Float(Int32(bitPattern: state)) / Float(Int32.max) * scale
        })
    }
}

/// The largest absolute difference between two tensors of the same shape (asserted).
func maxDifference(_ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    var m: Float = 0
    for i in 0..<min(a.count, b.count) { m = max(m, abs(a.data[i] - b.data[i])) }
    return m
}
