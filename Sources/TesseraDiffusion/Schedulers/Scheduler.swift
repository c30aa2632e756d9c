/// A diffusion sampler (style anchor: apple/ml-stable-diffusion's `Scheduler`), matching
/// the diffusers class of the same name to float32 rounding.
///
/// Use: `configure(stepCount:)`, draw the initial latents with `initialLatents`, then for
/// each index `i` of `timesteps`, run the denoiser on `scaleModelInput(x, stepIndex: i)`
/// at timestep `timesteps[i]` and advance with `step`. Steps are addressed by index, not
/// by timestep value, so a configured scheduler is an immutable value.
public protocol Scheduler: Sendable {
    /// Which scheduler this is.
    var kind: SchedulerKind { get }
    /// Length of the training noise schedule.
    var trainStepCount: Int { get }
    /// The step count passed to the last `configure(stepCount:)` (0 before).
    var inferenceStepCount: Int { get }
    /// Denoiser timesteps in the order they are run; normally `inferenceStepCount` of
    /// them, but diffusers' "trailing" spacing yields one more, ending at -1, for some
    /// counts (62 of 1...1000, the first being 61), and this reproduces that.
    var timesteps: [Float] { get }
    /// Noise levels σ per step followed by the final one (`timesteps.count + 1` values);
    /// empty for schedulers that are not parametrised by σ (DDIM, LCM).
    var sigmas: [Float] { get }
    /// Standard deviation of the initial noise: pure N(0, 1) latents are multiplied by it.
    var initNoiseSigma: Float { get }

    /// Prepares `stepCount` inference steps, replacing any previous configuration.
    mutating func configure(stepCount: Int) throws

    /// The denoiser input for step `stepIndex` (Euler methods divide by √(σ² + 1)).
    func scaleModelInput(_ sample: Tensor, stepIndex: Int) -> Tensor

    /// Advances `sample` by one step given the denoiser's `modelOutput` at step `stepIndex`.
    /// Stochastic schedulers draw their noise from `random`, as diffusers draws it from the
    /// pipeline's generator.
    func step<R: RandomSource>(modelOutput: Tensor, stepIndex: Int, sample: Tensor, random: inout R) -> SchedulerOutput
}

extension Scheduler {
    /// The initial latents of a pipeline: one draw of `shape` from `random`, scaled by
    /// `initNoiseSigma` (diffusers' `prepare_latents`).
    public func initialLatents<R: RandomSource>(shape: [Int], random: inout R) -> Tensor {
        let noise = random.normal(shape: shape)
        let sigma = initNoiseSigma
        let p = noise.data
        for i in 0..<noise.count { p[i] *= sigma }
        return noise
    }

    /// Checks a step index and the shapes of a step's operands.
    func validateStep(modelOutput: Tensor, stepIndex: Int, sample: Tensor) {
        precondition(timesteps.indices.contains(stepIndex),
                     "step index \(stepIndex) outside 0..<\(timesteps.count); call configure(stepCount:) first")
        precondition(modelOutput.shape == sample.shape,
                     "model output \(modelOutput.shape) and sample \(sample.shape) differ in shape")
    }
}
