/// What a convolution does to its output before anyone reads it:
/// `out = relu?(conv(x) + bias + residual)`.
///
/// Backends that can fuse these steps into the convolution (oneDNN post-ops) save one or
/// two passes over the output; the others apply them afterwards with the same arithmetic
/// and order (`apply(to:)`), so a model states the epilogue once and every backend agrees.
public struct ConvEpilogue: Sendable {
    /// Added to the output after the bias; same shape as the output.
    public var residual: Tensor?
    /// Whether ReLU (max(x, 0)) is applied last.
    public var relu: Bool

    /// An epilogue; the default does nothing.
    public init(residual: Tensor? = nil, relu: Bool = false) {
        self.residual = residual
        self.relu = relu
    }

    /// No epilogue: the plain convolution.
    public static let none = ConvEpilogue()
    /// ReLU only.
    public static let relu = ConvEpilogue(relu: true)

    /// Whether the epilogue leaves the output as the convolution wrote it.
    public var isEmpty: Bool { residual == nil && !relu }

    /// Applies the epilogue in place to a convolution's output `out` (the unfused path).
    public func apply(to out: Tensor) {
        if let residual {
            precondition(residual.shape == out.shape, "conv epilogue: residual \(residual.shape) vs output \(out.shape)")
            Ops.addInPlace(out, residual)
        }
        if relu {
            let p = out.data
            Parallel.forEach(out.count) { r in for i in r { p[i] = max(p[i], 0) } }
        }
    }
}
