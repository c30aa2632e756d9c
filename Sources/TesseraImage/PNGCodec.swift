import CPNG
import Foundation

/// PNG encoding and decoding through libpng's simplified `png_image_*` API, which reports
/// errors in the image struct instead of longjmp-ing, so failures become Swift errors.
public enum PNGCodec {
    /// A libpng failure, with libpng's own message.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let description: String
    }

    /// Encodes `image` as an 8-bit RGBA PNG.
    public static func encode(_ image: RGBAImage) throws -> [UInt8] {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        png.width = png_uint_32(image.width)
        png.height = png_uint_32(image.height)
        png.format = png_uint_32(TESSERA_PNG_FORMAT_RGBA)
        var size: png_alloc_size_t = 0
        let stride = png_int_32(image.width * 4)
        // First call sizes the output, the second writes it.
        let sized = image.pixels.withUnsafeBytes {
            png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, stride, nil)
        }
        guard sized != 0, size > 0 else { throw Error(description: "png sizing failed: \(message(&png))") }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { src in
                png_image_write_to_memory(&png, dst.baseAddress, &size, 0, src.baseAddress, stride, nil)
            }
        }
        guard ok != 0 else { throw Error(description: "png encode failed: \(message(&png))") }
        png_image_free(&png)
        return Array(out.prefix(Int(size)))
    }

    /// Decodes any PNG libpng understands into 8-bit RGBA.
    public static func decode(_ bytes: [UInt8]) throws -> RGBAImage {
        var png = png_image()
        png.version = png_uint_32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&png, $0.baseAddress, $0.count) }
        guard begun != 0 else { throw Error(description: "png decode failed: \(message(&png))") }
        png.format = png_uint_32(TESSERA_PNG_FORMAT_RGBA)
        let (w, h) = (Int(png.width), Int(png.height))
        guard w > 0, h > 0, w * h <= 1 << 28 else {
            png_image_free(&png)
            throw Error(description: "png decode failed: unreasonable size \(w)x\(h)")
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 4)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&png, nil, $0.baseAddress, png_int_32(w * 4), nil) }
        guard ok != 0 else { throw Error(description: "png decode failed: \(message(&png))") }
        return RGBAImage(width: w, height: h, pixels: pixels)
    }

    /// Encodes and writes atomically to `url`.
    public static func write(_ image: RGBAImage, to url: URL) throws {
        try Data(encode(image)).write(to: url, options: .atomic)
    }

    private static func message(_ png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
