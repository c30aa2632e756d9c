/// How image pixels travel in payload frames.
public enum PixelFormat: String, Sendable, CaseIterable {
    /// Raw 8-bit RGBA, rows top to bottom, no padding: `width × height × 4` bytes per
    /// level. The real-time format; can carry a mip chain.
    case rgba8
    /// One PNG file (8-bit RGBA). For tooling; costs milliseconds to encode.
    case png
}
