import Foundation
import TesseraTensor

/// The weights of one model component: a single `.safetensors` file or a sharded set
/// described by `*.safetensors.index.json`. Shards open lazily, on first use.
public final class SafeTensorsArchive: @unchecked Sendable {
    /// The file or index this archive was opened from.
    public let url: URL
    private var shards: [String: SafeTensorsFile] = [:]
    private let weightMap: [String: String]?
    private let single: SafeTensorsFile?
    private let lock = NSLock()

    /// Opens a `.safetensors` file or a `.safetensors.index.json` shard index.
    public init(url: URL) throws {
        self.url = url
        if url.lastPathComponent.hasSuffix(".index.json") {
            guard FileManager.default.fileExists(atPath: url.path) else { throw ModelError.fileMissing(path: url.path) }
            struct Index: Decodable { let weight_map: [String: String] }
            do {
                weightMap = try JSONDecoder().decode(Index.self, from: Data(contentsOf: url)).weight_map
            } catch {
                throw ModelError.malformed(path: url.path, reason: "not a safetensors index with a weight_map")
            }
            for file in Set(weightMap!.values) where file.contains("/") || file.hasPrefix(".") {
                throw ModelError.malformed(path: url.path, reason: "shard name '\(file)' must be a plain file name")
            }
            single = nil
        } else {
            single = try SafeTensorsFile(url: url)
            weightMap = nil
        }
    }

    /// Finds the weights in a component folder (`unet/`, `text_encoder/`...). Looks for
    /// `<stem>.safetensors`, then its `.index.json`, then the fp16 variants, for each stem
    /// in `stems` (diffusers uses `diffusion_pytorch_model`, transformers `model`).
    public convenience init(folder: URL, stems: [String] = ["model", "diffusion_pytorch_model"]) throws {
        let fm = FileManager.default
        for stem in stems {
            for name in ["\(stem).safetensors", "\(stem).safetensors.index.json",
                         "\(stem).fp16.safetensors", "\(stem).safetensors.index.fp16.json"] {
                let candidate = folder.appendingPathComponent(name)
                if fm.fileExists(atPath: candidate.path) {
                    try self.init(url: candidate)
                    return
                }
            }
        }
        throw ModelError.fileMissing(path: folder.appendingPathComponent("\(stems[0]).safetensors").path)
    }

    /// Names of every tensor in the archive, sorted.
    public var names: [String] {
        if let single { return single.names }
        return weightMap!.keys.sorted()
    }

    /// Whether the archive holds `name`.
    public func contains(_ name: String) -> Bool {
        single?.entries[name] != nil || weightMap?[name] != nil
    }

    /// Loads `name` as float32, checking its shape when `shape` is given.
    public func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        if let single { return try single.tensor(name, shape: shape) }
        guard let file = weightMap![name] else { throw ModelError.tensorMissing(path: url.path, tensor: name) }
        return try shard(file).tensor(name, shape: shape)
    }

    private func shard(_ file: String) throws -> SafeTensorsFile {
        lock.lock(); defer { lock.unlock() }
        if let s = shards[file] { return s }
        let s = try SafeTensorsFile(url: url.deletingLastPathComponent().appendingPathComponent(file))
        shards[file] = s
        return s
    }
}
