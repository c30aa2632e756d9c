import Foundation
import TesseraDiffusion

/// Prompt embeddings keyed by model and token ids: an in-memory LRU under a byte budget,
/// backed by files under `<cacheDir>/prompts/` so a restarted daemon starts warm.
///
/// Files are written to a temporary name and renamed, and carry a CRC-32 over their whole
/// body: a torn or corrupted file fails verification, is deleted, and counts as a miss.
public final class PromptCache: PromptEmbeddingStore, @unchecked Sendable {
    struct Key: Hashable, Sendable {
        let model: String
        let tokens: [Int32]
    }

    private let memory: LRUCache<Key, Tensor>
    private let directory: URL?
    private var diskHits = 0, diskRejects = 0
    private let lock = NSLock()

    static let magic: [UInt8] = Array("TSPC".utf8)
    static let version: UInt8 = 1

    /// A cache of `budget` bytes in memory, persisted under `cacheDirectory` when given.
    public init(budget: Int, cacheDirectory: URL?) {
        memory = LRUCache(budget: budget)
        if let cacheDirectory {
            let dir = cacheDirectory.appendingPathComponent("prompts")
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            directory = dir
        } else {
            directory = nil
        }
    }

    public func embedding(model: String, tokens: [Int32]) -> Tensor? {
        let key = Key(model: model, tokens: tokens)
        if let hit = memory.value(for: key) { return hit }
        guard let directory, let loaded = Self.read(directory.appendingPathComponent(Self.fileName(key)), expecting: key) else {
            return nil
        }
        lock.lock(); diskHits += 1; lock.unlock()
        memory.insert(loaded, for: key, cost: loaded.count * 4)
        return loaded
    }

    public func store(_ embedding: Tensor, model: String, tokens: [Int32]) {
        let key = Key(model: model, tokens: tokens)
        memory.insert(embedding, for: key, cost: embedding.count * 4)
        guard let directory else { return }
        let data = Self.encode(embedding, key: key)
        try? data.write(to: directory.appendingPathComponent(Self.fileName(key)), options: .atomic)
    }

    /// Memory counters; `diskHits` counts misses in memory served from disk.
    public var statistics: (memory: CacheStatistics, diskHits: Int, diskRejects: Int) {
        lock.lock(); defer { lock.unlock() }
        return (memory.statistics, diskHits, diskRejects)
    }

    /// File name: a stable 64-bit FNV-1a hash of the key (Swift's Hasher is seeded per process).
    static func fileName(_ key: Key) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        for b in key.model.utf8 { mix(b) }
        mix(0)
        for t in key.tokens { withUnsafeBytes(of: t.littleEndian) { $0.forEach(mix) } }
        return String(format: "%016llx.emb", h)
    }

    /// Layout: magic, version, model length + bytes, token count + ids, rank + dims, floats, CRC-32 of all before it.
    static func encode(_ t: Tensor, key: Key) -> Data {
        var d = Data(magic)
        d.append(version)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let model = Array(key.model.utf8)
        u32(UInt32(model.count)); d.append(contentsOf: model)
        u32(UInt32(key.tokens.count)); for id in key.tokens { u32(UInt32(bitPattern: id)) }
        u32(UInt32(t.rank)); for dim in t.shape { u32(UInt32(dim)) }
        for i in 0..<t.count { u32(t.data[i].bitPattern) }
        u32(CRC32.checksum(d))
        return d
    }

    /// Decodes and verifies a file; a corrupt one is deleted. Returns nil on any mismatch.
    static func read(_ url: URL, expecting key: Key) -> Tensor? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        let bytes = [UInt8](data)
        func reject() -> Tensor? { try? FileManager.default.removeItem(at: url); return nil }
        guard bytes.count >= 9, Array(bytes[0..<4]) == magic, bytes[4] == version else { return reject() }
        let body = bytes[0..<(bytes.count - 4)]
        var pos = 5
        func u32() -> UInt32? {
            guard pos + 4 <= body.count else { return nil }
            defer { pos += 4 }
            return UInt32(body[pos]) | UInt32(body[pos + 1]) << 8 | UInt32(body[pos + 2]) << 16 | UInt32(body[pos + 3]) << 24
        }
        let stored = UInt32(bytes[bytes.count - 4]) | UInt32(bytes[bytes.count - 3]) << 8
            | UInt32(bytes[bytes.count - 2]) << 16 | UInt32(bytes[bytes.count - 1]) << 24
        guard CRC32.checksum(body) == stored else { return reject() }
        guard let modelLen = u32(), pos + Int(modelLen) <= body.count else { return reject() }
        let model = String(decoding: body[pos..<(pos + Int(modelLen))], as: UTF8.self)
        pos += Int(modelLen)
        guard let tokenCount = u32(), tokenCount < 4096 else { return reject() }
        var tokens: [Int32] = []
        for _ in 0..<tokenCount { guard let v = u32() else { return reject() }; tokens.append(Int32(bitPattern: v)) }
        // A hash collision or another model's file under the same name is a plain miss.
        guard model == key.model, tokens == key.tokens else { return nil }
        guard let rank = u32(), rank > 0, rank <= 8 else { return reject() }
        var shape: [Int] = []
        for _ in 0..<rank { guard let v = u32() else { return reject() }; shape.append(Int(v)) }
        let count = shape.reduce(1, *)
        guard body.count - pos == count * 4 else { return reject() }
        let t = Tensor(uninitialized: shape)
        for i in 0..<count { t.data[i] = Float(bitPattern: u32()!) }
        return t
    }
}
