import Foundation

/// CLIP's byte-level BPE tokenizer, reproducing transformers' `CLIPTokenizer` id for id.
///
/// The pipeline is the one Hugging Face `tokenizers` runs for CLIP:
///
/// 1. Special tokens whose AddedToken flag says `normalized: false` are cut out of the raw text.
/// 2. Each remaining piece is normalised (`CLIPTextNormalizer`: NFC, whitespace runs to one
///    space, per-scalar lowercase), then the `normalized: true` special tokens are cut out.
/// 3. The rest is split into words (`CLIPPreTokenizer`), each word's UTF-8 bytes are written
///    in GPT-2's byte alphabet with `</w>` on the last one, and byte-pair merged
///    (`BytePairEncoder`).
/// 4. The start and end tokens go around the result.
///
/// Which special tokens exist, and their flags, come from `tokenizer_config.json` the way
/// transformers reads it; this matters for Stable Diffusion 2, whose padding token `!` is a
/// special token, so a `!` in a prompt becomes id 0 rather than a merged `!</w>`.
///
/// A value type with only immutable state: safe to share between tasks.
public struct CLIPTokenizer: Sendable {
    /// The sequence length prompts are padded or truncated to (`model_max_length`, 77 for CLIP).
    public let modelMaxLength: Int
    /// The id of the start-of-text token, `<|startoftext|>` (49406 for CLIP).
    public let bosTokenID: Int32
    /// The id of the end-of-text token, `<|endoftext|>` (49407 for CLIP).
    public let eosTokenID: Int32
    /// The id padding uses: 49407 (`<|endoftext|>`) for Stable Diffusion 1, 0 (`!`) for 2.
    public let padTokenID: Int32
    /// The number of ids in the vocabulary (49408 for CLIP).
    public var vocabularySize: Int { model.tokens.count }

    private let model: BytePairEncoder
    private let rawTokens: AddedTokenMatcher
    private let normalizedTokens: AddedTokenMatcher
    private let specialTokenIDs: Set<Int32>

