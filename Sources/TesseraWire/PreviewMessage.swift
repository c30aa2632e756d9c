/// A progressive preview of a `generate`, published on the stream endpoint under the
/// request's `preview.topic`: frames `[topic][signature][header][rgba8 pixels]`.
public struct PreviewMessage: Sendable, Equatable {
    /// The id of the `generate` this previews.
    public var id: String
    /// Steps completed so far (1-based).
    public var step: Int
    /// Steps planned in total.
    public var steps: Int
    /// Whether this is the final image (also sent as the request's reply).
    public var final: Bool
    /// The pixels' description: RGBA8, level 0 only.
    public var image: ImageDescription
    /// Exactly one frame: the RGBA8 pixels.
    public var payload: [[UInt8]]

    /// Creates a preview message.
    public init(id: String, step: Int, steps: Int, final: Bool, image: ImageDescription, payload: [[UInt8]]) {
        self.id = id
        self.step = step
        self.steps = steps
        self.final = final
        self.image = image
        self.payload = payload
    }

    var json: WireJSON {
        .object([
            "type": .string(MessageType.preview.rawValue), "id": .string(id),
            "step": .integer(Int64(step)), "steps": .integer(Int64(steps)),
            "final": .bool(final), "image": image.json,
        ])
    }
}
