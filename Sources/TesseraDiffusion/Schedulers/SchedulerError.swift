/// Why a scheduler could not be built or configured. Cases name the config key or the
/// value at fault so that a user can fix `scheduler_config.json` or the command line.
public enum SchedulerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `_class_name` (or an override name) is not a scheduler Tessera implements.
    case unknownScheduler(name: String)
    /// A config key holds a value Tessera does not implement.
    case unsupported(key: String, value: String)
    /// A config key holds a value that makes no sense (out of range, inconsistent).
    case invalid(key: String, reason: String)
    /// The requested number of inference steps cannot be scheduled.
    case invalidStepCount(Int, reason: String)

    public var description: String {
        switch self {
        case .unknownScheduler(let name):
            let known = SchedulerKind.allCases.map { "\($0.rawValue) (\($0.className))" }.joined(separator: ", ")
            return "unknown scheduler '\(name)'; supported: \(known)"
        case .unsupported(let key, let value):
            return "scheduler config key '\(key)': value \(value) is not supported"
        case .invalid(let key, let reason):
            return "scheduler config key '\(key)': \(reason)"
        case .invalidStepCount(let count, let reason):
            return "cannot schedule \(count) inference steps: \(reason)"
        }
    }
}
