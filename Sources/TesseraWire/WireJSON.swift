/// A JSON value, as carried in Tessera header frames.
///
/// Numbers keep their exactness: an integer literal that fits `Int64` is ``integer(_:)``,
/// a larger non-negative one that fits `UInt64` is ``unsigned(_:)`` (seeds reach 2^64−1),
/// anything else is ``double(_:)``. Numeric cases compare by value, so `1` equals `1.0`.
/// Objects are unordered; ``WireJSONWriter`` writes their keys sorted.
public enum WireJSON: Sendable, CustomStringConvertible {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer literal within `Int64`.
    case integer(Int64)
    /// An integer literal above `Int64.max` and within `UInt64`.
    case unsigned(UInt64)
    /// Any other number: with a fraction or exponent, or beyond 64 bits (possibly infinite
    /// when the literal overflows, e.g. `1e999`).
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([WireJSON])
    /// An object; member names are unique.
    case object([String: WireJSON])

    /// The members if this is an object.
    public var objectValue: [String: WireJSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The text if this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The value if this is a boolean. Numbers are never booleans.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// Whether this is a number (never true for booleans).
    public var isNumber: Bool {
        switch self {
        case .integer, .unsigned, .double: return true
        default: return false
        }
    }

    /// The numeric value as a `Double` (possibly rounded); `nil` for non-numbers.
    public var doubleValue: Double? {
        switch self {
        case .integer(let n): return Double(n)
        case .unsigned(let n): return Double(n)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The value as an exact `Int64`, if it is a number with an integral value in range.
    /// Doubles qualify only up to 2^53 in magnitude, where they are still exact.
    public var int64Value: Int64? {
        switch self {
        case .integer(let n): return n
        case .unsigned: return nil
        case .double(let d):
            guard d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 else { return nil }
            return Int64(d)
        default: return nil
        }
    }

    /// The value as an exact `UInt64`, if it is a non-negative integral number in range.
    /// Doubles qualify only up to 2^53, where they are still exact.
    public var uint64Value: UInt64? {
        switch self {
        case .integer(let n): return n >= 0 ? UInt64(n) : nil
        case .unsigned(let n): return n
        case .double(let d):
            guard d.isFinite, d == d.rounded(), d >= 0, d <= 9_007_199_254_740_992 else { return nil }
            return UInt64(d)
        default: return nil
        }
    }

    /// Member `key` of an object; `nil` for other values or a missing key.
    public subscript(key: String) -> WireJSON? { objectValue?[key] }

    /// The compact JSON text of this value.
    public var description: String { String(decoding: WireJSONWriter.encode(self), as: UTF8.self) }
}

extension WireJSON: Equatable {
    /// Structural equality; numbers compare by value across cases.
    public static func == (lhs: WireJSON, rhs: WireJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.unsigned(let a), .unsigned(let b)): return a == b
        case (.integer, .unsigned), (.unsigned, .integer): return false  // ranges are disjoint
        default:
            guard let a = lhs.doubleValue, let b = rhs.doubleValue else { return false }
            // Exact integers must not collide with a double that merely rounds to them.
            if let x = lhs.int64Value, let y = rhs.int64Value { return x == y }
            if let x = lhs.uint64Value, let y = rhs.uint64Value { return x == y }
            return a == b
        }
    }
}

extension WireJSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral {
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
    /// A boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// A double.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array.
    public init(arrayLiteral elements: WireJSON...) { self = .array(elements) }
    /// An object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, WireJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
