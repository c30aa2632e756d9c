/// Why a message could not be decoded: the error reply to send, in structured form.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The error code for the reply.
    public var code: ErrorCode
    /// Human-readable detail; names the offending field where there is one.
    public var message: String
    /// The request's `id`, when it could be recovered from the header even though
    /// decoding failed; echo it so a DEALER client can correlate the error.
    public var id: String?
    /// The JSON path of the offending field (e.g. `format.type`), when there is one.
    public var field: String?
    /// The request's `type`, when it could be recovered.
    public var type: String?

    /// Creates an error.
    public init(code: ErrorCode, message: String, id: String? = nil, field: String? = nil, type: String? = nil) {
        self.code = code
        self.message = message
        self.id = id
        self.field = field
        self.type = type
    }

    /// `code: message`, with the id when known.
    public var description: String {
        "\(code.rawValue): \(message)" + (id.map { " (id \"\($0)\")" } ?? "")
    }

    /// The error reply that answers the failed request.
    public var reply: ErrorReply {
        ErrorReply(id: id, code: code, message: message, field: field, type: type)
    }
}