    /// Loads a diffusers `tokenizer/` folder: `vocab.json`, `merges.txt` and
    /// `tokenizer_config.json`, plus `special_tokens_map.json` when present.
    /// - Throws: `TokenizerError` naming the file that is missing or malformed.
    public init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw TokenizerError.missingFile(path: configURL.path)
        }
        try self.init(
            vocabURL: folder.appendingPathComponent("vocab.json"),
            mergesURL: folder.appendingPathComponent("merges.txt"),
            configuration: CLIPTokenizerConfiguration(
                configURL: configURL,
                specialTokensMapURL: folder.appendingPathComponent("special_tokens_map.json")
            )
        )
    }

    /// Loads explicit files. With no config, Stable Diffusion 1's defaults hold: 77 tokens,
    /// padded with `<|endoftext|>`.
    /// - Throws: `TokenizerError` naming the file that is missing or malformed.
    public init(vocabURL: URL, mergesURL: URL, configURL: URL?) throws {
        try self.init(
            vocabURL: vocabURL,
            mergesURL: mergesURL,
            configuration: CLIPTokenizerConfiguration(configURL: configURL, specialTokensMapURL: nil)
        )
    }

    private init(vocabURL: URL, mergesURL: URL, configuration: CLIPTokenizerConfiguration) throws {
        let unknown = configuration.namedTokens["unk_token"]?.content
        let model = try BytePairEncoder(vocabURL: vocabURL, mergesURL: mergesURL, unknownToken: unknown)
        self.model = model
        self.modelMaxLength = configuration.modelMaxLength

        func id(of key: String) throws -> Int32 {
            let content = configuration.namedTokens[key]?.content ?? ""
            guard let id = model.vocabulary[content] else {
                throw TokenizerError.missingSpecialToken(path: vocabURL.path, name: key, token: content)
            }
            return id
        }
        self.bosTokenID = try id(of: "bos_token")
        self.eosTokenID = try id(of: "eos_token")
        self.padTokenID = try id(of: "pad_token")

        // Registration order decides the flags of tokens that share content: the last one wins.
        var order: [String] = []
        var resolved: [String: (id: Int32, normalized: Bool)] = [:]
        for entry in configuration.addedTokensInOrder where !entry.token.content.isEmpty {
            let content = entry.token.content
            guard let id = model.vocabulary[content] ?? entry.explicitID else {
                throw TokenizerError.missingSpecialToken(path: vocabURL.path, name: entry.name, token: content)
            }
            if resolved[content] == nil { order.append(content) }
            resolved[content] = (id, entry.token.normalized)
        }
        var raw: [(scalars: [Unicode.Scalar], id: Int32)] = []
        var normalized: [(scalars: [Unicode.Scalar], id: Int32)] = []
        for content in order {
            let (id, isNormalized) = resolved[content]!
            if isNormalized {
                normalized.append((CLIPTextNormalizer.normalize(content.unicodeScalars), id))
            } else {
                raw.append((Array(content.unicodeScalars), id))
            }
        }
        self.rawTokens = AddedTokenMatcher(raw)
        self.normalizedTokens = AddedTokenMatcher(normalized)
        self.specialTokenIDs = Set(order.map { resolved[$0]!.id })
    }

    /// Token ids with the start and end tokens, neither truncated nor padded
    /// (transformers' `tokenizer(text).input_ids`).
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [bosTokenID]
        appendContentIDs(of: text, to: &ids)
        ids.append(eosTokenID)
        return ids
    }

    /// Exactly `length` ids (default `modelMaxLength`): the start token, the text's tokens cut to
    /// `length - 2` if needed, the end token, then padding. Matches transformers'
    /// `tokenizer(text, padding="max_length", max_length=length, truncation=True).input_ids`.
    /// - Precondition: `length >= 2`.
    public func encodePadded(_ text: String, length: Int? = nil) -> [Int32] {
        let length = length ?? modelMaxLength
        precondition(length >= 2, "a padded sequence needs room for the start and end tokens")
        var ids: [Int32] = [bosTokenID]
        ids.reserveCapacity(length)
        appendContentIDs(of: text, to: &ids)
        if ids.count > length - 1 { ids.removeLast(ids.count - (length - 1)) }
        ids.append(eosTokenID)
        ids.append(contentsOf: repeatElement(padTokenID, count: length - ids.count))
        return ids
    }

    /// The text of `ids`: byte-level decoded, `</w>` read as a space, trimmed. Special tokens
    /// (start, end, padding, ...) are left out unless `skipSpecialTokens` is false; transformers'
    /// `decode` keeps them by default. Unknown ids are ignored.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, Int(id) < model.tokens.count else { continue }
            if skipSpecialTokens, specialTokenIDs.contains(id) { continue }
            for scalar in model.tokens[Int(id)].unicodeScalars {
                if let byte = ByteLevelAlphabet.bytes[scalar.value] {
                    bytes.append(byte)
                } else {
                    UTF8.encode(scalar) { bytes.append($0) }
                }
            }
        }
        let text = String(decoding: bytes, as: UTF8.self)
            .replacingOccurrences(of: BytePairEncoder.endOfWordSuffix, with: " ")
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Appends the ids of `text` without start or end tokens.
    private func appendContentIDs(of text: String, to ids: inout [Int32]) {
        let scalars = Array(text.unicodeScalars)
        var wordBytes: [UInt8] = []
        for segment in rawTokens.split(scalars, range: scalars.indices) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let range):
                let normalized = CLIPTextNormalizer.normalize(scalars[range])
                for piece in normalizedTokens.split(normalized, range: normalized.indices) {
                    switch piece {
                    case .token(let id):
                        ids.append(id)
                    case .text(let pieceRange):
                        for word in CLIPPreTokenizer.words(in: normalized, range: pieceRange) {
                            wordBytes.removeAll(keepingCapacity: true)
                            for scalar in normalized[word] { UTF8.encode(scalar) { wordBytes.append($0) } }
                            model.encode(word: wordBytes, into: &ids)
                        }
                    }
                }
            }
        }
    }
}
