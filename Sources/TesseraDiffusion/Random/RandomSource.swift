/// A source of standard normal samples for initial latents and per-step noise
/// (style anchor: apple/ml-stable-diffusion's `RandomSource`).
///
/// A draw is defined over a whole tensor, not element by element: torch's generator
/// picks its algorithm by element count, so the `count` of `buffer` is part of the
/// contract. Successive draws continue one stream.
public protocol RandomSource {
    /// Fills `buffer` with N(0, 1) samples, as one draw of `buffer.count` elements.
    mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>)
}

extension RandomSource {
    /// A tensor of `shape` holding one draw of N(0, 1) samples in row-major order.
    public mutating func normal(shape: [Int]) -> Tensor {
        let tensor = Tensor(uninitialized: shape)
        fillNormal(UnsafeMutableBufferPointer(start: tensor.data, count: tensor.count))
        return tensor
    }
}
