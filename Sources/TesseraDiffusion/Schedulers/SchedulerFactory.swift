import Foundation

/// Builds schedulers from diffusers configs.
public enum SchedulerFactory {
    /// The scheduler `config` names in `_class_name`, or `kind` when given. An override
    /// keeps the config's shared settings (betas, prediction type, spacing...) and takes
    /// the new class's defaults for the rest, as diffusers' `from_config` does.
    public static func make(config: SchedulerConfig, kind: SchedulerKind? = nil) throws -> any Scheduler {
        let resolved: SchedulerKind
        if let kind {
            resolved = kind
        } else if let name = config.className {
            resolved = try SchedulerKind(name: name)
        } else {
            throw SchedulerError.invalid(key: "_class_name", reason: "missing, and no scheduler was named")
        }
        switch resolved {
        case .euler: return try EulerDiscreteScheduler(config: config)
        case .eulerAncestral: return try EulerAncestralDiscreteScheduler(config: config)
        case .lcm: return try LCMScheduler(config: config)
        case .ddim: return try DDIMScheduler(config: config)
        }
    }

    /// Like `make(config:kind:)`, with the override given by name ("euler", "euler_a",
    /// "lcm", "ddim" or a diffusers class name).
    public static func make(config: SchedulerConfig, name: String?) throws -> any Scheduler {
        try make(config: config, kind: name.map { try SchedulerKind(name: $0) })
    }

    /// Loads `scheduler_config.json` at `url` and builds its scheduler (or the override).
    public static func load(from url: URL, name: String? = nil) throws -> any Scheduler {
        try make(config: SchedulerConfig.load(from: url), name: name)
    }
}
