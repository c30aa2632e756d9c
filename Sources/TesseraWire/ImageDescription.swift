/// What the payload frames of a `generate` result hold: the reply's `image` object.
public struct ImageDescription: Sendable, Equatable {
    /// Width of level 0 in pixels.
    public var width: Int
    /// Height of level 0 in pixels.
    public var height: Int
    /// The pixel encoding.
    public var format: PixelFormat
    /// Whether values are sRGB-encoded colour (see ``OutputFormat/srgb``).
    public var srgb: Bool
    /// One entry per payload frame, level 0 first. A PNG result has exactly one.
    public var mips: [MipLevel]

    /// Creates an image description.
    public init(width: Int, height: Int, format: PixelFormat, srgb: Bool, mips: [MipLevel]) {
        self.width = width
        self.height = height
        self.format = format
        self.srgb = srgb
        self.mips = mips
    }

    /// The levels of an RGBA8 image of `width × height`: level 0 only, or the full chain
    /// down to 1×1 (each dimension halved, rounding down, never below 1).
    public static func rgba8(width: Int, height: Int, srgb: Bool = true, mips: Bool) -> ImageDescription {
        var levels = [MipLevel(level: 0, width: width, height: height, bytes: width * height * 4)]
        var (w, h) = (width, height)
        while mips && (w > 1 || h > 1) {
            w = max(1, w / 2)
            h = max(1, h / 2)
            levels.append(MipLevel(level: levels.count, width: w, height: h, bytes: w * h * 4))
        }
        return ImageDescription(width: width, height: height, format: .rgba8, srgb: srgb, mips: levels)
    }

    /// The description of a PNG result of `byteCount` bytes.
    public static func png(width: Int, height: Int, srgb: Bool = true, byteCount: Int) -> ImageDescription {
        ImageDescription(width: width, height: height, format: .png, srgb: srgb,
                         mips: [MipLevel(level: 0, width: width, height: height, bytes: byteCount)])
    }

    var json: WireJSON {
        .object([
            "width": .integer(Int64(width)), "height": .integer(Int64(height)),
            "format": .string(format.rawValue), "srgb": .bool(srgb),
            "mips": .array(mips.map(\.json)),
        ])
    }

    init(reading fields: FieldReader) throws(WireError) {
        width = try fields.required(fields.int("width"), "width")
        height = try fields.required(fields.int("height"), "height")
        format = try fields.required(fields.choice("format", PixelFormat.self, code: .unknownFormat), "format")
        srgb = try fields.bool("srgb") ?? true
        var mips: [MipLevel] = []
        for (index, element) in (try fields.required(fields.array("mips"), "mips")).enumerated() {
            guard case .object(let members) = element else {
                throw fields.error(.badField, "mips[\(index)]", "must be an object")
            }
            mips.append(try MipLevel(reading: FieldReader(members, path: fields.fieldName("mips[\(index)]."), id: fields.id, type: fields.type)))
        }
        self.mips = mips
    }
}
