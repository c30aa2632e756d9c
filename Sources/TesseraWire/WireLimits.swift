/// Limits a decoder enforces on requests. Part of the protocol: the server announces
/// its values in the `hello` reply, and a request beyond them is rejected with a
/// specific error code instead of being served.
public struct WireLimits: Sendable, Equatable {
    /// Largest `width` in pixels (a multiple of 8).
    public var maxWidth: Int
    /// Largest `height` in pixels (a multiple of 8).
    public var maxHeight: Int
    /// Largest `width × height`; lets a server allow wide backdrops without allowing
    /// huge squares.
    public var maxPixels: Int
    /// Largest `steps`.
    public var maxSteps: Int
    /// Largest `guidance` scale.
    public var maxGuidance: Double
    /// Largest `prompt` and `negative_prompt`, in UTF-8 bytes.
    public var maxPromptBytes: Int
    /// Largest header frame, in bytes.
    public var maxHeaderBytes: Int
    /// Most frames in one message, signature and header included.
    public var maxFrames: Int
    /// Largest single frame, in bytes. The server also sets this as the control
    /// socket's ZMQ_MAXMSGSIZE, so a larger frame makes libzmq drop the connection
    /// (the one case that gets no reply); the codec checks it too.
    public var maxFrameBytes: Int
    /// Longest request `id` (and `cancel` `target`), in UTF-8 bytes.
    public var maxIDBytes: Int
    /// Longest `model` name and preview `topic`, in UTF-8 bytes.
    public var maxNameBytes: Int
    /// Largest `deadline_ms`.
    public var maxDeadlineMilliseconds: Int
    /// Deepest nesting of arrays and objects in a header.
    public var maxJSONDepth: Int

    /// Creates limits; every parameter defaults to the protocol's default.
    public init(
        maxWidth: Int = 1024,
        maxHeight: Int = 1024,
        maxPixels: Int = 1024 * 1024,
        maxSteps: Int = 50,
        maxGuidance: Double = 30,
        maxPromptBytes: Int = 2048,
        maxHeaderBytes: Int = 65536,
        maxFrames: Int = 8,
        maxFrameBytes: Int = 1 << 20,
        maxIDBytes: Int = 64,
        maxNameBytes: Int = 128,
        maxDeadlineMilliseconds: Int = 600_000,
        maxJSONDepth: Int = 32
    ) {
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
        self.maxPixels = maxPixels
        self.maxSteps = maxSteps
        self.maxGuidance = maxGuidance
        self.maxPromptBytes = maxPromptBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxFrames = maxFrames
        self.maxFrameBytes = maxFrameBytes
        self.maxIDBytes = maxIDBytes
        self.maxNameBytes = maxNameBytes
        self.maxDeadlineMilliseconds = maxDeadlineMilliseconds
        self.maxJSONDepth = maxJSONDepth
    }

    /// The protocol's default limits.
    public static let `default` = WireLimits()

    /// The `limits` object of a `hello` reply.
    var json: WireJSON {
        .object([
            "max_width": .integer(Int64(maxWidth)),
            "max_height": .integer(Int64(maxHeight)),
            "max_pixels": .integer(Int64(maxPixels)),
            "max_steps": .integer(Int64(maxSteps)),
            "max_guidance": .double(maxGuidance),
            "max_prompt_bytes": .integer(Int64(maxPromptBytes)),
            "max_header_bytes": .integer(Int64(maxHeaderBytes)),
            "max_frames": .integer(Int64(maxFrames)),
            "max_frame_bytes": .integer(Int64(maxFrameBytes)),
            "max_id_bytes": .integer(Int64(maxIDBytes)),
            "max_name_bytes": .integer(Int64(maxNameBytes)),
            "max_deadline_ms": .integer(Int64(maxDeadlineMilliseconds)),
            "max_json_depth": .integer(Int64(maxJSONDepth)),
        ])
    }

    /// Reads a `limits` object; members it lacks keep their defaults.
    init(reading fields: FieldReader) throws(WireError) {
        self.init()
        maxWidth = try fields.int("max_width") ?? maxWidth
        maxHeight = try fields.int("max_height") ?? maxHeight
        maxPixels = try fields.int("max_pixels") ?? maxPixels
        maxSteps = try fields.int("max_steps") ?? maxSteps
        maxGuidance = try fields.double("max_guidance") ?? maxGuidance
        maxPromptBytes = try fields.int("max_prompt_bytes") ?? maxPromptBytes
        maxHeaderBytes = try fields.int("max_header_bytes") ?? maxHeaderBytes
        maxFrames = try fields.int("max_frames") ?? maxFrames
        maxFrameBytes = try fields.int("max_frame_bytes") ?? maxFrameBytes
        maxIDBytes = try fields.int("max_id_bytes") ?? maxIDBytes
        maxNameBytes = try fields.int("max_name_bytes") ?? maxNameBytes
        maxDeadlineMilliseconds = try fields.int("max_deadline_ms") ?? maxDeadlineMilliseconds
        maxJSONDepth = try fields.int("max_json_depth") ?? maxJSONDepth
    }
}
