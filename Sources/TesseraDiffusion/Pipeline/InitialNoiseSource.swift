/// A cache of initial noise: the N(0, 1) draw for a seed and latent shape, and the
/// generator state after it (schedulers that add noise per step continue from there).
public protocol InitialNoiseSource: AnyObject, Sendable {
    /// The cached draw and generator state, if any.
    func initialNoise(seed: UInt64, shape: [Int]) -> (Tensor, TorchRandomSource)?
    /// Remembers a fresh draw.
    func remember(seed: UInt64, shape: [Int], noise: Tensor, generator: TorchRandomSource)
}
