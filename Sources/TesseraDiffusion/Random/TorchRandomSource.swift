import Foundation

/// Normal samples equal to `torch.randn(shape, generator=torch.Generator().manual_seed(seed))`
/// on CPU in float32, bit for bit, so that seeds carry over from Python workflows
/// (DESIGN.md §3). Successive draws continue the generator's stream as torch does, so
/// Euler-Ancestral and LCM step noise drawn after the initial latents matches diffusers.
///
/// How torch 2.x draws float32 normals from its CPU generator (mt19937 seeded with the
/// low 32 bits of the seed):
/// - **16 or more elements**: one uniform per element, `(bits & 0xFFFFFF) * 2^-24`, then
///   Box–Muller over consecutive blocks of 16, pairing element `j` with `j + 8`. If the
///   count is not a multiple of 16, 16 fresh uniforms overwrite the *last* 16 elements and
///   that block is transformed again. Log, sin and cos use torch's AVX2 polynomials
///   (`TorchBoxMuller`).
/// - **Fewer than 16 elements**: one double-precision Box–Muller per pair of elements from
///   53-bit uniforms built of two 32-bit draws; the second value of each pair is cached in
///   the generator and returned by the next request, even one from a later call.
///
/// torch compiles the 16-element transform once per CPU capability, and the variants
/// round differently in the last bit or two (see `Kernel`); the generator stream itself
/// is the same everywhere.
public struct TorchRandomSource: RandomSource, Sendable {
    /// Which of torch's compiled Box–Muller kernels (for draws of 16+ elements) to mirror.
    public enum Kernel: Sendable {
        /// torch's AVX2 kernel, which x86-64 builds run when
        /// `torch.backends.cpu.get_cpu_capability()` is "AVX2" or "AVX512" (the latter
        /// checked by forcing it: identical draws). Bit-exact.
        case avx2
        /// torch's portable kernel (float libm log, sin, cos): capability "DEFAULT", as on
        /// ARM. Bit-exact where the platform libm is glibc's. Differs from `.avx2` in about
        /// 40% of values, by up to 2e-6.
        case generic
    }

    /// The seed as passed to `manual_seed`.
    public let seed: UInt64
    /// The kernel whose rounding is reproduced.
    public let kernel: Kernel
    private var engine: MersenneTwister
    /// Torch's cached second value of the double-precision Box–Muller pair.
    private var cachedNormal: Double?

    /// A generator in the state of `torch.Generator().manual_seed(seed)`.
    public init(seed: UInt64, kernel: Kernel = .avx2) {
        self.seed = seed
        self.kernel = kernel
        // torch's mt19937 takes a 64-bit seed but initialises from its low 32 bits.
        engine = MersenneTwister(seed: UInt32(truncatingIfNeeded: seed))
        cachedNormal = nil
    }

    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let n = buffer.count
        if n >= 16 {
            for i in 0..<n { base[i] = nextUniformFloat() }
            var i = 0
            while i + 16 <= n {
                transform16(base + i)
                i += 16
            }
            if n % 16 != 0 {
                let tail = base + (n - 16)
                for k in 0..<16 { tail[k] = nextUniformFloat() }
                transform16(tail)
            }
        } else {
            for i in 0..<n { base[i] = Float(nextNormalDouble()) }
        }
    }

    @inline(__always)
    private func transform16(_ p: UnsafeMutablePointer<Float>) {
        switch kernel {
        case .avx2: TorchBoxMuller.transform16(p)
        case .generic: TorchBoxMuller.transform16Generic(p)
        }
    }

    /// torch's `uniform_real_distribution<float>(0, 1)`: 24 random bits scaled exactly.
    @inline(__always)
    private mutating func nextUniformFloat() -> Float {
        Float(engine.next() & 0xFF_FFFF) * 0x1p-24
    }

    /// torch's `uniform_real_distribution<double>(0, 1)` over `random64()`, whose first
    /// 32-bit draw is the high word.
    private mutating func nextUniformDouble() -> Double {
        let high = UInt64(engine.next())
        let low = UInt64(engine.next())
        return Double(((high << 32) | low) & ((1 << 53) - 1)) * 0x1p-53
    }

    /// torch's `normal_distribution<double>` with its per-generator cache.
    private mutating func nextNormalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = nextUniformDouble()
        let u2 = nextUniformDouble()
        let radius = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }
}
