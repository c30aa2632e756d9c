/// Reads typed members of a JSON object, turning every type or range problem into a
/// ``WireError`` that names the field by its JSON path.
///
/// A member whose value is `null` counts as absent.
struct FieldReader {
    let members: [String: WireJSON]
    /// Path of this object inside the header, e.g. `"format."`; empty at the top.
    let path: String
    /// Request context copied into every error.
    var id: String?
    var type: String?

    init(_ members: [String: WireJSON], path: String = "", id: String? = nil, type: String? = nil) {
        self.members = members
        self.path = path
        self.id = id
        self.type = type
    }

    func fieldName(_ key: String) -> String { path + key }

    func error(_ code: ErrorCode, _ key: String, _ detail: String) -> WireError {
        WireError(code: code, message: "\(fieldName(key)): \(detail)", id: id, field: fieldName(key), type: type)
    }

    /// The member's value, or `nil` when absent or null.
    func value(_ key: String) -> WireJSON? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func required<T>(_ value: T?, _ key: String) throws(WireError) -> T {
        guard let value else {
            throw WireError(code: .missingField, message: "\(fieldName(key)): required", id: id, field: fieldName(key), type: type)
        }
        return value
    }

    /// A string member; `maxBytes` is checked on its UTF-8 length with `limitCode`.
    func string(_ key: String, maxBytes: Int? = nil, nonEmpty: Bool = false,
                limitCode: ErrorCode = .limitExceeded) throws(WireError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw error(.badField, key, "must be a string") }
        if nonEmpty && text.isEmpty { throw error(.badField, key, "must not be empty") }
        if let maxBytes, text.utf8.count > maxBytes {
            throw error(limitCode, key, "\(text.utf8.count) bytes exceeds the limit of \(maxBytes)")
        }
        return text
    }

    /// An integer member. Accepts any JSON number with an integral value (`512`, `512.0`,
    /// `5.12e2`); values beyond `Int`'s range clamp to `Int.min`/`Int.max` so that range
    /// checks report them as limit violations.
    func int(_ key: String) throws(WireError) -> Int? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let n): return Int(n)
        case .unsigned: return Int.max
        case .double(let d):
            guard d.isFinite else { throw error(.badField, key, "must be a finite number") }
            guard d == d.rounded() else { throw error(.badField, key, "must be an integer") }
            if d >= 9.2e18 { return Int.max }
            if d <= -9.2e18 { return Int.min }
            return Int(d)
        default:
            throw error(.badField, key, "must be an integer")
        }
    }

    /// A finite number member.
    func double(_ key: String) throws(WireError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue else { throw error(.badField, key, "must be a number") }
        guard number.isFinite else { throw error(.badField, key, "must be a finite number") }
        return number
    }

    /// A boolean member (numbers are not booleans).
    func bool(_ key: String) throws(WireError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw error(.badField, key, "must be true or false") }
        return flag
    }

    /// An unsigned 64-bit member given as a JSON integer (exact, at most 2^53 when written
    /// with a fraction or exponent) or as a decimal string, which values above 2^53 must use.
    func uint64(_ key: String) throws(WireError) -> UInt64? {
        guard let value = value(key) else { return nil }
        switch value {
        case .integer(let n):
            guard n >= 0 else { throw error(.badField, key, "must not be negative") }
            return UInt64(n)
        case .unsigned(let n):
            return n
        case .double(let d):
            guard d.isFinite else { throw error(.badField, key, "must be a finite number") }
            guard d >= 0 else { throw error(.badField, key, "must not be negative") }
            guard d == d.rounded() else { throw error(.badField, key, "must be an integer") }
            guard let exact = value.uint64Value else {
                throw error(.badField, key, "values above 2^53 must be sent as a decimal string")
            }
            return exact
        case .string(let text):
            let digits = text.utf8
            guard !digits.isEmpty, digits.count <= 20,
                  digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let number = UInt64(text) else {
                throw error(.badField, key, "must be a decimal string of an integer from 0 to 18446744073709551615")
            }
            return number
        default:
            throw error(.badField, key, "must be an unsigned integer or a decimal string")
        }
    }

    /// A string member that must be one of `T`'s raw values.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type,
                                                    code: ErrorCode = .badField) throws(WireError) -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let choice = T(rawValue: text) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw error(code, key, "must be one of \(allowed) (got \"\(text.prefix(64))\")")
        }
        return choice
    }

    /// A nested object member, read with the same context and an extended path.
    func object(_ key: String) throws(WireError) -> FieldReader? {
        guard let value = value(key) else { return nil }
        guard case .object(let members) = value else { throw error(.badField, key, "must be an object") }
        return FieldReader(members, path: fieldName(key) + ".", id: id, type: type)
    }

    /// An array member.
    func array(_ key: String) throws(WireError) -> [WireJSON]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw error(.badField, key, "must be an array") }
        return elements
    }
}
