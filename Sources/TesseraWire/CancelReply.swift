/// The reply to an accepted `cancel`. The cancelled request is answered separately.
public struct CancelReply: Sendable, Equatable {
    /// The cancel request's id.
    public var id: String
    /// The id of the request that is being cancelled.
    public var target: String

    /// Creates a cancel reply.
    public init(id: String, target: String) {
        self.id = id
        self.target = target
    }
}
