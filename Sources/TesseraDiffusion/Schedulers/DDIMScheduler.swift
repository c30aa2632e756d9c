/// diffusers' `DDIMScheduler` (Song et al. 2020). With `eta` 0 (the default, and what the
/// pipelines pass unless asked) it is deterministic; with `eta` > 0 it adds noise from the
/// random source as diffusers does.
///
/// Supported options: `timestep_spacing` linspace, leading and trailing (with the
/// previous timestep always `t - train / n`, as diffusers computes it); `prediction_type`
/// epsilon, v_prediction and sample; `clip_sample`; `set_alpha_to_one`. Dynamic
/// thresholding is rejected.
public struct DDIMScheduler: Scheduler {
    public var kind: SchedulerKind { .ddim }
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    /// What the denoiser predicts.
    public let predictionType: PredictionType
    /// How timesteps are spread.
    public let timestepSpacing: TimestepSpacing
    /// Added to "leading" timesteps.
    public let stepsOffset: Int
    /// Clamp bound for x₀, or nil when `clip_sample` is off.
    public let clipRange: Float?
    /// ᾱ used after the final step.
    public let finalAlphaCumprod: Float
    /// Weight of the stochastic term: 0 is DDIM, 1 is DDPM-like.
    public var eta: Float

    public var trainStepCount: Int { schedule.alphasCumprod.count }
    public private(set) var inferenceStepCount = 0
    /// The integer timesteps, as the training schedule indexes them.
    public private(set) var integerTimesteps: [Int] = []
    public var timesteps: [Float] { integerTimesteps.map { Float($0) } }
    public var sigmas: [Float] { [] }
    public var initNoiseSigma: Float { 1 }

    /// Builds the scheduler from a diffusers config, with `DDIMScheduler`'s defaults
    /// (note that `clip_sample` defaults to true there).
    public init(config: SchedulerConfig = SchedulerConfig(), eta: Float = 0) throws {
        schedule = try NoiseSchedule(config: config, defaultBetaStart: 0.0001, defaultBetaEnd: 0.02, defaultSchedule: "linear")
        predictionType = try PredictionType(configValue: config.predictionType ?? "epsilon")
        timestepSpacing = try TimestepSpacing(configValue: config.timestepSpacing ?? "leading")
        stepsOffset = config.stepsOffset ?? 0
        if config.thresholding ?? false { throw SchedulerError.unsupported(key: "thresholding", value: "true") }
        clipRange = (config.clipSample ?? true) ? Float(config.clipSampleRange ?? 1) : nil
        finalAlphaCumprod = (config.setAlphaToOne ?? true) ? 1 : schedule.alphasCumprod[0]
        self.eta = eta
    }

    public mutating func configure(stepCount: Int) throws {
        guard stepCount >= 1, stepCount <= trainStepCount else {
            throw SchedulerError.invalidStepCount(stepCount, reason: "must be in 1...\(trainStepCount)")
        }
        let ts = timestepSpacing.integerTimesteps(count: stepCount, trainSteps: trainStepCount, stepsOffset: stepsOffset)
        // diffusers indexes ᾱ with these in Python, so -1 (which trailing spacing can produce for
        // some counts, e.g. 61) means the last entry; anything outside ±count is an IndexError there.
        guard ts.allSatisfy({ $0 >= -trainStepCount && $0 < trainStepCount }) else {
            throw SchedulerError.invalid(key: "steps_offset", reason: "moves timesteps \(ts) outside the training schedule")
        }
        integerTimesteps = ts
        inferenceStepCount = stepCount
    }

    /// DDIM does not scale the denoiser input.
    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor { sample }

    public func step<R: RandomSource>(modelOutput: Tensor, stepIndex: Int, sample: Tensor, random: inout R) -> SchedulerOutput {
        validateStep(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let t = integerTimesteps[stepIndex]
        let prevT = t - trainStepCount / inferenceStepCount
        let alphaT = schedule.alphasCumprod[t >= 0 ? t : t + trainStepCount]
        let alphaPrev = prevT >= 0 ? schedule.alphasCumprod[prevT] : finalAlphaCumprod
        let betaT = 1 - alphaT, betaPrev = 1 - alphaPrev
        let sqrtAlpha = alphaT.squareRoot(), sqrtBeta = betaT.squareRoot()

        let predicted = DDPMMath.predictOriginal(modelOutput: modelOutput, sample: sample, alphaProduct: alphaT,
                                                 predictionType: predictionType, clipRange: clipRange)
        let variance = (betaPrev / betaT) * (1 - alphaT / alphaPrev)
        let stdDev = eta * variance.squareRoot()
        let directionScale = (1 - alphaPrev - stdDev * stdDev).squareRoot()
        let keep = alphaPrev.squareRoot()

        let prev = Tensor(uninitialized: sample.shape)
        let m = modelOutput.data, s = sample.data, x0 = predicted.data, p = prev.data
        for i in 0..<sample.count {
            // ε as predicted by the model (before any clipping of x₀).
            let epsilon: Float
            switch predictionType {
            case .epsilon: epsilon = m[i]
            case .sample: epsilon = (s[i] - sqrtAlpha * m[i]) / sqrtBeta
            case .vPrediction: epsilon = sqrtAlpha * m[i] + sqrtBeta * s[i]
            }
            p[i] = keep * x0[i] + directionScale * epsilon
        }
        if eta > 0 {
            let noise = random.normal(shape: modelOutput.shape)
            let z = noise.data
            for i in 0..<prev.count { p[i] = p[i] + stdDev * z[i] }
        }
        return SchedulerOutput(prevSample: prev, predictedOriginal: predicted)
    }
}
