import TesseraTensor

/// `torch.nn.Conv2d` with square stride/padding as diffusers uses it. Padding mode is
/// chosen per call, so one loaded model serves tiled and untiled requests.
public struct Conv2d: Sendable {
    /// Weight [out, in, kh, kw].
    public let weight: Tensor
    /// Optional bias [out].
    public let bias: Tensor?
    /// Step between output samples.
    public let stride: Int
    /// Samples added on each side.
    public let padding: Int

    /// Loads `<prefix>.weight` [out, in, k, k] and `<prefix>.bias`.
    public init(_ w: Weights, inChannels: Int, outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true) throws {
        weight = try w.tensor("weight", shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? try w.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride
        self.padding = padding
    }

    /// A conv from tensors already in memory: `weight` [out, in, kh, kw], `bias` [out].
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) {
        precondition(weight.rank == 4 && bias.map { $0.shape == [weight.shape[0]] } ?? true,
                     "Conv2d: weight \(weight.shape) and bias \(bias?.shape ?? []) do not match")
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
    }

    /// Convolves `x`, wrapping around on the axes in `tiling` when this conv pads, then
    /// applies `epilogue` (residual sum, ReLU). With `channelsLast`, `x` is [N, H, W, C]
    /// and so is the result.
    public func callAsFunction(_ x: Tensor, tiling: Tiling = .none, epilogue: ConvEpilogue = .none,
                               channelsLast: Bool = false) -> Tensor {
        let o = Conv2dOptions(stride: (stride, stride), padding: (padding, padding),
                              paddingModeY: tiling.contains(.y) ? .circular : .zeros,
                              paddingModeX: tiling.contains(.x) ? .circular : .zeros)
        return Ops.conv2d(x, weight: weight, bias: bias, options: o, epilogue: epilogue, channelsLast: channelsLast)
    }
}
