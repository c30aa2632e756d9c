/// The schedulers Tessera implements, with their short command-line names and the
/// diffusers class names that select them in `scheduler_config.json`.
public enum SchedulerKind: String, CaseIterable, Sendable {
    /// `EulerDiscreteScheduler`.
    case euler
    /// `EulerAncestralDiscreteScheduler`.
    case eulerAncestral = "euler_a"
    /// `LCMScheduler`.
    case lcm
    /// `DDIMScheduler`.
    case ddim

    /// The diffusers `_class_name`.
    public var className: String {
        switch self {
        case .euler: return "EulerDiscreteScheduler"
        case .eulerAncestral: return "EulerAncestralDiscreteScheduler"
        case .lcm: return "LCMScheduler"
        case .ddim: return "DDIMScheduler"
        }
    }

    /// Looks up a short name ("euler", "euler_a", "lcm", "ddim") or a diffusers class name.
    public init(name: String) throws {
        if let kind = SchedulerKind(rawValue: name.lowercased()) ?? SchedulerKind.allCases.first(where: { $0.className == name }) {
            self = kind
        } else {
            throw SchedulerError.unknownScheduler(name: name)
        }
    }
}
