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

    /// The layer restricted to the outputs in `range`, with its own copy of their weights.
    public func rows(_ range: Range<Int>) -> Linear {
        let inFeatures = weight.shape[1]
        let w = Tensor(uninitialized: [range.count, inFeatures])
        w.data.update(from: weight.data + range.lowerBound * inFeatures, count: range.count * inFeatures)
        let b = bias.map { bias in
            let b = Tensor(uninitialized: [range.count])
            b.data.update(from: bias.data + range.lowerBound, count: range.count)
            return b
        }
        return Linear(weight: w, bias: b)
    }

    /// The weight and bias, as `Ops.linears` takes them.
    public var parameters: (weight: Tensor, bias: Tensor?) { (weight, bias) }

    /// Applies the layer over the last dimension.
    public func callAsFunction(_ x: Tensor) -> Tensor { Ops.linear(x, weight: weight, bias: bias) }
}
