import TesseraDiffusion
import TesseraImage
import TesseraWire

/// Turns a decoded image into wire payload frames in the requested format.
enum ResultEncoder {
    /// RGBA8 (one frame per mip level) or one PNG frame.
    static func encode(_ decoded: Tensor, format: OutputFormat) throws -> EncodedResult {
        let (h, w) = (decoded.shape[2], decoded.shape[3])
        let pixels = try ImageConversion.rgba8(fromDecoded: decoded)[0]
        let image = RGBAImage(width: w, height: h, pixels: pixels)
        switch format.type {
        case .png:
            let png = try PNGCodec.encode(image)
            return EncodedResult(image: .png(width: w, height: h, srgb: format.srgb, byteCount: png.count), payload: [png])
        default:
            let levels = format.mips ? MipChain.build(image, srgb: format.srgb) : [image]
            let description = ImageDescription(width: w, height: h, format: .rgba8, srgb: format.srgb,
                                               mips: levels.enumerated().map {
                                                   MipLevel(level: $0.offset, width: $0.element.width, height: $0.element.height,
                                                            bytes: $0.element.pixels.count)
                                               })
            return EncodedResult(image: description, payload: levels.map(\.pixels))
        }
    }

    /// A small RGBA8 preview frame set for the stream socket.
    static func preview(_ image: Tensor) throws -> (ImageDescription, [[UInt8]]) {
        let pixels = try ImageConversion.rgba8(fromDecoded: Ops.clamp(image, min: -1, max: 1))[0]
        let (h, w) = (image.shape[2], image.shape[3])
        return (.rgba8(width: w, height: h, srgb: true, mips: false), [pixels])
    }
}
