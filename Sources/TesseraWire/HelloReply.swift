/// The reply to `hello`: what the server speaks, runs and accepts.
public struct HelloReply: Sendable, Equatable {
    /// The request's id, if it had one.
    public var id: String?
    /// The protocol major version (``ProtocolVersion/major``).
    public var protocolVersion: Int
    /// The server's name and version, e.g. `tesserad/0.1.0`.
    public var server: String
    /// The models the server can run.
    public var models: [ModelInfo]
    /// The model used when `generate` names none.
    public var defaultModel: String?
    /// The limits the server enforces.
    public var limits: WireLimits
    /// The pixel formats the server can send.
    public var formats: [PixelFormat]
    /// The stream (XPUB) endpoint for previews, if the server publishes one it can name.
    public var streamEndpoint: String?

    /// Creates a hello reply.
    public init(id: String?, protocolVersion: Int = ProtocolVersion.major, server: String, models: [ModelInfo],
                defaultModel: String?, limits: WireLimits, formats: [PixelFormat] = PixelFormat.allCases,
                streamEndpoint: String? = nil) {
        self.id = id
        self.protocolVersion = protocolVersion
        self.server = server
        self.models = models
        self.defaultModel = defaultModel
        self.limits = limits
        self.formats = formats
        self.streamEndpoint = streamEndpoint
    }

    var members: [String: WireJSON] {
        var members: [String: WireJSON] = [
            "protocol": .integer(Int64(protocolVersion)),
            "server": .string(server),
            "models": .array(models.map(\.json)),
            "limits": limits.json,
            "formats": .array(formats.map { .string($0.rawValue) }),
        ]
        if let defaultModel { members["default_model"] = .string(defaultModel) }
        if let streamEndpoint { members["stream_endpoint"] = .string(streamEndpoint) }
        return members
    }

    init(id: String?, reading fields: FieldReader) throws(WireError) {
        self.id = id
        protocolVersion = try fields.required(fields.int("protocol"), "protocol")
        server = try fields.required(fields.string("server"), "server")
        var models: [ModelInfo] = []
        for (index, element) in (try fields.array("models") ?? []).enumerated() {
            guard case .object(let members) = element else {
                throw fields.error(.badField, "models[\(index)]", "must be an object")
            }
            models.append(try ModelInfo(reading: FieldReader(members, path: fields.fieldName("models[\(index)]."))))
        }
        self.models = models
        defaultModel = try fields.string("default_model")
        if let reader = try fields.object("limits") { limits = try WireLimits(reading: reader) } else { limits = WireLimits() }
        // Formats this client does not know are skipped: a newer server may offer more.
        formats = (try fields.array("formats") ?? []).compactMap { $0.stringValue.flatMap(PixelFormat.init(rawValue:)) }
        streamEndpoint = try fields.string("stream_endpoint")
    }
}
