/// Vectorised transcendental functions for the hot elementwise loops (softmax, SiLU).
/// `exp` uses the classic Cephes single-precision reduction and polynomial: about 1-2 ulp,
/// far inside the 1e-4 parity budget, and several times faster than calling `expf` per element.
public enum VectorMath {
    public typealias V = SIMD8<Float>

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let hi = V(repeating: 88.376_26), lo = V(repeating: -87.336_55)
        let xc = x.clamped(lowerBound: lo, upperBound: hi)
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

    /// In-place exp over `n` floats.
    public static func exp(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: exp(v), as: V.self)
            i += 8
        }
        if i < n {
            var tail = V(repeating: 0)
            for j in 0..<(n - i) { tail[j] = p[i + j] }
            let r = exp(tail)
            for j in 0..<(n - i) { p[i + j] = r[j] }
        }
    }

    /// In-place `x * sigmoid(k * x)` (SiLU for k = 1, CLIP's quick GELU for k = 1.702).
    public static func swish(_ p: UnsafeMutablePointer<Float>, count n: Int, k: Float) {
        var i = 0
        while i + 8 <= n {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            let y = x / (1 + exp(-k * x))
            UnsafeMutableRawPointer(p + i).storeBytes(of: y, as: V.self)
            i += 8
        }
        while i < n {
            var t = V(repeating: 0)
            t[0] = p[i]
            let y = t / (1 + exp(-k * t))
            p[i] = y[0]
            i += 1
        }
    }
}
