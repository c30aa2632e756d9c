import CTesseraKernels

/// Vectorised transcendental functions and reductions for the hot elementwise loops
/// (softmax, SiLU, GELU).
/// `exp` uses the classic Cephes single-precision reduction and polynomial: about 1-2 ulp,
/// far inside the 1e-4 parity budget, and several times faster than calling `expf` per element.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// Whether `swish` and GroupNorm's SiLU run as the AVX-512 kernels of `CTesseraKernels`:
    /// the same operations on 16 lanes instead of 8, so the same bits, in about half the
    /// time (GroupNorm's SiLU at 32x32 x 320: 0.35 to 0.16 ms, docs/BENCHMARKS.md). Tests
    /// set `avx512Override` to run the Swift loops.
    static var usesAVX512: Bool { avx512Override ?? hasAVX512 }
    private static let hasAVX512 = tessera_has_avx512f() != 0
    nonisolated(unsafe) static var avx512Override: Bool?

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let hi = V(repeating: 88.376_26), lo = V(repeating: -87.336_55)
        // replacing(with:where:) rather than clamped(): the latter is a generic call per vector.
        var xc = x.replacing(with: hi, where: x .> hi)
        xc.replace(with: lo, where: xc .< lo)
        // Round to nearest with the 1.5 * 2^23 trick: the integer lands in the low mantissa
        // bits, avoiding the generic (slow) SIMD rounding and float-to-int conversions.
        let magic = V(repeating: 12_582_912)
        let t = xc * 1.442_695_04 + magic
        let n = t - magic
        // Two-part ln 2 keeps the reduced argument exact.
        var r = xc - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: V.self)
        // Below the float range exp underflows to 0 (masked attention scores are -inf).
        return (y * scale).replacing(with: 0, where: x .< lo)
    }

    /// erf to within 5e-7 absolute (Abramowitz and Stegun 7.1.26: 1.5e-7, plus float rounding), vectorised.
    @inline(__always)
    public static func erf(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = V(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let y = 1 - p * t * exp(-a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// In-place exact GELU, `0.5 x (1 + erf(x / sqrt 2))`, over `n` floats.
    public static func gelu(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        map(p, count: n) { x in 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_52)) }
    }

    /// GEGLU's gating, `out = value * GELU(gate)` with the exact GELU, over `n` floats in one
    /// pass (no copy of the gate half first).
    public static func geglu(value: UnsafePointer<Float>, gate: UnsafePointer<Float>,
                             into out: UnsafeMutablePointer<Float>, count n: Int) {
        @inline(__always) func f(_ v: V, _ g: V) -> V { v * (0.5 * g * (1 + erf(g * 0.707_106_781_186_547_52))) }
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(value + i).loadUnaligned(as: V.self)
            let g = UnsafeRawPointer(gate + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: f(v, g), as: V.self)
            i += 8
        }
        if i < n {
            var (v, g) = (V(repeating: 0), V(repeating: 0))
            for j in 0..<(n - i) { (v[j], g[j]) = (value[i + j], gate[i + j]) }
            let r = f(v, g)
            for j in 0..<(n - i) { out[i + j] = r[j] }
        }
    }

    /// Applies `f` to `n` floats in place, eight at a time (the tail padded with zeros).
    @inline(__always)
    static func map(_ p: UnsafeMutablePointer<Float>, count n: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: f(v), as: V.self)
            i += 8
        }
        if i < n {
            var tail = V(repeating: 0)
            for j in 0..<(n - i) { tail[j] = p[i + j] }
            let r = f(tail)
            for j in 0..<(n - i) { p[i + j] = r[j] }
        }
    }

    /// Largest of `n` floats (-inf for none).
    public static func max(_ p: UnsafePointer<Float>, count n: Int) -> Float {
        var m = V(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            m.replace(with: v, where: v .> m)
            i += 8
        }
        var r = m.max()
        while i < n { r = Swift.max(r, p[i]); i += 1 }
        return r
    }

    /// Sum of `n` floats.
    public static func sum(_ p: UnsafePointer<Float>, count n: Int) -> Float {
        var s = V(repeating: 0)
        var i = 0
        while i + 8 <= n {
            s += UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            i += 8
        }
        var r = s.sum()
        while i < n { r += p[i]; i += 1 }
        return r
    }

    /// In-place exp over `n` floats.
    public static func exp(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        map(p, count: n) { exp($0) }
    }

    /// In-place `x * sigmoid(k * x)` (SiLU for k = 1, CLIP's quick GELU for k = 1.702).
    public static func swish(_ p: UnsafeMutablePointer<Float>, count n: Int, k: Float) {
        if usesAVX512 {
            tessera_swish(p, Int64(n), k)
            return
        }
        map(p, count: n) { x in x / (1 + exp(-k * x)) }
    }

    /// In-place `x * c` over `n` floats.
    public static func scale(_ p: UnsafeMutablePointer<Float>, count n: Int, _ c: Float) {
        map(p, count: n) { $0 * c }
    }
}
