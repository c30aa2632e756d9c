/// A request to publish progressive previews of a `generate` on the stream endpoint.
public struct PreviewRequest: Sendable, Equatable {
    /// The topic (frame 0 of each published message). Subscribers filter by prefix.
    public var topic: String

    /// Creates a preview request.
    public init(topic: String) { self.topic = topic }

    var json: WireJSON { .object(["topic": .string(topic)]) }

    init(reading fields: FieldReader, limits: WireLimits) throws(WireError) {
        topic = try fields.required(fields.string("topic", maxBytes: limits.maxNameBytes, nonEmpty: true), "topic")
    }
}
