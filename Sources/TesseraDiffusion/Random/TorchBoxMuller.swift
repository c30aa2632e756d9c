import Foundation

/// Bit-exact scalar models of torch's `normal_fill_16_AVX2` and portable `normal_fill_16`,
/// the Box–Muller transforms `torch.randn` applies to float32 tensors of 16+ elements.
///
/// In the AVX2 kernel torch evaluates log, sin and cos with Cephes-style single-precision polynomials
/// (`avx_mathfun.h`), not libm, and GCC contracts some of the multiply-adds into FMAs.
/// Each FMA below (`addingProduct`) sits exactly where the compiled torch kernel has one;
/// plain `*` then `+` sits where it rounds twice. The placement was fixed by matching
/// torch 2.13 bit for bit over millions of samples. Constants are given as bit patterns so
/// that they equal C's double-literal-to-float conversion.
enum TorchBoxMuller {
    private static let twoPi = Float(bitPattern: 0x40C9_0FDB)
    private static let sqrtHalf = Float(bitPattern: 0x3F35_04F3)
    private static let logP: (Float, Float, Float, Float, Float, Float, Float, Float, Float) = (
        Float(bitPattern: 0x3D90_21BB), Float(bitPattern: 0xBDEB_D1B8), Float(bitPattern: 0x3DEF_251A),
        Float(bitPattern: 0xBDFE_5D4F), Float(bitPattern: 0x3E11_E9BF), Float(bitPattern: 0xBE2A_AE50),
        Float(bitPattern: 0x3E4C_CEAC), Float(bitPattern: 0xBE7F_FFFC), Float(bitPattern: 0x3EAA_AAAA)
    )
    private static let logQ1 = Float(bitPattern: 0xB95E_8083)
    private static let logQ2 = Float(bitPattern: 0x3F31_8000)
    private static let fourOverPi = Float(bitPattern: 0x3FA2_F983)
    private static let dp1 = Float(bitPattern: 0xBF49_0000)
    private static let dp2 = Float(bitPattern: 0xB97D_A000)
    private static let dp3 = Float(bitPattern: 0xB322_2169)
    private static let sinP0 = Float(bitPattern: 0xB94C_A1F9)
    private static let sinP1 = Float(bitPattern: 0x3C08_839E)
    private static let sinP2 = Float(bitPattern: 0xBE2A_AAA3)
    private static let cosP0 = Float(bitPattern: 0x37CC_F5CE)
    private static let cosP1 = Float(bitPattern: 0xBAB6_061A)
    private static let cosP2 = Float(bitPattern: 0x3D2A_AAA5)

    /// Turns 16 uniforms in [0, 1) at `p` into 16 normals in place: lane `j` pairs the
    /// radius from `p[j]` with the angle from `p[j + 8]`, giving cos to `j`, sin to `j + 8`.
    @inline(__always)
    static func transform16(_ p: UnsafeMutablePointer<Float>) {
        for j in 0..<8 {
            let u1 = 1 - p[j]  // [0, 1) -> (0, 1] so that log is finite
            let radius = (-2 * log(u1)).squareRoot()
            let (s, c) = sinCos(twoPi * p[j + 8])
            p[j] = radius * c
            p[j + 8] = radius * s
        }
    }

    /// torch's portable `normal_fill_16`: float libm functions, with the angle computed in
    /// double (2π is a double there) and rounded to float.
    @inline(__always)
    static func transform16Generic(_ p: UnsafeMutablePointer<Float>) {
        for j in 0..<8 {
            let u1 = 1 - p[j]
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            let theta = Float(2 * Double.pi * Double(p[j + 8]))
            p[j] = radius * Foundation.cos(theta)
            p[j + 8] = radius * Foundation.sin(theta)
        }
    }

    /// Cephes `logf` as torch's `log256_ps` computes it, for x > 0.
    @inline(__always)
    static func log(_ value: Float) -> Float {
        let v = max(value, Float.leastNormalMagnitude)
        let bits = v.bitPattern
        let mantissa = Float(bitPattern: (bits & ~0x7F80_0000) | 0x3F00_0000)  // in [0.5, 1)
        var e = Float(Int32(bitPattern: bits >> 23) - 0x7F) + 1
        let below = mantissa < sqrtHalf
        var x = mantissa - 1
        if below {
            e -= 1
            x = x + mantissa
        }
        let z = x * x
        var y = logP.1.addingProduct(logP.0, x)
        y = logP.2.addingProduct(y, x)
        y = logP.3.addingProduct(y, x)
        y = logP.4.addingProduct(y, x)
        y = logP.5.addingProduct(y, x)
        y = logP.6.addingProduct(y, x)
        y = logP.7.addingProduct(y, x)
        y = logP.8.addingProduct(y, x)
        y = y * x
        y = (e * logQ1).addingProduct(y, z)
        y = y - z * 0.5  // z * 0.5 is exact, so fused or not gives the same
        x = x + y
        return x.addingProduct(e, logQ2)
    }

    /// Cephes `sincosf` as torch's `sincos256_ps` computes it.
    @inline(__always)
    static func sinCos(_ value: Float) -> (sin: Float, cos: Float) {
        var signSin = value.sign == .minus
        var x = abs(value)
        var j = Int32(x * fourOverPi)  // truncates, like cvttps
        j = (j &+ 1) & ~1
        let y = Float(j)
        if j & 4 != 0 { signSin.toggle() }
        let sinPolynomial = j & 2 == 0
        let negateCos = ~(j &- 2) & 4 != 0
        x = x.addingProduct(y, dp1)
        x = x.addingProduct(y, dp2)
        x = x.addingProduct(y, dp3)
        let z = x * x

        var yc = cosP1.addingProduct(cosP0, z)
        yc = cosP2.addingProduct(yc, z)
        yc = yc * z
        yc = (-(z * 0.5)).addingProduct(yc, z)
        yc = yc + 1

        var ys = sinP1.addingProduct(sinP0, z)
        ys = sinP2.addingProduct(ys, z)
        ys = ys * z
        ys = x.addingProduct(ys, x)

        let s = sinPolynomial ? ys : yc
        let c = sinPolynomial ? yc : ys
        return (signSin ? -s : s, negateCos ? -c : c)
    }
}
