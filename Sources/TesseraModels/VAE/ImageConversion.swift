import TesseraTensor

/// Conversions between decoder tensors and 8-bit pixels, exactly as diffusers'
/// `VaeImageProcessor` does them.
public enum ImageConversion {
    /// Decoder output [N, 3, H, W] in [-1, 1] to one RGBA8 buffer per image (H * W * 4 bytes,
    /// row-major, alpha 255).
    ///
    /// Matches `VaeImageProcessor.postprocess(x, output_type="pil")` byte for byte: float32
    /// `(x * 0.5 + 0.5).clamp(0, 1)`, then numpy's `(v * 255).round().astype("uint8")`, where
    /// `round` goes to the nearest even integer on ties. NaN becomes 0.
    public static func rgba8(fromDecoded x: Tensor) throws -> [[UInt8]] {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw AutoencoderError.badInput("decoded image must be [N, 3, H, W], got \(x.shape)")
        }
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let plane = h * w
        return (0..<n).map { b in
            var bytes = [UInt8](repeating: 255, count: plane * 4)
            bytes.withUnsafeMutableBufferPointer { out in
                for c in 0..<3 {
                    let src = x.data + (b * 3 + c) * plane
                    for p in 0..<plane { out[p * 4 + c] = byte(src[p]) }
                }
            }
            return bytes
        }
    }

    /// One channel value in [-1, 1] to its byte, as diffusers rounds it.
    @inline(__always)
    static func byte(_ x: Float) -> UInt8 {
        let v = x * 0.5 + 0.5
        guard v > 0 else { return 0 } // also NaN
        guard v < 1 else { return 255 }
        return UInt8((v * 255).rounded(.toNearestOrEven))
    }

    /// RGBA8 (or RGB8) buffers, one per image, to an encoder input [N, 3, height, width] in
    /// [-1, 1], as `VaeImageProcessor.preprocess` does it: `2 * (byte / 255) - 1`. Alpha is ignored.
    public static func tensor(fromRGBA8 images: [[UInt8]], width: Int, height: Int, bytesPerPixel: Int = 4) throws -> Tensor {
        guard !images.isEmpty, width > 0, height > 0, bytesPerPixel == 3 || bytesPerPixel == 4,
              images.allSatisfy({ $0.count == width * height * bytesPerPixel }) else {
            throw AutoencoderError.badInput("need non-empty images of \(width)x\(height)x\(bytesPerPixel) bytes each")
        }
        let plane = width * height
        let out = Tensor(uninitialized: [images.count, 3, height, width])
        for (b, image) in images.enumerated() {
            image.withUnsafeBufferPointer { src in
                for c in 0..<3 {
                    let dst = out.data + (b * 3 + c) * plane
                    for p in 0..<plane { dst[p] = 2 * (Float(src[p * bytesPerPixel + c]) / 255) - 1 }
                }
            }
        }
        return out
    }
}
