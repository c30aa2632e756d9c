/// diffusers' `EulerDiscreteScheduler` (Karras et al. Algorithm 2 without churn): the
/// sampler of SD-Turbo and most few-step models.
///
/// Supported options: `timestep_spacing` linspace, leading and trailing; `prediction_type`
/// epsilon, v_prediction and sample; `interpolation_type` linear; `final_sigmas_type` zero
/// and sigma_min; `timestep_type` discrete. Karras, exponential and beta sigmas are
/// rejected. Churn (`s_churn`) is always 0, as in the diffusers pipelines.
public struct EulerDiscreteScheduler: Scheduler {
    public var kind: SchedulerKind { .euler }
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    /// What the denoiser predicts.
    public let predictionType: PredictionType
    /// How timesteps are spread.
    public let timestepSpacing: TimestepSpacing
    /// Added to "leading" timesteps.
    public let stepsOffset: Int
    /// Whether the schedule ends at σ_min rather than 0.
    public let endsAtSigmaMin: Bool

    public var trainStepCount: Int { schedule.alphasCumprod.count }
    public private(set) var inferenceStepCount = 0
    public private(set) var timesteps: [Float] = []
    public private(set) var sigmas: [Float] = []
    public private(set) var initNoiseSigma: Float

    /// Builds the scheduler from a diffusers config, with `EulerDiscreteScheduler`'s defaults.
    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        schedule = try NoiseSchedule(config: config, defaultBetaStart: 0.0001, defaultBetaEnd: 0.02, defaultSchedule: "linear")
        predictionType = try PredictionType(configValue: config.predictionType ?? "epsilon")
        timestepSpacing = try TimestepSpacing(configValue: config.timestepSpacing ?? "linspace")
        stepsOffset = config.stepsOffset ?? 0
        if let value = config.interpolationType, value != "linear" {
            throw SchedulerError.unsupported(key: "interpolation_type", value: "\"\(value)\"")
        }
        for (key, flag) in [("use_karras_sigmas", config.useKarrasSigmas), ("use_exponential_sigmas", config.useExponentialSigmas),
                            ("use_beta_sigmas", config.useBetaSigmas)] where flag == true {
            throw SchedulerError.unsupported(key: key, value: "true")
        }
        if let value = config.timestepType, value != "discrete" {
            throw SchedulerError.unsupported(key: "timestep_type", value: "\"\(value)\"")
        }
        switch config.finalSigmasType ?? "zero" {
        case "zero": endsAtSigmaMin = false
        case "sigma_min": endsAtSigmaMin = true
        case let other: throw SchedulerError.unsupported(key: "final_sigmas_type", value: "\"\(other)\"")
        }
        // Before configuration diffusers reports the noise level of the full training schedule.
        initNoiseSigma = Self.initNoiseSigma(maxSigma: schedule.sigmas.max() ?? 0, spacing: timestepSpacing)
    }

    public mutating func configure(stepCount: Int) throws {
        guard stepCount >= 1, stepCount <= trainStepCount else {
            throw SchedulerError.invalidStepCount(stepCount, reason: "must be in 1...\(trainStepCount)")
        }
        let table = schedule.sigmas
        // Out-of-range timesteps (trailing spacing can end at -1) take the end sigmas, as np.interp does.
        let ts = timestepSpacing.fractionalTimesteps(count: stepCount, trainSteps: trainStepCount, stepsOffset: stepsOffset)
        var s = ts.map { Float(NumPyMath.interp(Double($0), table: table)) }
        if endsAtSigmaMin {
            let a0 = schedule.alphasCumprod[0]
            s.append(((1 - a0) / a0).squareRoot())
        } else {
            s.append(0)
        }
        inferenceStepCount = stepCount
        timesteps = ts
        sigmas = s
        initNoiseSigma = Self.initNoiseSigma(maxSigma: s.max() ?? 0, spacing: timestepSpacing)
    }

    /// σ_max for linspace and trailing spacing; √(σ_max² + 1) for leading (diffusers' rule).
    static func initNoiseSigma(maxSigma: Float, spacing: TimestepSpacing) -> Float {
        spacing == .leading ? (maxSigma * maxSigma + 1).squareRoot() : maxSigma
    }

    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor {
        precondition(sigmas.indices.contains(stepIndex + 1), "step index \(stepIndex) outside the configured schedule")
        let sigma = sigmas[stepIndex]
        return EulerMath.divide(sample, by: (sigma * sigma + 1).squareRoot())
    }

    public func step<R: RandomSource>(modelOutput: Tensor, stepIndex: Int, sample: Tensor, random: inout R) -> SchedulerOutput {
        validateStep(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let sigma = sigmas[stepIndex]
        let predicted = EulerMath.predictOriginal(modelOutput: modelOutput, sample: sample, sigma: sigma,
                                                  predictionType: predictionType)
        let prev = EulerMath.eulerStep(sample: sample, predictedOriginal: predicted, sigma: sigma,
                                       dt: sigmas[stepIndex + 1] - sigma)
        return SchedulerOutput(prevSample: prev, predictedOriginal: predicted)
    }
}
