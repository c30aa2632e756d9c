import Foundation

/// A failure while loading a tokenizer. Every case names the file at fault and what is wrong with it.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A required file does not exist.
    case missingFile(path: String)
    /// A file exists but could not be read (permissions, not UTF-8, ...).
    case unreadableFile(path: String, reason: String)
    /// A JSON file is not valid JSON, or its top level or a field has the wrong shape.
    case invalidJSON(path: String, reason: String)
    /// A line of `merges.txt` is not two space-separated symbols, or names a symbol missing from the vocabulary.
    case invalidMergesLine(path: String, line: Int, text: String, reason: String)
    /// A special token (beginning, end, padding, ...) is not in the vocabulary.
    case missingSpecialToken(path: String, name: String, token: String)

    /// The path of the file at fault.
    public var path: String {
        switch self {
        case .missingFile(let path), .unreadableFile(let path, _), .invalidJSON(let path, _),
             .invalidMergesLine(let path, _, _, _), .missingSpecialToken(let path, _, _):
            return path
        }
    }

    /// A one-line, human-readable account of the failure that names the file.
    public var description: String {
        switch self {
        case .missingFile(let path):
            return "tokenizer file not found: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read tokenizer file \(path): \(reason)"
        case .invalidJSON(let path, let reason):
            return "invalid JSON in \(path): \(reason)"
        case .invalidMergesLine(let path, let line, let text, let reason):
            return "bad merges line \(line) in \(path): \(reason): \"\(text)\""
        case .missingSpecialToken(let path, let name, let token):
            return "special token \(name) \"\(token)\" is not in the vocabulary \(path)"
        }
    }
}
