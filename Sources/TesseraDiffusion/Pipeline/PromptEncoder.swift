import Foundation

/// Where encoded prompts can be looked up before the text encoder runs. The daemon's
/// prompt cache implements this; keys are the model identity and the token ids.
public protocol PromptEmbeddingStore: AnyObject, Sendable {
    /// A cached `last_hidden_state` [1, L, D] for `tokens` under `model`, if any.
    func embedding(model: String, tokens: [Int32]) -> Tensor?
    /// Remembers an embedding.
    func store(_ embedding: Tensor, model: String, tokens: [Int32])
}

/// Tokenizes and encodes prompts with a model's CLIP text encoder, through an optional store.
public struct PromptEncoder: Sendable {
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    /// Identity of the model in cache keys (its folder path, normally).
    public let modelKey: String
    /// Optional cache consulted before running the encoder.
    public let store: PromptEmbeddingStore?

    public init(tokenizer: CLIPTokenizer, textEncoder: CLIPTextModel, modelKey: String, store: PromptEmbeddingStore? = nil) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
        self.modelKey = modelKey
        self.store = store
    }

    /// Token ids as diffusers' `encode_prompt` makes them: padded and truncated to the
    /// tokenizer's `model_max_length`.
    public func tokens(_ prompt: String) -> [Int32] {
        tokenizer.encodePadded(prompt, length: min(tokenizer.modelMaxLength, textEncoder.config.maxPositionEmbeddings))
    }

    /// `last_hidden_state` [1, L, D] for `prompt`, and whether it came from the store.
    public func encode(_ prompt: String) throws -> (embedding: Tensor, cached: Bool) {
        let ids = tokens(prompt)
        if let hit = store?.embedding(model: modelKey, tokens: ids) { return (hit, true) }
        let e = try textEncoder.encode([ids]).lastHiddenState
        store?.store(e, model: modelKey, tokens: ids)
        return (e, false)
    }
}
