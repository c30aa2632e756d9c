import TesseraTensor

/// `torch.nn.LayerNorm` over the last dimension, with affine parameters.
public struct LayerNorm: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    /// Loads `<prefix>.weight` and `<prefix>.bias` of size `dim`.
    public init(_ w: Weights, dim: Int, eps: Float) throws {
        weight = try w.tensor("weight", shape: [dim])
        bias = try w.tensor("bias", shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { Ops.layerNorm(x, weight: weight, bias: bias, eps: eps) }
}
