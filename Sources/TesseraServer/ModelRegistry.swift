import Foundation
import TesseraDiffusion
import TesseraWire

/// A resident model with its pipeline and serving defaults.
public final class ServedModel: @unchecked Sendable {
    public let name: String
    public let pipeline: TextToImagePipeline
    /// Square size the model was trained at (UNet `sample_size` x decoder scale when known).
    public let nativeSize: Int
    public let defaultSteps: Int
    public let defaultGuidance: Double

    init(entry: ServerConfiguration.ModelEntry, store: PromptEmbeddingStore, noise: InitialNoiseSource?) throws {
        let model = try DiffusionModel(folder: entry.folder, decoderFolder: entry.decoder)
        name = entry.name
        pipeline = TextToImagePipeline(model: model, store: store, noiseSource: noise)
        let sampleSize = (try? JSONSerialization.jsonObject(with: Data(contentsOf: entry.folder.appendingPathComponent("unet/config.json"))) as? [String: Any])?["sample_size"] as? Int
        nativeSize = (sampleSize ?? 64) * model.autoencoder.spatialScale
        defaultSteps = entry.defaultSteps
        defaultGuidance = entry.defaultGuidance
    }

    /// Runs one untimed 1-step generation at the native size with xy tiling, outside every
    /// cache and counter, so that the compute backend's one-time work (oneDNN compiles its
    /// kernels and reorders the weights on first use: seconds for an SD-size UNet) is not
    /// charged to the first request's deadline. Returns the milliseconds it took.
    public func warmUp() throws -> Double {
        let start = Date()
        let scratch = TextToImagePipeline(model: pipeline.model)
        _ = try scratch.generate(GenerationParameters(prompt: "", seed: 0, steps: 1, width: nativeSize, height: nativeSize,
                                                      guidance: Float(defaultGuidance), tiling: .xy))
        return Date().timeIntervalSince(start) * 1000
    }

    var info: ModelInfo {
        ModelInfo(name: name, nativeWidth: nativeSize, nativeHeight: nativeSize, defaultSteps: defaultSteps, defaultGuidance: defaultGuidance)
    }
}

/// The models a daemon serves, by name; the first configured is the default.
public final class ModelRegistry: @unchecked Sendable {
    public let models: [ServedModel]

    /// Loads every configured model up front so requests never wait on disk.
    public init(entries: [ServerConfiguration.ModelEntry], store: PromptEmbeddingStore, noise: InitialNoiseSource? = nil) throws {
        models = try entries.map { try ServedModel(entry: $0, store: store, noise: noise) }
    }

    public var defaultModel: ServedModel? { models.first }

    public func model(named name: String?) -> ServedModel? {
        guard let name else { return defaultModel }
        return models.first { $0.name == name }
    }
}
