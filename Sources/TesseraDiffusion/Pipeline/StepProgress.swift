/// What the per-step callback sees after each denoising step.
public struct StepProgress {
    /// Zero-based index of the step just run.
    public let stepIndex: Int
    /// Total steps planned.
    public let stepCount: Int
    /// The timestep of this step.
    public let timestep: Float
    /// Latents after this step.
    public let latents: Tensor
    /// The scheduler's estimate of the final latents (x0) at this step.
    public let predictedOriginal: Tensor
    let previewDecoder: LatentPreviewDecoder

    /// A cheap preview image [1, 3, h, w] in [-1, 1] of the predicted final latents
    /// (TAESD when the model decodes with it, else a linear latent-to-RGB map).
    public func preview() -> Tensor { previewDecoder.preview(predictedOriginal) }
}

/// The callback's verdict after a step.
public enum StepControl: Sendable {
    /// Run the next step.
    case proceed
    /// Stop; the run throws `GenerationError.cancelled`.
    case cancel
    /// Stop early and decode the scheduler's current estimate of the final latents (x0):
    /// a usable image sooner, with fewer steps (for deadlines).
    case finishNow
}
