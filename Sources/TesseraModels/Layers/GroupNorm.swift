import TesseraTensor

/// `torch.nn.GroupNorm` with affine parameters, optionally fused with an activation.
public struct GroupNorm: Sendable {
    public let weight: Tensor
    public let bias: Tensor
    public let groups: Int
    public let eps: Float

    /// Loads `<prefix>.weight` and `<prefix>.bias` of size `channels`.
    public init(_ w: Weights, groups: Int, channels: Int, eps: Float) throws {
        guard groups > 0, channels % groups == 0 else {
            throw ModelError.badConfig(path: w.archive.url.path, key: "norm_num_groups",
                                       reason: "\(groups) groups do not divide \(channels) channels at \(w.prefix)")
        }
        weight = try w.tensor("weight", shape: [channels])
        bias = try w.tensor("bias", shape: [channels])
        self.groups = groups
        self.eps = eps
    }

    /// Normalises `x` [N, C, ...] (with `channelsLast`, [N, ..., C]), then applies
    /// `activation` in the same pass.
    public func callAsFunction(_ x: Tensor, activation: Activation = .identity, channelsLast: Bool = false) -> Tensor {
        channelsLast
            ? Ops.groupNormChannelsLast(x, groups: groups, weight: weight, bias: bias, eps: eps, activation: activation)
            : Ops.groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps, activation: activation)
    }
}
