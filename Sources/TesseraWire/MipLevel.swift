/// One level of a sent image; level `n` travels in payload frame `n`.
public struct MipLevel: Sendable, Equatable {
    /// 0 for the full-size image, then 1, 2, … halving each dimension (never below 1).
    public var level: Int
    /// Width of this level in pixels.
    public var width: Int
    /// Height of this level in pixels.
    public var height: Int
    /// Length of this level's payload frame in bytes (`width × height × 4` for rgba8).
    public var bytes: Int

    /// Creates a level description.
    public init(level: Int, width: Int, height: Int, bytes: Int) {
        self.level = level
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    var json: WireJSON {
        .object([
            "level": .integer(Int64(level)), "width": .integer(Int64(width)),
            "height": .integer(Int64(height)), "bytes": .integer(Int64(bytes)),
        ])
    }

    init(reading fields: FieldReader) throws(WireError) {
        level = try fields.required(fields.int("level"), "level")
        width = try fields.required(fields.int("width"), "width")
        height = try fields.required(fields.int("height"), "height")
        bytes = try fields.required(fields.int("bytes"), "bytes")
    }
}
