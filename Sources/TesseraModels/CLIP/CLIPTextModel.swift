import Foundation
import TesseraTensor

/// What the CLIP text encoder produces for a batch of token sequences.
public struct CLIPTextOutput: Sendable {
    /// Final-LayerNorm output [B, L, D]: what SD 1.x/2.x cross-attends to.
    public let lastHiddenState: Tensor
    /// Embedding output, then each layer's output before the final LayerNorm; `numHiddenLayers + 1`
    /// entries when requested, else empty. `hiddenStates[count - 2]` is SDXL's penultimate state.
    public let hiddenStates: [Tensor]
    /// Final-LayerNorm output at each sequence's end token [B, D].
    public let pooled: Tensor
    /// `pooled` through `text_projection` [B, projection_dim], for the projection variant.
    public let textEmbeds: Tensor?
}

/// transformers' `CLIPTextModel` and `CLIPTextModelWithProjection`, fp32 inference.
public final class CLIPTextModel: @unchecked Sendable {
    /// The decoded `config.json`.
    public let config: CLIPTextConfig
    private let tokenEmbedding: Embedding
    private let positionEmbedding: Embedding
    private let layers: [CLIPEncoderLayer]
    private let finalNorm: LayerNorm
    private let projection: Linear?

    /// Loads a `text_encoder/` folder (`config.json` and safetensors weights, possibly sharded).
    public convenience init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try ConfigFile.load(CLIPTextConfig.self, from: configURL)
        try config.validate(path: configURL.path)
        try self.init(config: config, archive: SafeTensorsArchive(folder: folder), configPath: configURL.path)
    }

    /// Builds the model from a config and an archive holding transformers' tensor names.
    public init(config: CLIPTextConfig, archive: SafeTensorsArchive, configPath: String = "config.json") throws {
        self.config = config
        guard let act = Activation(huggingFaceName: config.hiddenAct) else {
            throw ModelError.unsupported(path: configPath, what: "hidden_act '\(config.hiddenAct)'")
        }
        // transformers 5 saves CLIPTextModel without the "text_model." prefix; published
        // checkpoints (and the projection variant) have it.
        let prefixed = archive.contains("text_model.embeddings.token_embedding.weight")
            || !archive.contains("embeddings.token_embedding.weight")
        let root = Weights(archive, prefix: prefixed ? "text_model" : "")
        tokenEmbedding = try Embedding(root.scoped("embeddings.token_embedding"), count: config.vocabSize, dim: config.hiddenSize)
        positionEmbedding = try Embedding(root.scoped("embeddings.position_embedding"),
                                          count: config.maxPositionEmbeddings, dim: config.hiddenSize)
        layers = try (0..<config.numHiddenLayers).map {
            try CLIPEncoderLayer(root.scoped("encoder.layers.\($0)"), config: config, activation: act)
        }
        finalNorm = try LayerNorm(root.scoped("final_layer_norm"), dim: config.hiddenSize, eps: config.layerNormEps)
        // The projection is loaded when the config says so, or when the weights carry it.
        if config.hasProjection || archive.contains("text_projection.weight") {
            projection = try Linear(Weights(archive).scoped("text_projection"),
                                    inFeatures: config.hiddenSize, outFeatures: config.projectionDim, bias: false)
        } else {
            projection = nil
        }
    }

    /// Why a batch of token ids was refused.
    public struct InputError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Encodes a batch of equal-length token sequences.
    /// - Parameter keepHiddenStates: also return every layer's output (costs memory).
    public func encode(_ ids: [[Int32]], keepHiddenStates: Bool = false) throws -> CLIPTextOutput {
        guard let len = ids.first?.count, len > 0 else { throw InputError(description: "empty batch or empty sequence") }
        guard ids.allSatisfy({ $0.count == len }) else { throw InputError(description: "sequences differ in length") }
        guard len <= config.maxPositionEmbeddings else {
            throw InputError(description: "sequence of \(len) tokens exceeds max_position_embeddings \(config.maxPositionEmbeddings)")
        }
        for row in ids { for id in row where id < 0 || Int(id) >= config.vocabSize {
            throw InputError(description: "token id \(id) outside vocabulary of \(config.vocabSize)")
        } }
        let batch = ids.count, dim = config.hiddenSize
        var x = tokenEmbedding.lookup(ids.flatMap { $0.map(Int.init) }).reshaped([batch, len, dim])
        let pos = positionEmbedding.table
        for b in 0..<batch {
            for t in 0..<len {
                let row = x.data + (b * len + t) * dim, p = pos.data + t * dim
                for i in 0..<dim { row[i] += p[i] }
            }
        }
        var states: [Tensor] = keepHiddenStates ? [x] : []
        for layer in layers {
            x = layer(x)
            if keepHiddenStates { states.append(x) }
        }
        let last = finalNorm(x)
        let pooled = Tensor(uninitialized: [batch, dim])
        for (b, row) in ids.enumerated() {
            let t = endTokenIndex(row)
            (pooled.data + b * dim).update(from: last.data + (b * len + t) * dim, count: dim)
        }
        return CLIPTextOutput(lastHiddenState: last, hiddenStates: states, pooled: pooled,
                              textEmbeds: projection.map { $0(pooled) })
    }

    /// Position whose state is pooled: transformers takes argmax(id) when `eos_token_id == 2`
    /// (configs written before the fix), else the first position holding `eos_token_id`.
    func endTokenIndex(_ row: [Int32]) -> Int {
        if config.eosTokenId == 2 {
            var best = 0
            for (i, id) in row.enumerated() where id > row[best] { best = i }
            return best
        }
        return row.firstIndex(of: Int32(config.eosTokenId)) ?? 0
    }
}
