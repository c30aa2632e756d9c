/// What to generate: the knobs of one text-to-image run.
public struct GenerationParameters: Sendable, Hashable {
    /// The text prompt.
    public var prompt: String
    /// Negative prompt, used only when `guidance > 1` (nil means the empty prompt, as in diffusers).
    public var negativePrompt: String?
    /// Seed of the torch-compatible generator for the initial noise (and ancestral noise).
    public var seed: UInt64
    /// Number of denoising steps.
    public var steps: Int
    /// Image size in pixels; multiples of the decoder's scale (8 for SD).
    public var width: Int
    public var height: Int
    /// Classifier-free guidance scale; guidance runs only when it is above 1.
    public var guidance: Float
    /// Scheduler override; nil uses the model's `scheduler_config.json` class.
    public var scheduler: SchedulerKind?
    /// Axes on which the texture wraps around seamlessly.
    public var tiling: Tiling

    public init(prompt: String, negativePrompt: String? = nil, seed: UInt64 = 0, steps: Int = 1,
                width: Int = 512, height: Int = 512, guidance: Float = 0, scheduler: SchedulerKind? = nil,
                tiling: Tiling = .none) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.steps = steps
        self.width = width
        self.height = height
        self.guidance = guidance
        self.scheduler = scheduler
        self.tiling = tiling
    }
}

