/// What a `generate` result actually is: the reply's `delivered` object.
public struct DeliveryReport: Sendable, Equatable {
    /// Denoising steps run (or, for a cached result, run when it was made).
    public var steps: Int
    /// Whether the result is less than was asked for, to meet the deadline.
    public var degraded: Bool
    /// Why it is degraded: `"fewer_steps"`, `"cached"` (a cached neighbour or variation)
    /// or `"preview"` (an intermediate); `nil` when not degraded.
    public var reason: String?
    /// How much came from caches.
    public var cache: CacheOutcome
    /// Whether the reply was sent after the deadline (`on_miss: "late"` only).
    public var late: Bool
    /// The seed used (the one requested, or the server's choice).
    public var seed: UInt64
    /// The model that ran.
    public var model: String

    /// Creates a delivery report.
    public init(steps: Int, degraded: Bool = false, reason: String? = nil, cache: CacheOutcome = .miss,
                late: Bool = false, seed: UInt64, model: String) {
        self.steps = steps
        self.degraded = degraded
        self.reason = reason
        self.cache = cache
        self.late = late
        self.seed = seed
        self.model = model
    }

    var json: WireJSON {
        var members: [String: WireJSON] = [
            "steps": .integer(Int64(steps)), "degraded": .bool(degraded), "cache": .string(cache.rawValue),
            "late": .bool(late), "seed": WireCodec.seedJSON(seed), "model": .string(model),
        ]
        if let reason { members["reason"] = .string(reason) }
        return .object(members)
    }

    init(reading fields: FieldReader) throws(WireError) {
        steps = try fields.required(fields.int("steps"), "steps")
        degraded = try fields.required(fields.bool("degraded"), "degraded")
        reason = try fields.string("reason")
        cache = try fields.required(fields.choice("cache", CacheOutcome.self), "cache")
        late = try fields.bool("late") ?? false
        seed = try fields.required(fields.uint64("seed"), "seed")
        model = try fields.required(fields.string("model"), "model")
    }
}
