import Foundation

/// A loaded diffusers text-to-image model folder: tokenizer, CLIP text encoder, UNet, VAE
/// (or a separately given TAESD) and the scheduler configuration, resident in memory.
public final class DiffusionModel: @unchecked Sendable {
    /// The model folder.
    public let folder: URL
    /// Display name: the folder's last path component.
    public let name: String
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel
    public let unet: UNet2DConditionModel
    /// The decoder in use: the model's own VAE, or the TAESD given with `decoder`.
    public let autoencoder: any LatentAutoencoder
    /// `scheduler/scheduler_config.json`.
    public let schedulerConfig: SchedulerConfig

    /// Loads `folder` (a diffusers layout with `model_index.json`). When `decoderFolder` is
    /// given (a TAESD or another VAE folder), it replaces the model's `vae/`, which is then
    /// not loaded at all.
    public init(folder: URL, decoderFolder: URL? = nil) throws {
        self.folder = folder
        name = folder.standardizedFileURL.lastPathComponent
        let index = try ModelIndex(folder: folder)
        guard index.pipelineClass == "StableDiffusionPipeline" || index.pipelineClass.hasPrefix("StableDiffusion")
              || index.pipelineClass == "LatentConsistencyModelPipeline" else {
            throw ModelError.unsupported(path: folder.appendingPathComponent("model_index.json").path,
                                         what: "pipeline class \(index.pipelineClass)")
        }
        tokenizer = try CLIPTokenizer(folder: folder.appendingPathComponent("tokenizer"))
        textEncoder = try CLIPTextModel(folder: folder.appendingPathComponent("text_encoder"))
        unet = try UNet2DConditionModel(folder: folder.appendingPathComponent("unet"))
        autoencoder = try Self.loadAutoencoder(decoderFolder ?? folder.appendingPathComponent("vae"))
        schedulerConfig = try SchedulerConfig(url: folder.appendingPathComponent("scheduler/scheduler_config.json"))
        guard unet.config.crossAttentionDim == textEncoder.config.hiddenSize else {
            throw ModelError.badConfig(path: folder.appendingPathComponent("unet/config.json").path, key: "cross_attention_dim",
                                       reason: "\(unet.config.crossAttentionDim) does not match the text encoder's hidden_size \(textEncoder.config.hiddenSize)")
        }
        guard autoencoder.latentChannels == unet.config.inChannels else {
            throw ModelError.badConfig(path: (decoderFolder ?? folder.appendingPathComponent("vae")).path, key: "latent_channels",
                                       reason: "\(autoencoder.latentChannels) does not match the UNet's in_channels \(unet.config.inChannels)")
        }
    }

    /// Loads a VAE folder as `AutoencoderKL` or `AutoencoderTiny`, chosen by its config's `_class_name`.
    public static func loadAutoencoder(_ folder: URL) throws -> any LatentAutoencoder {
        let configURL = folder.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw ModelError.fileMissing(path: configURL.path) }
        let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any]
        switch object?["_class_name"] as? String {
        case "AutoencoderTiny": return try AutoencoderTiny(folder: folder)
        case "AutoencoderKL", nil: return try AutoencoderKL(folder: folder)
        case let other?: throw ModelError.unsupported(path: configURL.path, what: "VAE class \(other)")
        }
    }
}
