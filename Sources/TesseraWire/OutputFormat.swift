/// The image format a `generate` asks for: the `format` object.
public struct OutputFormat: Sendable, Equatable {
    /// The pixel encoding (`format.type`). Default ``PixelFormat/rgba8``.
    public var type: PixelFormat
    /// Whether to send the full mip chain down to 1×1 (`format.mips`); `rgba8` only. Default `false`.
    public var mips: Bool
    /// Whether pixel values are sRGB-encoded colour (`format.srgb`): upload as an sRGB
    /// texture, and mip levels are averaged in linear light. `false` treats values as
    /// linear data and averages them directly. Default `true`.
    public var srgb: Bool

    /// Creates a format; the defaults are raw RGBA8, no mips, sRGB.
    public init(type: PixelFormat = .rgba8, mips: Bool = false, srgb: Bool = true) {
        self.type = type
        self.mips = mips
        self.srgb = srgb
    }

    var json: WireJSON {
        .object(["type": .string(type.rawValue), "mips": .bool(mips), "srgb": .bool(srgb)])
    }

    init(reading fields: FieldReader) throws(WireError) {
        self.init()
        type = try fields.choice("type", PixelFormat.self, code: .unknownFormat) ?? type
        mips = try fields.bool("mips") ?? mips
        srgb = try fields.bool("srgb") ?? srgb
        if mips && type != .rgba8 {
            throw fields.error(.badField, "mips", "mip chains are only sent with \"rgba8\"")
        }
    }
}
