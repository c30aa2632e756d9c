import Foundation

/// Helpers for reading loosely typed values out of `JSONSerialization` results.
enum JSONValue {
    /// An integer stored as a JSON number (an integral double is accepted), or nil.
    static func int(_ value: Any?) -> Int? {
        switch value {
        case let int as Int: return int
        case let double as Double: return double.isFinite && double.rounded() == double ? Int(exactly: double) : nil
        case let number as NSNumber: return Int(exactly: number.doubleValue)
        default: return nil
        }
    }

    /// An `Int32` stored as a JSON number, or nil.
    static func int32(_ value: Any?) -> Int32? {
        int(value).flatMap { Int32(exactly: $0) }
    }

    /// A JSON number as a double (large values such as 1e30 included), or nil.
    static func double(_ value: Any?) -> Double? {
        switch value {
        case let int as Int: return Double(int)
        case let double as Double: return double
        case let number as NSNumber: return number.doubleValue
        default: return nil
        }
    }

    /// A JSON boolean, or nil.
    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let bool as Bool: return bool
        case let number as NSNumber: return number.boolValue
        default: return nil
        }
    }
}
