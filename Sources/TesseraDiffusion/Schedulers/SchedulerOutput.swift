/// The result of one scheduler step.
public struct SchedulerOutput: Sendable {
    /// The sample for the next step (x at the next, lower noise level).
    public let prevSample: Tensor
    /// The scheduler's estimate of the clean sample x₀ at this step (LCM's "denoised").
    public let predictedOriginal: Tensor

    /// Wraps the two tensors of a step.
    public init(prevSample: Tensor, predictedOriginal: Tensor) {
        self.prevSample = prevSample
        self.predictedOriginal = predictedOriginal
    }
}
