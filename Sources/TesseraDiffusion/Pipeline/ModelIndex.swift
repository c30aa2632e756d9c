import Foundation

/// `model_index.json` of a diffusers pipeline folder: the pipeline class and, per
/// component folder, its library and class (null for absent components).
public struct ModelIndex: Sendable {
    /// `_class_name`, e.g. "StableDiffusionPipeline".
    public let pipelineClass: String
    /// Component name to (library, class); absent or null components are left out.
    public let components: [String: (library: String, className: String)]

    /// Reads `<folder>/model_index.json`.
    public init(folder: URL) throws {
        let url = folder.appendingPathComponent("model_index.json")
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelError.fileMissing(path: url.path) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw ModelError.malformed(path: url.path, reason: "not a JSON object")
        }
        guard let cls = object["_class_name"] as? String else {
            throw ModelError.badConfig(path: url.path, key: "_class_name", reason: "missing")
        }
        pipelineClass = cls
        var comps: [String: (String, String)] = [:]
        for (key, value) in object where !key.hasPrefix("_") {
            if let pair = value as? [Any], pair.count == 2, let lib = pair[0] as? String, let c = pair[1] as? String {
                comps[key] = (lib, c)
            }
        }
        components = comps
    }

    /// The class of component `name`, if present.
    public func className(of name: String) -> String? { components[name]?.className }
}
