import Foundation

/// `config.json` of transformers' `CLIPTextModel` / `CLIPTextModelWithProjection`.
/// Absent keys take transformers' defaults; unknown keys are ignored.
public struct CLIPTextConfig: Decodable, Sendable, Equatable {
    /// Number of token embeddings.
    public var vocabSize: Int = 49408
    /// Width of the residual stream.
    public var hiddenSize: Int = 512
    /// Width of the MLP's hidden layer.
    public var intermediateSize: Int = 2048
    /// Number of encoder layers.
    public var numHiddenLayers: Int = 12
    /// Attention heads per layer.
    public var numAttentionHeads: Int = 8
    /// Number of position embeddings (the maximum sequence length).
    public var maxPositionEmbeddings: Int = 77
    /// MLP activation name, "quick_gelu" or "gelu" in practice.
    public var hiddenAct: String = "quick_gelu"
    /// LayerNorm epsilon.
    public var layerNormEps: Float = 1e-5
    /// Output width of `text_projection` (projection variant only).
    public var projectionDim: Int = 512
    /// Token id of the end token. 2 selects transformers' legacy argmax pooling.
    public var eosTokenId: Int = 49407
    /// Token id of the start token.
    public var bosTokenId: Int = 49406
    /// Token id used for padding.
    public var padTokenId: Int = 1
    /// `architectures`, e.g. ["CLIPTextModelWithProjection"].
    public var architectures: [String] = []

    private enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", projectionDim = "projection_dim"
        case eosTokenId = "eos_token_id", bosTokenId = "bos_token_id", padTokenId = "pad_token_id"
        case architectures
    }

    /// A config with transformers' defaults.
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        vocabSize = try get(.vocabSize, vocabSize)
        hiddenSize = try get(.hiddenSize, hiddenSize)
        intermediateSize = try get(.intermediateSize, intermediateSize)
        numHiddenLayers = try get(.numHiddenLayers, numHiddenLayers)
        numAttentionHeads = try get(.numAttentionHeads, numAttentionHeads)
        maxPositionEmbeddings = try get(.maxPositionEmbeddings, maxPositionEmbeddings)
        hiddenAct = try get(.hiddenAct, hiddenAct)
        layerNormEps = try get(.layerNormEps, layerNormEps)
        projectionDim = try get(.projectionDim, projectionDim)
        eosTokenId = try get(.eosTokenId, eosTokenId)
        bosTokenId = try get(.bosTokenId, bosTokenId)
        padTokenId = try get(.padTokenId, padTokenId)
        architectures = try get(.architectures, architectures)
    }

    /// Whether `architectures` names the projection variant.
    public var hasProjection: Bool { architectures.contains("CLIPTextModelWithProjection") }

    /// Checks values a model can be built from; throws naming the key otherwise.
    public func validate(path: String) throws {
        func need(_ ok: Bool, _ key: String, _ why: String) throws {
            if !ok { throw ModelError.badConfig(path: path, key: key, reason: why) }
        }
        try need(vocabSize > 0, "vocab_size", "must be positive")
        try need(hiddenSize > 0, "hidden_size", "must be positive")
        try need(intermediateSize > 0, "intermediate_size", "must be positive")
        try need(numHiddenLayers > 0, "num_hidden_layers", "must be positive")
        try need(numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0, "num_attention_heads",
                 "must divide hidden_size \(hiddenSize)")
        try need(maxPositionEmbeddings > 0, "max_position_embeddings", "must be positive")
        try need(layerNormEps > 0 && layerNormEps.isFinite, "layer_norm_eps", "must be a positive number")
        if hasProjection { try need(projectionDim > 0, "projection_dim", "must be positive") }
    }
}
