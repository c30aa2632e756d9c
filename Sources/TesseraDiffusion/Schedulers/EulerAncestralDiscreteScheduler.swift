/// diffusers' `EulerAncestralDiscreteScheduler`: an Euler step to σ_down followed by fresh
/// noise of scale σ_up, drawn from the pipeline's random source on every step (the last
/// one included, where σ_up is 0), exactly as diffusers draws it.
///
/// Supported options: `timestep_spacing` linspace, leading and trailing; `prediction_type`
/// epsilon and v_prediction (diffusers does not implement "sample" here).
public struct EulerAncestralDiscreteScheduler: Scheduler {
    public var kind: SchedulerKind { .eulerAncestral }
    /// The training noise schedule.
    public let schedule: NoiseSchedule
    /// What the denoiser predicts.
    public let predictionType: PredictionType
    /// How timesteps are spread.
    public let timestepSpacing: TimestepSpacing
    /// Added to "leading" timesteps.
    public let stepsOffset: Int

    public var trainStepCount: Int { schedule.alphasCumprod.count }
    public private(set) var inferenceStepCount = 0
    public private(set) var timesteps: [Float] = []
    public private(set) var sigmas: [Float] = []
    public private(set) var initNoiseSigma: Float

    /// Builds the scheduler from a diffusers config, with this class's defaults.
    public init(config: SchedulerConfig = SchedulerConfig()) throws {
        schedule = try NoiseSchedule(config: config, defaultBetaStart: 0.0001, defaultBetaEnd: 0.02, defaultSchedule: "linear")
        predictionType = try PredictionType(configValue: config.predictionType ?? "epsilon")
        if predictionType == .sample {
            throw SchedulerError.unsupported(key: "prediction_type", value: "\"\(config.predictionType ?? "sample")\"")
        }
        timestepSpacing = try TimestepSpacing(configValue: config.timestepSpacing ?? "linspace")
        stepsOffset = config.stepsOffset ?? 0
        initNoiseSigma = EulerDiscreteScheduler.initNoiseSigma(maxSigma: schedule.sigmas.max() ?? 0, spacing: timestepSpacing)
    }

    public mutating func configure(stepCount: Int) throws {
        guard stepCount >= 1, stepCount <= trainStepCount else {
            throw SchedulerError.invalidStepCount(stepCount, reason: "must be in 1...\(trainStepCount)")
        }
        let table = schedule.sigmas
        // Out-of-range timesteps (trailing spacing can end at -1) take the end sigmas, as np.interp does.
        let ts = timestepSpacing.fractionalTimesteps(count: stepCount, trainSteps: trainStepCount, stepsOffset: stepsOffset)
        inferenceStepCount = stepCount
        timesteps = ts
        sigmas = ts.map { Float(NumPyMath.interp(Double($0), table: table)) } + [0]
        initNoiseSigma = EulerDiscreteScheduler.initNoiseSigma(maxSigma: sigmas.max() ?? 0, spacing: timestepSpacing)
    }

    public func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor {
        precondition(sigmas.indices.contains(stepIndex + 1), "step index \(stepIndex) outside the configured schedule")
        let sigma = sigmas[stepIndex]
        return EulerMath.divide(sample, by: (sigma * sigma + 1).squareRoot())
    }

    public func step<R: RandomSource>(modelOutput: Tensor, stepIndex: Int, sample: Tensor, random: inout R) -> SchedulerOutput {
        validateStep(modelOutput: modelOutput, stepIndex: stepIndex, sample: sample)
        let from = sigmas[stepIndex], to = sigmas[stepIndex + 1]
        let predicted = EulerMath.predictOriginal(modelOutput: modelOutput, sample: sample, sigma: from,
                                                  predictionType: predictionType)
        let from2 = from * from, to2 = to * to
        let sigmaUp = (to2 * (from2 - to2) / from2).squareRoot()
        let sigmaDown = (to2 - sigmaUp * sigmaUp).squareRoot()
        let prev = EulerMath.eulerStep(sample: sample, predictedOriginal: predicted, sigma: from, dt: sigmaDown - from)
        let noise = random.normal(shape: modelOutput.shape)
        let p = prev.data, z = noise.data
        for i in 0..<prev.count { p[i] = p[i] + z[i] * sigmaUp }
        return SchedulerOutput(prevSample: prev, predictedOriginal: predicted)
    }
}
