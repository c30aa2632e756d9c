/// What the denoiser predicts (`prediction_type`).
public enum PredictionType: String, Sendable {
    /// The added noise ε.
    case epsilon
    /// The velocity v = α·ε − σ·x₀.
    case vPrediction = "v_prediction"
    /// The clean sample x₀ ("original_sample" is the legacy spelling).
    case sample

    /// Parses a config value, accepting diffusers' legacy "original_sample".
    init(configValue: String) throws {
        if configValue == "original_sample" {
            self = .sample
        } else if let value = PredictionType(rawValue: configValue) {
            self = value
        } else {
            throw SchedulerError.unsupported(key: "prediction_type", value: "\"\(configValue)\"")
        }
    }
}
