/// A successful `generate` result: header fields plus the image payload frames.
public struct GenerateReply: Sendable, Equatable {
    /// The request's id.
    public var id: String
    /// What was delivered.
    public var delivered: DeliveryReport
    /// Where the time went.
    public var timings: StageTimings
    /// What the payload frames hold.
    public var image: ImageDescription
    /// One frame per entry of `image.mips`, in order: raw RGBA8 levels, or one PNG file.
    public var payload: [[UInt8]]

    /// Creates a result.
    public init(id: String, delivered: DeliveryReport, timings: StageTimings, image: ImageDescription, payload: [[UInt8]]) {
        self.id = id
        self.delivered = delivered
        self.timings = timings
        self.image = image
        self.payload = payload
    }

    var members: [String: WireJSON] {
        ["delivered": delivered.json, "timings": timings.json, "image": image.json]
    }
}
