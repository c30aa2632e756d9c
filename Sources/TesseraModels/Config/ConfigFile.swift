import Foundation

/// Reads a JSON config file into a `Decodable` type, turning decoding failures into
/// `ModelError`s that name the file and the offending key.
public enum ConfigFile {
    /// Decodes `url` as `T`. Unknown keys are ignored; missing required keys are named.
    public static func load<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelError.fileMissing(path: url.path) }
        let data = try Data(contentsOf: url)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw ModelError.badConfig(path: url.path, key: key.stringValue, reason: "missing")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw ModelError.badConfig(path: url.path, key: ctx.codingPath.map(\.stringValue).joined(separator: "."),
                                       reason: "wrong type: \(ctx.debugDescription)")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw ModelError.badConfig(path: url.path, key: ctx.codingPath.map(\.stringValue).joined(separator: "."),
                                       reason: "null value")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ModelError.malformed(path: url.path, reason: "invalid JSON: \(ctx.debugDescription)")
        } catch let e as ModelError {
            throw e
        } catch {
            throw ModelError.malformed(path: url.path, reason: "\(error)")
        }
    }
}
