/// The reply to a request that failed: `status: "error"` with a code and a message.
public struct ErrorReply: Sendable, Equatable {
    /// The request's `id`, or `nil` (sent as JSON null) when it could not be recovered.
    public var id: String?
    /// The error code.
    public var code: ErrorCode
    /// Human-readable detail; names the offending field where there is one.
    public var message: String
    /// The JSON path of the offending field, when there is one.
    public var field: String?
    /// The type of the request this answers, when known.
    public var type: String?

    /// Creates an error reply.
    public init(id: String?, code: ErrorCode, message: String, field: String? = nil, type: String? = nil) {
        self.id = id
        self.code = code
        self.message = message
        self.field = field
        self.type = type
    }
}
