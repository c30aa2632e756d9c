/// What a `generate` request produces.
public enum GenerateKind: String, Sendable, CaseIterable {
    /// A square-ish, seamlessly tileable material texture; tiles in both axes by default.
    case tile
    /// A wide image such as a sky or a 360° panorama; wraps horizontally by default.
    case backdrop

    /// The tiling used when a request does not name one.
    public var defaultTiling: Tiling {
        switch self {
        case .tile: return .xy
        case .backdrop: return .x
        }
    }
}
