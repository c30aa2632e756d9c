/// A request to generate one image: a tile or a backdrop.
///
/// Optional members left `nil` are chosen by the server (model defaults); the rest
/// carry the protocol's defaults once decoded.
public struct GenerateRequest: Sendable, Equatable {
    /// Client-chosen id (1–``WireLimits/maxIDBytes`` bytes), echoed in the reply.
    public var id: String
    /// What to produce.
    public var kind: GenerateKind
    /// The model's name; `nil` selects the server's default model.
    public var model: String?
    /// The text prompt (at most ``WireLimits/maxPromptBytes`` bytes; may be empty).
    public var prompt: String
    /// The negative prompt, for models run with classifier-free guidance.
    public var negativePrompt: String?
    /// Seed of the initial noise, matching `torch.Generator().manual_seed(seed)`;
    /// `nil` lets the server pick one (reported in the reply).
    public var seed: UInt64?
    /// Width in pixels, a multiple of 8; `nil` is the model's native size
    /// (twice that for backdrops).
    public var width: Int?
    /// Height in pixels, a multiple of 8; `nil` is the model's native size.
    public var height: Int?
    /// Denoising steps; `nil` is the model's default.
    public var steps: Int?
    /// Classifier-free guidance scale; `nil` is the model's default.
    public var guidance: Double?
    /// Seamless wrapping; defaults to ``GenerateKind/defaultTiling``.
    public var tiling: Tiling
    /// The image format to send.
    public var format: OutputFormat
    /// Milliseconds after the server receives the request by which the reply must be
    /// sent; `nil` means no deadline.
    public var deadlineMilliseconds: Int?
    /// What to do when the deadline cannot be met in full.
    public var onMiss: MissPolicy
    /// Where to publish progressive previews, if anywhere.
    public var preview: PreviewRequest?

    /// Creates a request; `tiling` defaults by `kind`.
    public init(
        id: String,
        kind: GenerateKind = .tile,
        model: String? = nil,
        prompt: String,
        negativePrompt: String? = nil,
        seed: UInt64? = nil,
        width: Int? = nil,
        height: Int? = nil,
        steps: Int? = nil,
        guidance: Double? = nil,
        tiling: Tiling? = nil,
        format: OutputFormat = OutputFormat(),
        deadlineMilliseconds: Int? = nil,
        onMiss: MissPolicy = .degrade,
        preview: PreviewRequest? = nil
    ) {
        self.id = id
        self.kind = kind
        self.model = model
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.seed = seed
        self.width = width
        self.height = height
        self.steps = steps
        self.guidance = guidance
        self.tiling = tiling ?? kind.defaultTiling
        self.format = format
        self.deadlineMilliseconds = deadlineMilliseconds
        self.onMiss = onMiss
        self.preview = preview
    }

    /// The canonical header: defaults written out, absent optionals omitted.
    var json: WireJSON {
        var members: [String: WireJSON] = [
            "type": .string(MessageType.generate.rawValue),
            "id": .string(id),
            "kind": .string(kind.rawValue),
            "prompt": .string(prompt),
            "tiling": .string(tiling.rawValue),
            "format": format.json,
            "on_miss": .string(onMiss.rawValue),
        ]
        if let model { members["model"] = .string(model) }
        if let negativePrompt { members["negative_prompt"] = .string(negativePrompt) }
        if let seed { members["seed"] = WireCodec.seedJSON(seed) }
        if let width { members["width"] = .integer(Int64(width)) }
        if let height { members["height"] = .integer(Int64(height)) }
        if let steps { members["steps"] = .integer(Int64(steps)) }
        if let guidance { members["guidance"] = .double(guidance) }
        if let deadlineMilliseconds { members["deadline_ms"] = .integer(Int64(deadlineMilliseconds)) }
        if let preview { members["preview"] = preview.json }
        return .object(members)
    }

    /// Validates a `generate` header, checking members in the order of the spec's table.
    init(reading fields: FieldReader, limits: WireLimits) throws(WireError) {
        id = try fields.required(fields.string("id", maxBytes: limits.maxIDBytes, nonEmpty: true, limitCode: .badField), "id")
        if fields.value("kind")?.stringValue == "grid" {
            throw fields.error(.notImplemented, "kind", "\"grid\" is reserved for a future version")
        }
        kind = try fields.required(fields.choice("kind", GenerateKind.self), "kind")
        model = try fields.string("model", maxBytes: limits.maxNameBytes, nonEmpty: true)
        prompt = try fields.required(fields.string("prompt", maxBytes: limits.maxPromptBytes), "prompt")
        negativePrompt = try fields.string("negative_prompt", maxBytes: limits.maxPromptBytes)
        seed = try fields.uint64("seed")
        width = try Self.dimension(fields, "width", max: limits.maxWidth)
        height = try Self.dimension(fields, "height", max: limits.maxHeight)
        if let width, let height, width * height > limits.maxPixels {
            throw fields.error(.limitExceeded, "width", "\(width)×\(height) pixels exceeds the limit of \(limits.maxPixels)")
        }
        steps = try fields.int("steps")
        if let steps {
            if steps < 1 { throw fields.error(.badField, "steps", "must be at least 1 (got \(steps))") }
            if steps > limits.maxSteps { throw fields.error(.limitExceeded, "steps", "\(steps) exceeds the limit of \(limits.maxSteps)") }
        }
        guidance = try fields.double("guidance")
        if let guidance {
            if guidance < 0 { throw fields.error(.badField, "guidance", "must not be negative") }
            if guidance > limits.maxGuidance { throw fields.error(.limitExceeded, "guidance", "\(guidance) exceeds the limit of \(limits.maxGuidance)") }
        }
        tiling = try fields.choice("tiling", Tiling.self) ?? kind.defaultTiling
        if let reader = try fields.object("format") { format = try OutputFormat(reading: reader) } else { format = OutputFormat() }
        deadlineMilliseconds = try fields.int("deadline_ms")
        if let deadline = deadlineMilliseconds {
            if deadline < 0 { throw fields.error(.badField, "deadline_ms", "must not be negative") }
            if deadline > limits.maxDeadlineMilliseconds {
                throw fields.error(.limitExceeded, "deadline_ms", "\(deadline) exceeds the limit of \(limits.maxDeadlineMilliseconds)")
            }
        }
        onMiss = try fields.choice("on_miss", MissPolicy.self) ?? .degrade
        if let reader = try fields.object("preview") { preview = try PreviewRequest(reading: reader, limits: limits) } else { preview = nil }
    }

    private static func dimension(_ fields: FieldReader, _ key: String, max: Int) throws(WireError) -> Int? {
        guard let value = try fields.int(key) else { return nil }
        if value < 8 { throw fields.error(.badField, key, "must be at least 8 (got \(value))") }
        if value > max { throw fields.error(.limitExceeded, key, "\(value == Int.max ? "value" : String(value)) exceeds the limit of \(max)") }
        if value % 8 != 0 { throw fields.error(.badField, key, "must be a multiple of 8 (got \(value))") }
        return value
    }
}
