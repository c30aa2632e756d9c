/// diffusers' `LCMScheduler` (latent consistency models and LCM-LoRA): each step maps the
/// sample to the consistency boundary-condition estimate of x₀ ("denoised"), then, except
/// on the last step, re-noises it to the next timestep with noise from the random source.
///
/// Timesteps are `num_inference_steps` evenly spaced picks from the distillation schedule
/// of `original_inference_steps` steps; `timestep_spacing` and `steps_offset` do not apply.
/// Supported `prediction_type`: epsilon, v_prediction and sample; `clip_sample` both ways;
/// dynamic thresholding is rejected.
public struct LCMScheduler: Scheduler {
    public var kind: SchedulerKind { .lcm }
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    /// What the denoiser predicts.
    public let predictionType: PredictionType
    /// Length of the distillation schedule the timesteps are picked from.
    public let originalInferenceSteps: Int
    /// Scale of t in the boundary condition (c_skip, c_out).
    public let timestepScaling: Float
    /// Clamp bound for x₀, or nil when `clip_sample` is off.
    public let clipRange: Float?
    /// ᾱ used after the final step.
    public let finalAlphaCumprod: Float

    public var trainStepCount: Int { schedule.alphasCumprod.count }
    public private(set) var inferenceStepCount = 0
    /// The integer timesteps, as the training schedule indexes them.
    public private(set) var integerTimesteps: [Int] = []
    public var timesteps: [Float] { integerTimesteps.map { Float($0) } }
    public var sigmas: [Float] { [] }
    public var initNoiseSigma: Float { 1 }

    /// Builds the scheduler from a diffusers config, with `LCMScheduler`'s defaults.
    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        schedule = try NoiseSchedule(config: config, defaultBetaStart: 0.00085, defaultBetaEnd: 0.012,
                                     defaultSchedule: "scaled_linear")
        predictionType = try PredictionType(configValue: config.predictionType ?? "epsilon")
        originalInferenceSteps = config.originalInferenceSteps ?? 50
        guard originalInferenceSteps >= 1, originalInferenceSteps <= schedule.alphasCumprod.count else {
            throw SchedulerError.invalid(key: "original_inference_steps",
                                         reason: "must be in 1...\(schedule.alphasCumprod.count), got \(originalInferenceSteps)")
        }
        timestepScaling = Float(config.timestepScaling ?? 10)
        if config.thresholding ?? false { throw SchedulerError.unsupported(key: "thresholding", value: "true") }
        clipRange = (config.clipSample ?? false) ? Float(config.clipSampleRange ?? 1) : nil
        finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : schedule.alphasCumprod[0]
    }

    public mutating func configure(stepCount: Int) throws {
        guard stepCount >= 1, stepCount <= originalInferenceSteps else {
            throw SchedulerError.invalidStepCount(
                stepCount, reason: "LCM picks its steps from original_inference_steps = \(originalInferenceSteps)")
        }
        // The distillation schedule k-1, 2k-1, ..., descending, then evenly spaced indices into it.
        let k = trainStepCount / originalInferenceSteps
        let origin = (1...originalInferenceSteps).reversed().map { $0 * k - 1 }
        let indices = NumPyMath.linspace(start: 0, stop: Double(origin.count), count: stepCount, endpoint: false)
        integerTimesteps = indices.map { origin[Int($0.rounded(.down))] }
        inferenceStepCount = stepCount
    }

    /// LCM does not scale the denoiser input.
    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor { sample }

    public func step<R: RandomSource>(modelOutput: Tensor, stepIndex: Int, sample: Tensor, random: inout R) -> SchedulerOutput {
        validateStep(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let t = integerTimesteps[stepIndex]
        let isLast = stepIndex == inferenceStepCount - 1
        let prevT = stepIndex + 1 < integerTimesteps.count ? integerTimesteps[stepIndex + 1] : t
        let alphaT = schedule.alphasCumprod[t]
        let alphaPrev = prevT >= 0 ? schedule.alphasCumprod[prevT] : finalAlphaCumprod
        let betaPrev = 1 - alphaPrev

        // Boundary condition with σ_data = 0.5, in float32 like the torch expression.
        let scaled = Float(t) * timestepScaling
        let cSkip = Float(0.25) / (scaled * scaled + 0.25)
        let cOut = scaled / (scaled * scaled + 0.25).squareRoot()

        let denoised = DDPMMath.predictOriginal(modelOutput: modelOutput, sample: sample, alphaProduct: alphaT,
                                                predictionType: predictionType, clipRange: clipRange)
        let d = denoised.data, s = sample.data, n = sample.count
        for i in 0..<n { d[i] = cOut * d[i] + cSkip * s[i] }

        guard !isLast else { return SchedulerOutput(prevSample: denoised, predictedOriginal: denoised) }
        let noise = random.normal(shape: modelOutput.shape)
        let prev = Tensor(uninitialized: sample.shape)
        let z = noise.data, p = prev.data
        let keep = alphaPrev.squareRoot(), spread = betaPrev.squareRoot()
        for i in 0..<n { p[i] = keep * d[i] + spread * z[i] }
        return SchedulerOutput(prevSample: prev, predictedOriginal: denoised)
    }
}
