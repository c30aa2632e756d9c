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

    /// Converts `count` floats, times `scale`, into `dst`, in parallel when large.
    static func convert(_ src: UnsafePointer<Float>, count: Int, scale: Float = 1, into dst: UnsafeMutablePointer<UInt16>) {
        Parallel.forEach(count) { r in for i in r { dst[i] = bits(src[i], scale: scale) } }
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

    /// Floats of pooled storage that hold `count` bf16 values.
    static func floats(for count: Int) -> Int { (count + 1) / 2 }
}
