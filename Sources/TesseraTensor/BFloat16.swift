/// Conversion of fp32 values to bfloat16 (the upper 16 bits of an fp32, rounded to
/// nearest even), for operands handed to oneDNN's bf16 kernels.
enum BFloat16 {
    /// `x * scale` rounded to bf16; NaN stays NaN.
    @inline(__always)
    static func bits(_ x: Float, scale: Float = 1) -> UInt16 {
        let b = (x * scale).bitPattern
        if b & 0x7FFF_FFFF > 0x7F80_0000 { return 0x7FC0 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    /// Converts `count` floats, times `scale`, into `dst`, eight at a time.
    static func run(_ src: UnsafePointer<Float>, count: Int, scale: Float = 1, into dst: UnsafeMutablePointer<UInt16>) {
        var i = 0
        while i + 8 <= count {
            store(UnsafeRawPointer(src + i).loadUnaligned(as: VectorMath.V.self) * scale, dst + i)
            i += 8
        }
        while i < count { dst[i] = bits(src[i], scale: scale); i += 1 }
    }

    /// Stores eight floats as bf16, rounded as `bits` rounds one (NaN stays NaN).
    @inline(__always)
    static func store(_ x: VectorMath.V, _ to: UnsafeMutablePointer<UInt16>) {
        let b = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        var r = (b &+ 0x7FFF &+ ((b &>> 16) & 1)) &>> 16
        // NaN found by a float comparison: Swift compares integer vectors lane by lane.
        r.replace(with: 0x7FC0, where: x .!= x)
        UnsafeMutableRawPointer(to).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: r), as: SIMD8<UInt16>.self)
    }

    /// Sum of `count` bf16 values, in fp32.
    static func sum(_ p: UnsafePointer<UInt16>, count n: Int) -> Float {
        var s = VectorMath.V(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let h = SIMD8<UInt32>(truncatingIfNeeded: UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<UInt16>.self))
            s += unsafeBitCast(h &<< 16, to: VectorMath.V.self)
            i += 8
        }
        var r = s.sum()
        while i < n { r += Float(bitPattern: UInt32(p[i]) << 16); i += 1 }
        return r
    }

    /// Floats of pooled storage that hold `count` bf16 values.
    static func floats(for count: Int) -> Int { (count + 1) / 2 }
}
