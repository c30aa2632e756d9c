/// The 32-bit Mersenne Twister (MT19937), as seeded by `std::mt19937(uint32)` and by
/// torch's CPU generator.
struct MersenneTwister: Sendable {
    private static let n = 624
    private static let m = 397

    private var state: [UInt32]
    private var index: Int

    /// Seeds with Knuth's initialisation, the same as `init_genrand`.
    init(seed: UInt32) {
        var s = [UInt32](repeating: 0, count: Self.n)
        s[0] = seed
        for i in 1..<Self.n {
            s[i] = 1_812_433_253 &* (s[i - 1] ^ (s[i - 1] >> 30)) &+ UInt32(i)
        }
        state = s
        index = Self.n
    }

    /// The next 32 random bits.
    @inline(__always)
    mutating func next() -> UInt32 {
        if index >= Self.n { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Regenerates all 624 words at once (the reference algorithm's block update).
    private mutating func twist() {
        state.withUnsafeMutableBufferPointer { s in
            for i in 0..<Self.n {
                let y = (s[i] & 0x8000_0000) | (s[(i + 1) % Self.n] & 0x7FFF_FFFF)
                var v = s[(i + Self.m) % Self.n] ^ (y >> 1)
                if y & 1 != 0 { v ^= 0x9908_B0DF }
                s[i] = v
            }
        }
        index = 0
    }
}
