/// Wall-clock seconds per pipeline stage.
public struct StageTimings: Sendable {
    /// Tokenizing and encoding the prompt(s); near zero on a prompt-cache hit.
    public var textEncoding: Double = 0
    /// Each UNet step, including the scheduler update.
    public var steps: [Double] = []
    /// Decoding latents to an image.
    public var decode: Double = 0

    public init() {}
}

/// What a text-to-image run produced.
public struct GenerationResult: Sendable {
    /// Final latents in the UNet's latent space [1, C, h, w].
    public let latents: Tensor
    /// Decoded image [1, 3, H, W], nominally in [-1, 1].
    public let image: Tensor
    /// Steps actually run.
    public let stepsRun: Int
    /// Whether the prompt embeddings came from the store.
    public let promptCached: Bool
    /// Per-stage timings.
    public let timings: StageTimings

    public init(latents: Tensor, image: Tensor, stepsRun: Int, promptCached: Bool, timings: StageTimings) {
        self.latents = latents
        self.image = image
        self.stepsRun = stepsRun
        self.promptCached = promptCached
        self.timings = timings
    }
}

/// Why a run stopped without a result.
public enum GenerationError: Error, CustomStringConvertible, Equatable {
    /// A parameter is out of range; the message names it.
    case invalidParameter(String)
    /// The step callback asked to stop after `afterSteps` steps.
    case cancelled(afterSteps: Int)

    public var description: String {
        switch self {
        case .invalidParameter(let m): return "invalid parameter: \(m)"
        case .cancelled(let n): return "cancelled after \(n) step(s)"
        }
    }
}
