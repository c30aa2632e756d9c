import Foundation

/// Text-to-image with diffusers' `StableDiffusionPipeline` semantics: same tokens, noise,
/// scheduler loop, guidance and decode, so the same seed gives the same pixels.
public final class TextToImagePipeline: @unchecked Sendable {
    /// The resident model.
    public let model: DiffusionModel
    /// Prompt encoding, optionally through a cache.
    public let prompts: PromptEncoder
    let previewDecoder: LatentPreviewDecoder

    /// A pipeline over `model`; `store` lets a prompt cache serve embeddings.
    public init(model: DiffusionModel, store: PromptEmbeddingStore? = nil) {
        self.model = model
        prompts = PromptEncoder(tokenizer: model.tokenizer, textEncoder: model.textEncoder,
                                modelKey: model.folder.standardizedFileURL.path, store: store)
        previewDecoder = LatentPreviewDecoder(model: model.autoencoder)
    }

    /// Latent shape for an image size.
    public func latentShape(width: Int, height: Int) -> [Int] {
        let s = model.autoencoder.spatialScale
        return [1, model.unet.config.inChannels, height / s, width / s]
    }

    /// Checks parameters before any work; throws naming the offending one.
    public func validate(_ p: GenerationParameters) throws {
        // diffusers requires multiples of 8 whatever the decoder's own factor.
        let s = max(8, model.autoencoder.spatialScale)
        guard p.width > 0, p.height > 0, p.width % s == 0, p.height % s == 0 else {
            throw GenerationError.invalidParameter("width and height must be positive multiples of \(s), got \(p.width)x\(p.height)")
        }
        guard p.steps >= 1 else { throw GenerationError.invalidParameter("steps must be at least 1, got \(p.steps)") }
        guard p.guidance.isFinite, p.guidance >= 0 else { throw GenerationError.invalidParameter("guidance must be a finite number >= 0") }
    }

    /// Runs the scheduler loop and decodes.
    /// - Parameter onStep: called after every step; may read a cheap preview and may cancel.
    public func generate(_ p: GenerationParameters, onStep: ((StepProgress) -> StepControl)? = nil) throws -> GenerationResult {
        try validate(p)
        var timings = StageTimings()
        let unet = model.unet
        // LCM-distilled UNets take the guidance as an embedding instead of running CFG.
        let guidanceEmbedding = unet.config.timeCondProjDim.map { GuidanceEmbedding.make(w: p.guidance - 1, dim: $0, batch: 1) }
        let cfg = p.guidance > 1 && guidanceEmbedding == nil

        var clock = Date()
        let (positive, cached) = try prompts.encode(p.prompt)
        var context = positive
        if cfg {
            let (negative, _) = try prompts.encode(p.negativePrompt ?? "")
            context = Tensor.stack(batch: [negative, positive])
        }
        timings.textEncoding = Date().timeIntervalSince(clock)

        var scheduler = try SchedulerFactory.make(config: model.schedulerConfig, kind: p.scheduler)
        try scheduler.configure(stepCount: p.steps)
        var random = TorchRandomSource(seed: p.seed)
        var latents = scheduler.initialLatents(shape: latentShape(width: p.width, height: p.height), random: &random)

        let steps = scheduler.timesteps
        for (i, t) in steps.enumerated() {
            clock = Date()
            let input = cfg ? Tensor.stack(batch: [latents, latents]) : latents
            let scaled = scheduler.scaleModelInput(input, stepIndex: i)
            var prediction = unet(scaled, timesteps: [t], context: context, timestepCondition: guidanceEmbedding, tiling: p.tiling)
            if cfg { prediction = Self.combineGuidance(prediction, scale: p.guidance) }
            let out = scheduler.step(modelOutput: prediction, stepIndex: i, sample: latents, random: &random)
            latents = out.prevSample
            timings.steps.append(Date().timeIntervalSince(clock))
            if let onStep {
                let progress = StepProgress(stepIndex: i, stepCount: steps.count, timestep: t, latents: latents,
                                            predictedOriginal: out.predictedOriginal, previewDecoder: previewDecoder)
                if case .cancel = onStep(progress) { throw GenerationError.cancelled(afterSteps: i + 1) }
            }
        }

        clock = Date()
        let image = try decode(latents, tiling: p.tiling)
        timings.decode = Date().timeIntervalSince(clock)
        return GenerationResult(latents: latents, image: image, stepsRun: steps.count, promptCached: cached, timings: timings)
    }

    /// UNet-space latents to an image in [-1, 1], as the pipeline's `vae.decode(latents / scaling_factor)`.
    public func decode(_ latents: Tensor, tiling: Tiling = .none) throws -> Tensor {
        let ae = model.autoencoder
        var raw = Ops.affine(latents, scale: 1 / ae.scalingFactor)
        if ae.shiftFactor != 0 { raw = Ops.affine(raw, scale: 1, shift: ae.shiftFactor) }
        return try ae.decode(raw, tiling: tiling)
    }

    /// `uncond + g * (text - uncond)` on a [2, ...] prediction, in diffusers' order of operations.
    static func combineGuidance(_ both: Tensor, scale g: Float) -> Tensor {
        let half = both.count / 2
        let out = Tensor(uninitialized: [1] + Array(both.shape.dropFirst()))
        let u = both.data, c = both.data + half
        for i in 0..<half { out.data[i] = u[i] + g * (c[i] - u[i]) }
        return out
    }
}
