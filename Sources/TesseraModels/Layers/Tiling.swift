import TesseraTensor

/// Which image axes wrap around, for seamless textures. With tiling on an axis, every
/// padded convolution in the UNet and the decoder pads circularly along it.
public struct Tiling: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Wrap horizontally (left edge meets right edge).
    public static let x = Tiling(rawValue: 1)
    /// Wrap vertically (top edge meets bottom edge).
    public static let y = Tiling(rawValue: 2)
    /// No wrapping.
    public static let none: Tiling = []
    /// Wrap on both axes: a seamless tile.
    public static let xy: Tiling = [.x, .y]

    /// Parses "none", "x", "y" or "xy".
    public init?(name: String) {
        switch name {
        case "none": self = .none
        case "x": self = .x
        case "y": self = .y
        case "xy", "yx": self = .xy
        default: return nil
        }
    }

    /// "none", "x", "y" or "xy".
    public var name: String {
        switch self {
        case .x: return "x"
        case .y: return "y"
        case .xy: return "xy"
        default: return "none"
        }
    }
}
