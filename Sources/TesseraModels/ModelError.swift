/// Why a model file or folder could not be loaded. Every case names the file, and the
/// tensor or key where one is involved, so a user can see what to fix.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// A required file does not exist.
    case fileMissing(path: String)
    /// The file exists but is not valid (truncated, bad header, bad offsets...).
    case malformed(path: String, reason: String)
    /// The file does not hold a tensor the model needs.
    case tensorMissing(path: String, tensor: String)
    /// A tensor has a different shape from what the config implies.
    case shapeMismatch(path: String, tensor: String, expected: [Int], actual: [Int])
    /// A tensor is stored in a dtype Tessera cannot load as float32.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A config file is missing a key, or a key has an unusable value.
    case badConfig(path: String, key: String, reason: String)
    /// The config asks for something Tessera does not implement.
    case unsupported(path: String, what: String)

    public var description: String {
        switch self {
        case .fileMissing(let p): return "\(p): file not found"
        case .malformed(let p, let r): return "\(p): malformed: \(r)"
        case .tensorMissing(let p, let t): return "\(p): tensor '\(t)' not found"
        case .shapeMismatch(let p, let t, let e, let a): return "\(p): tensor '\(t)' has shape \(a), expected \(e)"
        case .unsupportedDType(let p, let t, let d): return "\(p): tensor '\(t)' has unsupported dtype \(d)"
        case .badConfig(let p, let k, let r): return "\(p): config key '\(k)': \(r)"
        case .unsupported(let p, let w): return "\(p): unsupported: \(w)"
        }
    }
}
