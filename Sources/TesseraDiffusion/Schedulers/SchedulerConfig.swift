import Foundation

/// The contents of a diffusers `scheduler/scheduler_config.json`.
///
/// Every field is optional: a missing key takes the default of whichever scheduler class
/// is built from the config, exactly as diffusers' `Scheduler.from_config` does when a
/// config written for one class builds another (e.g. an Euler config run with LCM).
/// Unknown keys are ignored. Values are checked when a scheduler is built, and a bad one
/// is reported with its key.
public struct SchedulerConfig: Decodable, Equatable, Sendable {
    /// `_class_name`: the diffusers scheduler class the model ships with.
    public var className: String?
    /// `num_train_timesteps`: length of the training noise schedule (usually 1000).
    public var numTrainTimesteps: Int?
    /// `beta_start`: β at the first training step.
    public var betaStart: Double?
    /// `beta_end`: β at the last training step.
    public var betaEnd: Double?
    /// `beta_schedule`: "linear", "scaled_linear" or "squaredcos_cap_v2".
    public var betaSchedule: String?
    /// `trained_betas`: explicit βs, overriding `beta_schedule` when present.
    public var trainedBetas: [Double]?
    /// `prediction_type`: "epsilon", "v_prediction" or "sample".
    public var predictionType: String?
    /// `timestep_spacing`: "linspace", "leading" or "trailing".
    public var timestepSpacing: String?
    /// `steps_offset`: added to "leading" timesteps.
    public var stepsOffset: Int?
    /// `interpolation_type` (Euler): only "linear" is supported.
    public var interpolationType: String?
    /// `use_karras_sigmas` (Euler): only false is supported.
    public var useKarrasSigmas: Bool?
    /// `use_exponential_sigmas` (Euler): only false is supported.
    public var useExponentialSigmas: Bool?
    /// `use_beta_sigmas` (Euler): only false is supported.
    public var useBetaSigmas: Bool?
    /// `timestep_type` (Euler): only "discrete" is supported.
    public var timestepType: String?
    /// `final_sigmas_type` (Euler): "zero" or "sigma_min".
    public var finalSigmasType: String?
    /// `rescale_betas_zero_snr`: only false is supported.
    public var rescaleBetasZeroSnr: Bool?
    /// `original_inference_steps` (LCM): the distillation schedule length.
    public var originalInferenceSteps: Int?
    /// `timestep_scaling` (LCM): scales t in the consistency boundary condition.
    public var timestepScaling: Double?
    /// `clip_sample` (DDIM, LCM): clamp predicted x₀ to ±`clip_sample_range`.
    public var clipSample: Bool?
    /// `clip_sample_range` (DDIM, LCM): the clamp bound.
    public var clipSampleRange: Double?
    /// `set_alpha_to_one` (DDIM, LCM): ᾱ after the last step is 1 rather than ᾱ₀.
    public var setAlphaToOne: Bool?
    /// `thresholding` (DDIM, LCM): dynamic thresholding; only false is supported.
    public var thresholding: Bool?

    enum CodingKeys: String, CodingKey {
        case className = "_class_name"
        case numTrainTimesteps = "num_train_timesteps"
        case betaStart = "beta_start"
        case betaEnd = "beta_end"
        case betaSchedule = "beta_schedule"
        case trainedBetas = "trained_betas"
        case predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing"
        case stepsOffset = "steps_offset"
        case interpolationType = "interpolation_type"
        case useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas"
        case timestepType = "timestep_type"
        case finalSigmasType = "final_sigmas_type"
        case rescaleBetasZeroSnr = "rescale_betas_zero_snr"
        case originalInferenceSteps = "original_inference_steps"
        case timestepScaling = "timestep_scaling"
        case clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range"
        case setAlphaToOne = "set_alpha_to_one"
        case thresholding
    }

    /// An empty config: every scheduler uses its diffusers defaults.
    public init() {}

    /// Decodes `scheduler_config.json` at `url`; errors name the file and the key.
    public init(url: URL) throws {
        self = try ConfigFile.load(SchedulerConfig.self, from: url)
    }

    /// Decodes `scheduler_config.json` at `url` (same as `init(url:)`).
    public static func load(from url: URL) throws -> SchedulerConfig {
        try SchedulerConfig(url: url)
    }

    /// Decodes config JSON held in memory.
    public static func decode(_ data: Data) throws -> SchedulerConfig {
        try JSONDecoder().decode(SchedulerConfig.self, from: data)
    }
}
