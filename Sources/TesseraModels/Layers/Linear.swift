import TesseraTensor

/// A fully connected layer, `y = x Wᵀ + b`, as `torch.nn.Linear` stores it.
public struct Linear: Sendable {
    /// Weight [out, in].
    public let weight: Tensor
    /// Optional bias [out].
    public let bias: Tensor?

    /// Loads `<prefix>.weight` and, when `bias` is true, `<prefix>.bias`.
    public init(_ w: Weights, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        weight = try w.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try w.tensor("bias", shape: [outFeatures]) : nil
    }

    /// Applies the layer over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor { Ops.linear(x, weight: weight, bias: bias) }
}
