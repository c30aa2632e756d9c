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

    /// Floats of pooled storage that hold `count` bf16 values.
    static func floats(for count: Int) -> Int { (count + 1) / 2 }
}
