import Foundation

/// What `CLIPTokenizer` takes from `tokenizer_config.json` and `special_tokens_map.json`.
///
/// Special tokens may be plain strings or AddedToken dictionaries (`{"content": ..., "normalized": ...}`,
/// with or without `"__type": "AddedToken"`). Keys this type does not use are ignored.
struct CLIPTokenizerConfiguration: Sendable {
    /// The named special-token keys, in the order transformers registers them with the backend.
    static let specialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]
    /// Sequence length used when the config gives none (or an unusable one).
    static let defaultModelMaxLength = 77

    /// `model_max_length`.
    var modelMaxLength: Int = defaultModelMaxLength
    /// Named special tokens by key; CLIPTokenizer's defaults fill bos, eos, unk and pad.
    var namedTokens: [String: AddedToken] = [
        "bos_token": AddedToken(content: "<|startoftext|>", normalized: false),
        "eos_token": AddedToken(content: "<|endoftext|>", normalized: false),
        "unk_token": AddedToken(content: "<|endoftext|>", normalized: false),
        "pad_token": AddedToken(content: "<|endoftext|>", normalized: false),
    ]
    /// `additional_special_tokens` / `extra_special_tokens` given as a list.
    var extraTokens: [AddedToken] = []
    /// `added_tokens_decoder`, sorted by id.
    var decoderTokens: [(id: Int32, token: AddedToken)] = []

    /// The defaults of Stable Diffusion 1: 77 tokens, padded with `<|endoftext|>`.
    init() {}

    /// Reads a `tokenizer_config.json` and, optionally, a `special_tokens_map.json`.
    ///
    /// Like transformers, `special_tokens_map.json` only counts when the config has no
    /// `added_tokens_decoder`; its entries then override the config's.
    init(configURL: URL?, specialTokensMapURL: URL?) throws {
        guard let configURL else { return }
        let config = try Self.readObject(configURL)
        let path = configURL.path

        if let value = config["model_max_length"], !(value is NSNull) {
            guard let length = JSONValue.double(value) else {
                throw TokenizerError.invalidJSON(path: path, reason: "model_max_length is not a number")
            }
            if length >= 2, length <= 1_000_000 { modelMaxLength = Int(length) }
        }
        for key in Self.specialTokenKeys {
            if let token = try Self.token(config[key], key: key, path: path, specialByDefault: true) {
                namedTokens[key] = token
            }
        }
        for key in ["additional_special_tokens", "extra_special_tokens"] {
            guard let list = config[key] as? [Any] else { continue }
            for item in list {
                if let token = try Self.token(item, key: key, path: path, specialByDefault: true) { extraTokens.append(token) }
            }
        }
        if let decoder = config["added_tokens_decoder"], !(decoder is NSNull) {
            guard let entries = decoder as? [String: Any] else {
                throw TokenizerError.invalidJSON(path: path, reason: "added_tokens_decoder is not an object")
            }
            for (idText, entry) in entries {
                guard let id = Int32(idText), id >= 0 else {
                    throw TokenizerError.invalidJSON(path: path, reason: "added_tokens_decoder key \"\(idText)\" is not an id")
                }
                guard entry is [String: Any], let token = try Self.token(entry, key: "added_tokens_decoder", path: path, specialByDefault: false) else {
                    throw TokenizerError.invalidJSON(path: path, reason: "added_tokens_decoder[\(idText)] is not an AddedToken object")
                }
                decoderTokens.append((id, token))
            }
            decoderTokens.sort { $0.id < $1.id }
            // Named tokens take the flags of the decoder entry with the same content.
            let byContent = Dictionary(decoderTokens.map { ($0.token.content, $0.token) }, uniquingKeysWith: { _, last in last })
            for (key, token) in namedTokens {
                if let registered = byContent[token.content] { namedTokens[key] = registered }
            }
        } else if let specialTokensMapURL, FileManager.default.fileExists(atPath: specialTokensMapURL.path) {
            let map = try Self.readObject(specialTokensMapURL)
            for key in Self.specialTokenKeys {
                if let token = try Self.token(map[key], key: key, path: specialTokensMapURL.path, specialByDefault: true) {
                    namedTokens[key] = token
                }
            }
        }
    }

    /// Every added token in registration order: the decoder's, then the named ones, then the
    /// extras. Where contents repeat, the later entry's flags are the ones that hold.
    var addedTokensInOrder: [(name: String, explicitID: Int32?, token: AddedToken)] {
        var list: [(name: String, explicitID: Int32?, token: AddedToken)] = decoderTokens.map {
            ("added_tokens_decoder[\($0.id)]", $0.id, $0.token)
        }
        for key in Self.specialTokenKeys {
            if let token = namedTokens[key] { list.append((key, nil, token)) }
        }
        for token in extraTokens { list.append(("additional_special_tokens", nil, token)) }
        return list
    }

    /// A special-token value: a string (matched on raw text) or an AddedToken dictionary.
    /// A dictionary without `normalized` gets `!special`, as `tokenizers` does when the token is
    /// registered; named and extra special tokens are registered as special whatever their
    /// dictionary says (`specialByDefault`), so they default to matching the raw text.
    private static func token(_ value: Any?, key: String, path: String, specialByDefault: Bool) throws -> AddedToken? {
        switch value {
        case nil, is NSNull:
            return nil
        case let string as String:
            return AddedToken(content: string, normalized: false)
        case let dictionary as [String: Any]:
            guard let content = dictionary["content"] as? String else {
                throw TokenizerError.invalidJSON(path: path, reason: "\(key) has no string \"content\"")
            }
            let special = specialByDefault || (JSONValue.bool(dictionary["special"]) ?? false)
            let normalized = JSONValue.bool(dictionary["normalized"]) ?? !special
            return AddedToken(content: content, normalized: normalized)
        default:
            throw TokenizerError.invalidJSON(path: path, reason: "\(key) is neither a string nor an AddedToken object")
        }
    }

    private static func readObject(_ url: URL) throws -> [String: Any] {
        let data = try BytePairEncoder.readData(url)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.invalidJSON(path: url.path, reason: "\(error)")
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.invalidJSON(path: url.path, reason: "the top level is not an object")
        }
        return dictionary
    }
}
