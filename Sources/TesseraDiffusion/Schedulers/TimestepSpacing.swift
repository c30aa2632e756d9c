/// How inference timesteps are spread over the training schedule (`timestep_spacing`,
/// Table 2 of "Common Diffusion Noise Schedules and Sample Steps are Flawed").
public enum TimestepSpacing: String, Sendable {
    /// Evenly from the last training step down to 0, possibly fractional.
    case linspace
    /// Multiples of `train / n` from 0, plus `steps_offset`.
    case leading
    /// Multiples of `train / n` counted down from the last training step.
    case trailing

    init(configValue: String) throws {
        guard let value = TimestepSpacing(rawValue: configValue) else {
            throw SchedulerError.unsupported(key: "timestep_spacing", value: "\"\(configValue)\"")
        }
        self = value
    }

    /// Euler-style float32 timesteps, as `EulerDiscreteScheduler.set_timesteps` makes them.
    /// "trailing" can yield one more timestep than `count` (NumPy's arange length rule).
    func fractionalTimesteps(count: Int, trainSteps: Int, stepsOffset: Int) -> [Float] {
        switch self {
        case .linspace:
            return NumPyMath.linspace(start: 0, stop: Double(trainSteps - 1), count: count).reversed().map { Float($0) }
        case .leading:
            let ratio = trainSteps / count
            return (0..<count).reversed().map { Float(NumPyMath.round(Double($0 * ratio))) + Float(stepsOffset) }
        case .trailing:
            let ratio = Double(trainSteps) / Double(count)
            return NumPyMath.arange(start: Double(trainSteps), stop: 0, step: -ratio).map { Float(NumPyMath.round($0)) - 1 }
        }
    }

    /// DDIM-style integer timesteps, as `DDIMScheduler.set_timesteps` makes them.
    func integerTimesteps(count: Int, trainSteps: Int, stepsOffset: Int) -> [Int] {
        switch self {
        case .linspace:
            return NumPyMath.linspace(start: 0, stop: Double(trainSteps - 1), count: count).reversed().map { Int(NumPyMath.round($0)) }
        case .leading:
            let ratio = trainSteps / count
            return (0..<count).reversed().map { $0 * ratio + stepsOffset }
        case .trailing:
            let ratio = Double(trainSteps) / Double(count)
            return NumPyMath.arange(start: Double(trainSteps), stop: 0, step: -ratio).map { Int(NumPyMath.round($0)) - 1 }
        }
    }
}
