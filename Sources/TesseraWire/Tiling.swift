/// The axes along which an image wraps seamlessly (circular padding in every convolution).
public enum Tiling: String, Sendable, CaseIterable {
    /// No wrapping (wire value `"none"`; not named `none`, which Swift would confuse
    /// with `Optional.none` wherever a `Tiling?` is expected).
    case disabled = "none"
    /// Wraps horizontally: the left edge continues the right one.
    case x
    /// Wraps vertically.
    case y
    /// Wraps in both axes.
    case xy
}
