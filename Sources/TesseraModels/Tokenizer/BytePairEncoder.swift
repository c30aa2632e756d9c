import Foundation

/// CLIP's byte-level BPE model: a vocabulary, ranked merges, and the `</w>` end-of-word suffix.
///
/// Merging follows Hugging Face `tokenizers`: repeatedly merge the adjacent pair with the lowest
/// merge rank, the leftmost one on ties, until no adjacent pair has a merge. Symbols are kept as
/// vocabulary ids, so the hot path hashes integers, never strings.
struct BytePairEncoder: Sendable {
    /// The suffix CLIP appends to the last symbol of every word.
    static let endOfWordSuffix = "</w>"

    /// Token string to id.
    let vocabulary: [String: Int32]
    /// Id to token string, for decoding (empty strings for unused ids).
    let tokens: [String]
    /// `(left << 32) | right` to `(rank << 32) | mergedID`.
    private let merges: [UInt64: UInt64]
    /// The id of each byte's stand-in symbol, mid-word and word-final (`</w>`); -1 when absent.
    private let byteIDs: [Int32]
    private let finalByteIDs: [Int32]
    /// Id used for a byte symbol missing from the vocabulary, if any.
    private let unknownID: Int32?

    /// Number of merges read.
    var mergeCount: Int { merges.count }

    /// Reads `vocab.json` (an object of token to id) and `merges.txt` (an optional `#version`
    /// line, then one `left right` pair per line, highest priority first).
    init(vocabURL: URL, mergesURL: URL, unknownToken: String?) throws {
        let vocabulary = try Self.readVocabulary(vocabURL)
        self.vocabulary = vocabulary
        var tokens = [String](repeating: "", count: Int(vocabulary.values.max() ?? -1) + 1)
        for (token, id) in vocabulary { tokens[Int(id)] = token }
        self.tokens = tokens
        self.merges = try Self.readMerges(mergesURL, vocabulary: vocabulary)
        self.unknownID = unknownToken.flatMap { vocabulary[$0] }
        self.byteIDs = ByteLevelAlphabet.scalars.map { vocabulary[String(Character($0))] ?? -1 }
        self.finalByteIDs = ByteLevelAlphabet.scalars.map { vocabulary[String(Character($0)) + Self.endOfWordSuffix] ?? -1 }
    }

    /// Appends the ids of one pre-tokenised word, given as its UTF-8 bytes.
    ///
    /// Words of up to `scanLimit` symbols are merged by rescanning all pairs after each merge;
    /// longer ones through a heap (both give the same result; tests compare them).
    func encode(word bytes: [UInt8], into output: inout [Int32], scanLimit: Int = 16) {
        guard !bytes.isEmpty else { return }
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count)
        for (k, byte) in bytes.enumerated() {
            let id = k == bytes.count - 1 ? finalByteIDs[Int(byte)] : byteIDs[Int(byte)]
            if id >= 0 {
                ids.append(id)
            } else if let unknownID {
                ids.append(unknownID)
            }
        }
        if ids.count > 1 { mergeAll(&ids, scanLimit: scanLimit) }
        output.append(contentsOf: ids)
    }

    @inline(__always)
    private static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Applies merges in rank order (leftmost first among equal ranks) until none applies.
    private func mergeAll(_ ids: inout [Int32], scanLimit: Int) {
        let n = ids.count
        if n <= scanLimit {
            mergeByScanning(&ids)
            return
        }
        // Long words: linked list over the symbols plus a min-heap of (rank, position).
        var next = Array(1...n)  // n means "none"
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = BPEMergeHeap()
        for i in 0..<(n - 1) {
            if let merge = merges[Self.pairKey(ids[i], ids[i + 1])] {
                heap.push((merge & 0xFFFF_FFFF_0000_0000) | UInt64(i))
            }
        }
        while let entry = heap.pop() {
            let rank = entry >> 32
            let i = Int(entry & 0xFFFF_FFFF)
            guard alive[i], next[i] < n else { continue }
            let j = next[i]
            guard let merge = merges[Self.pairKey(ids[i], ids[j])], merge >> 32 == rank else { continue }
            ids[i] = Int32(truncatingIfNeeded: merge & 0xFFFF_FFFF)
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0, let left = merges[Self.pairKey(ids[previous[i]], ids[i])] {
                heap.push((left & 0xFFFF_FFFF_0000_0000) | UInt64(previous[i]))
            }
            if next[i] < n, let right = merges[Self.pairKey(ids[i], ids[next[i]])] {
                heap.push((right & 0xFFFF_FFFF_0000_0000) | UInt64(i))
            }
        }
        var compacted: [Int32] = []
        compacted.reserveCapacity(n)
        var i = 0
        while i < n {
            compacted.append(ids[i])
            i = next[i]
        }
        ids = compacted
    }

    /// The quadratic version, fastest for the short words that make up nearly all prompts.
    private func mergeByScanning(_ ids: inout [Int32]) {
        while ids.count > 1 {
            var best = UInt64.max
            var bestPosition = -1
            for i in 0..<(ids.count - 1) {
                if let merge = merges[Self.pairKey(ids[i], ids[i + 1])], merge < best {
                    best = merge
                    bestPosition = i
                }
            }
            if bestPosition < 0 { return }
            ids[bestPosition] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            ids.remove(at: bestPosition + 1)
        }
    }

    // MARK: - Loading

    static func readData(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TokenizerError.missingFile(path: url.path)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: "\(error)")
        }
    }

    private static func readVocabulary(_ url: URL) throws -> [String: Int32] {
        let data = try readData(url)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.invalidJSON(path: url.path, reason: "\(error)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.invalidJSON(path: url.path, reason: "the top level is not an object of token to id")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(dictionary.count)
        for (token, value) in dictionary {
            guard let id = JSONValue.int32(value), id >= 0 else {
                throw TokenizerError.invalidJSON(path: url.path, reason: "the id of \"\(token)\" is not a non-negative integer")
            }
            vocabulary[token] = id
        }
        return vocabulary
    }

    private static func readMerges(_ url: URL, vocabulary: [String: Int32]) throws -> [UInt64: UInt64] {
        let data = try readData(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.unreadableFile(path: url.path, reason: "not valid UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // the final newline
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(lines.count)
        var rank: UInt64 = 0
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.last == "\r" ? rawLine.dropLast() : rawLine
            if line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            func fail(_ reason: String) -> TokenizerError {
                .invalidMergesLine(path: url.path, line: index + 1, text: String(line), reason: reason)
            }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw fail("expected two symbols separated by one space")
            }
            let left = String(parts[0]), right = String(parts[1])
            guard let leftID = vocabulary[left] else { throw fail("\"\(left)\" is not in the vocabulary") }
            guard let rightID = vocabulary[right] else { throw fail("\"\(right)\" is not in the vocabulary") }
            guard let mergedID = vocabulary[left + right] else {
                throw fail("the merged symbol \"\(left + right)\" is not in the vocabulary")
            }
            merges[pairKey(leftID, rightID)] = rank << 32 | UInt64(UInt32(bitPattern: mergedID))
            rank += 1
        }
        return merges
    }
}
