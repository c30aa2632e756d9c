import Foundation

/// Text-to-image with diffusers' `StableDiffusionPipeline` semantics: same tokens, noise,
/// scheduler loop, guidance and decode, so the same seed gives the same pixels.
public final class TextToImagePipeline: @unchecked Sendable {
    /// The resident model.
    public let model: DiffusionModel
    /// Prompt encoding, optionally through a cache.
    public let prompts: PromptEncoder
    let previewDecoder: LatentPreviewDecoder
    /// Optional cache of initial noise (the daemon's latent cache).
    public let noiseSource: InitialNoiseSource?

    /// A pipeline over `model`; `store` lets a prompt cache serve embeddings.
    public init(model: DiffusionModel, store: PromptEmbeddingStore? = nil, noiseSource: InitialNoiseSource? = nil) {
        self.model = model
        self.noiseSource = noiseSource
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
        let results = try generate(batch: [p], onStep: onStep.map { callback in { _, progress in callback(progress) } })
        return try results[0].get()
    }

    /// Whether two requests can share UNet calls: same size, steps, scheduler, tiling and
    /// guidance mode (the guidance values themselves may differ).
    public func canBatch(_ a: GenerationParameters, _ b: GenerationParameters) -> Bool {
        a.width == b.width && a.height == b.height && a.steps == b.steps && a.scheduler == b.scheduler
            && a.tiling == b.tiling && usesGuidance(a) == usesGuidance(b)
            && (model.unet.config.timeCondProjDim == nil || a.guidance == b.guidance)
    }

    /// Whether a run uses classifier-free guidance (two UNet rows per image).
    public func usesGuidance(_ p: GenerationParameters) -> Bool {
        p.guidance > 1 && model.unet.config.timeCondProjDim == nil
    }

    /// Runs several compatible requests (see `canBatch`) through shared UNet calls. Each
    /// keeps its own seed and generator, so results equal separate runs up to float rounding.
    /// A request the callback cancels leaves the batch; the others go on.
    /// - Parameter onStep: called with the request's index in `batch` after each step.
    public func generate(batch: [GenerationParameters],
                         onStep: ((Int, StepProgress) -> StepControl)? = nil) throws -> [Result<GenerationResult, GenerationError>] {
        guard let first = batch.first else { return [] }
        for p in batch {
            try validate(p)
            guard canBatch(first, p) else { throw GenerationError.invalidParameter("requests in a batch must share size, steps, scheduler, tiling and guidance mode") }
        }
        let n = batch.count
        let unet = model.unet
        let cfg = usesGuidance(first)
        // LCM-distilled UNets take the guidance as an embedding instead of running CFG.
        let guidanceEmbedding = unet.config.timeCondProjDim.map { GuidanceEmbedding.make(w: first.guidance - 1, dim: $0, batch: 1) }

        var timings = [StageTimings](repeating: StageTimings(), count: n)
        var contexts: [Tensor] = []  // per request: [1, L, D] or [2, L, D] (negative, positive)
        var cachedFlags: [Bool] = []
        for (i, p) in batch.enumerated() {
            let clock = Date()
            let (positive, cached) = try prompts.encode(p.prompt)
            cachedFlags.append(cached)
            if cfg {
                let (negative, _) = try prompts.encode(p.negativePrompt ?? "")
                contexts.append(Tensor.stack(batch: [negative, positive]))
            } else {
                contexts.append(positive)
            }
            timings[i].textEncoding = Date().timeIntervalSince(clock)
        }

        var scheduler = try SchedulerFactory.make(config: model.schedulerConfig, kind: first.scheduler)
        try scheduler.configure(stepCount: first.steps)
        var randoms = batch.map { TorchRandomSource(seed: $0.seed) }
        let shape = latentShape(width: first.width, height: first.height)
        var latents: [Tensor] = []
        for i in 0..<n {
            // Same values as scheduler.initialLatents: one draw, scaled by init_noise_sigma.
            if let (noise, generator) = noiseSource?.initialNoise(seed: batch[i].seed, shape: shape) {
                randoms[i] = generator
                latents.append(Ops.affine(noise, scale: scheduler.initNoiseSigma))
            } else {
                let noise = randoms[i].normal(shape: shape)
                noiseSource?.remember(seed: batch[i].seed, shape: shape, noise: noise, generator: randoms[i])
                latents.append(Ops.affine(noise, scale: scheduler.initNoiseSigma))
            }
        }
        var outcome = [Result<GenerationResult, GenerationError>?](repeating: nil, count: n)
        var active = Array(0..<n)
        var finished: [Int] = []
        var stepsRun = [Int](repeating: scheduler.timesteps.count, count: n)

        for (stepIndex, t) in scheduler.timesteps.enumerated() where !active.isEmpty {
            let clock = Date()
            // Rows: for each active request, [uncond, cond] with CFG or [x] without.
            var rows: [Tensor] = [], contextRows: [Tensor] = []
            for i in active {
                rows.append(latents[i])
                if cfg { rows.append(latents[i]) }
                contextRows.append(contexts[i])
            }
            let input = scheduler.scaleModelInput(rows.count == 1 ? rows[0] : Tensor.stack(batch: rows), stepIndex: stepIndex)
            let context = contextRows.count == 1 ? contextRows[0] : Ops.concatBatch(contextRows)
            let cond = guidanceEmbedding.map { e in active.count == 1 ? e : Tensor.stack(batch: Array(repeating: e, count: active.count)) }
            let prediction = unet(input, timesteps: [t], context: context, timestepCondition: cond, tiling: first.tiling)
            let elapsed = Date().timeIntervalSince(clock)
            var stillActive: [Int] = []
            for (row, i) in active.enumerated() {
                var eps: Tensor
                if cfg {
                    let pair = Ops.sliceBatch(prediction, start: 2 * row, count: 2)
                    eps = Self.combineGuidance(pair, scale: batch[i].guidance)
                } else {
                    eps = active.count == 1 ? prediction : prediction.slice(batch: row)
                }
                let out = scheduler.step(modelOutput: eps, stepIndex: stepIndex, sample: latents[i], random: &randoms[i])
                latents[i] = out.prevSample
                timings[i].steps.append(elapsed / Double(active.count))
                if let onStep {
                    let progress = StepProgress(stepIndex: stepIndex, stepCount: scheduler.timesteps.count, timestep: t,
                                                latents: out.prevSample, predictedOriginal: out.predictedOriginal,
                                                previewDecoder: previewDecoder)
                    switch onStep(i, progress) {
                    case .cancel:
                        outcome[i] = .failure(.cancelled(afterSteps: stepIndex + 1))
                        continue
                    case .finishNow where stepIndex + 1 < scheduler.timesteps.count:
                        latents[i] = out.predictedOriginal
                        stepsRun[i] = stepIndex + 1
                        finished.append(i)
                        continue
                    default:
                        break
                    }
                }
                stillActive.append(i)
            }
            active = stillActive
        }

        for i in (active + finished).sorted() {
            let clock = Date()
            let image = try decode(latents[i], tiling: first.tiling)
            timings[i].decode = Date().timeIntervalSince(clock)
            outcome[i] = .success(GenerationResult(latents: latents[i], image: image, stepsRun: stepsRun[i],
                                                   promptCached: cachedFlags[i], timings: timings[i]))
        }
        return outcome.map { $0! }
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
