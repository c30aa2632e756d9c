import Foundation
import TesseraDiffusion

/// Latents worth keeping between requests:
/// - **initial noise** per (seed, shape): the torch-compatible draw, plus the generator state
///   after it, so ancestral and LCM steps continue the same stream;
/// - **final latents** per generation (everything but the output format), so the same image
///   asked for in another format, or after the encoded result was evicted, is only decoded
///   and encoded again, without running the UNet.
final class LatentCache: @unchecked Sendable {
    struct NoiseKey: Hashable, Sendable { let seed: UInt64; let shape: [Int] }

    /// The generation part of a result key (the output format left out).
    struct FinalKey: Hashable, Sendable {
        let model: String, prompt: String, negativePrompt: String?
        let seed: UInt64, width: Int, height: Int, steps: Int, guidance: Float, scheduler: String?, tiling: UInt8

        init(_ k: ResultKey) {
            model = k.model; prompt = k.prompt; negativePrompt = k.negativePrompt; seed = k.seed
            width = k.width; height = k.height; steps = k.steps; guidance = k.guidance; scheduler = k.scheduler; tiling = k.tiling
        }
    }

    struct Noise: @unchecked Sendable { let latents: Tensor; let generator: TorchRandomSource }

    let noise: LRUCache<NoiseKey, Noise>
    let finals: LRUCache<FinalKey, Tensor>

    init(budget: Int) {
        noise = LRUCache(budget: budget / 4)
        finals = LRUCache(budget: budget - budget / 4)
    }

    /// Combined counters for `stats`.
    var statistics: CacheStatistics {
        let a = noise.statistics, b = finals.statistics
        return CacheStatistics(hits: a.hits + b.hits, misses: a.misses + b.misses, evictions: a.evictions + b.evictions,
                               entries: a.entries + b.entries, bytes: a.bytes + b.bytes, budget: a.budget + b.budget)
    }
}

extension LatentCache: InitialNoiseSource {
    func initialNoise(seed: UInt64, shape: [Int]) -> (Tensor, TorchRandomSource)? {
        noise.value(for: NoiseKey(seed: seed, shape: shape)).map { ($0.latents, $0.generator) }
    }

    func remember(seed: UInt64, shape: [Int], noise latents: Tensor, generator: TorchRandomSource) {
        noise.insert(Noise(latents: latents.copy(), generator: generator), for: NoiseKey(seed: seed, shape: shape), cost: latents.count * 4)
    }
}
