/// A request to cancel a pending `generate` of the same client.
///
/// The cancel gets its own reply; the cancelled request still gets exactly one reply
/// of its own (normally the error `cancelled`).
public struct CancelRequest: Sendable, Equatable {
    /// This request's id.
    public var id: String
    /// The `id` of the `generate` to cancel.
    public var target: String

    /// Creates a cancel request.
    public init(id: String, target: String) {
        self.id = id
        self.target = target
    }
}
