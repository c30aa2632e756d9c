/// Where the time of a `generate` went, in milliseconds: the reply's `timings` object.
/// Stages that did not run (e.g. on a cache hit) are 0.
public struct StageTimings: Sendable, Equatable {
    /// From receipt to the start of work.
    public var queue: Double
    /// Text encoder (0 when the prompt cache hit).
    public var encodeText: Double
    /// All UNet evaluations.
    public var unet: Double
    /// VAE decoding.
    public var decode: Double
    /// Image encoding (mips, PNG).
    public var encode: Double
    /// From receipt to the reply being handed to the transport.
    public var total: Double

    /// Creates timings; all default to 0.
    public init(queue: Double = 0, encodeText: Double = 0, unet: Double = 0, decode: Double = 0,
                encode: Double = 0, total: Double = 0) {
        self.queue = queue
        self.encodeText = encodeText
        self.unet = unet
        self.decode = decode
        self.encode = encode
        self.total = total
    }

    var json: WireJSON {
        .object([
            "queue_ms": .double(queue), "encode_text_ms": .double(encodeText), "unet_ms": .double(unet),
            "decode_ms": .double(decode), "encode_ms": .double(encode), "total_ms": .double(total),
        ])
    }

    init(reading fields: FieldReader) throws(WireError) {
        queue = try fields.double("queue_ms") ?? 0
        encodeText = try fields.double("encode_text_ms") ?? 0
        unet = try fields.double("unet_ms") ?? 0
        decode = try fields.double("decode_ms") ?? 0
        encode = try fields.double("encode_ms") ?? 0
        total = try fields.double("total_ms") ?? 0
    }
}
