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

    init(weight: Tensor, bias: Tensor?) {
        (self.weight, self.bias) = (weight, bias)
    }

    /// The layer restricted to the outputs in `range`, with its own copy of their weights on
    /// the heap, as loaded weights are (so that a backend may release their plain pages).
    public func rows(_ range: Range<Int>) -> Linear {
        Linear(weight: weight.heapCopy(rows: range), bias: bias?.heapCopy(rows: range))
    }

    /// The weight and bias, as `Ops.linears` takes them.
    public var parameters: (weight: Tensor, bias: Tensor?) { (weight, bias) }

    /// Applies the layer over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor { Ops.linear(x, weight: weight, bias: bias) }
}
