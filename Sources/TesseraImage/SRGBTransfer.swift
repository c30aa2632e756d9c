#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The exact sRGB transfer function (IEC 61966-2-1) in table form, for 8-bit values.
///
/// Decoding is a 256-entry table. Encoding rounds to the nearest 8-bit code *in encoded
/// space* (the code `k` whose `k/255` is closest to the exact encoded value) without
/// calling `pow` per pixel: the curve is monotonic, so the linear values at which the
/// rounded code steps from `k` to `k + 1` are precomputed (255 thresholds) and found by
/// binary search.
enum SRGBTransfer {
    /// Linear light in `0...1` for each 8-bit sRGB code.
    static let toLinear: [Float] = (0..<256).map { Float(decode(Double($0) / 255)) }

    /// `thresholds[k]` is the linear value of encoded `(k + 0.5) / 255`: linear values at
    /// or above it round to code `k + 1` or more.
    static let thresholds: [Float] = (0..<255).map { Float(decode((Double($0) + 0.5) / 255)) }

    /// The exact sRGB decoding curve: encoded `0...1` to linear `0...1`.
    static func decode(_ encoded: Double) -> Double {
        encoded <= 0.04045 ? encoded / 12.92 : pow((encoded + 0.055) / 1.055, 2.4)
    }

    /// The exact sRGB encoding curve: linear `0...1` to encoded `0...1`.
    static func encode(_ linear: Double) -> Double {
        linear <= 0.0031308 ? linear * 12.92 : 1.055 * pow(linear, 1 / 2.4) - 0.055
    }

    /// The 8-bit sRGB code nearest to the encoding of `linear` (clamped to `0...1`);
    /// a value exactly on a rounding boundary rounds up.
    @inline(__always)
    static func encodeByte(_ linear: Float, thresholds: UnsafeBufferPointer<Float>) -> UInt8 {
        // Number of thresholds <= linear, found by binary search (8 steps).
        var low = 0
        var high = thresholds.count
        while low < high {
            let mid = (low + high) >> 1
            if thresholds[mid] <= linear { low = mid + 1 } else { high = mid }
        }
        return UInt8(truncatingIfNeeded: low)
    }
}
