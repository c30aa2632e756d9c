/// The routing frames a ROUTER socket puts in front of each received message.
///
/// A ROUTER prefixes every message with the sender's routing id. REQ clients (and
/// DEALER clients imitating them) also send an empty delimiter frame before their
/// payload, and expect it back in the reply. The envelope is therefore
/// `[routing id]` or `[routing id, empty delimiter]`: the delimiter is recognised as an
/// empty frame right after the id. (A Tessera message never begins with an empty frame:
/// its first frame is the signature.)
///
/// The transport splits each message, hands the body to the codec, and sends replies
/// through ``wrap(_:)`` so they reach the right peer in the form it expects.
public struct ZMQRouterEnvelope: Sendable, Hashable {
    /// The routing id assigned or set for the peer.
    public var routingID: [UInt8]
    /// Whether the peer sent an empty delimiter (REQ style) that must be echoed.
    public var hasDelimiter: Bool

    /// Creates an envelope.
    public init(routingID: [UInt8], hasDelimiter: Bool) {
        self.routingID = routingID
        self.hasDelimiter = hasDelimiter
    }

    /// Splits a message received on a ROUTER into its envelope and body.
    /// Returns `nil` for an empty list (which a ROUTER never delivers).
    public static func split(_ message: [[UInt8]]) -> (envelope: ZMQRouterEnvelope, body: [[UInt8]])? {
        guard let id = message.first else { return nil }
        let delimited = message.count > 1 && message[1].isEmpty
        let body = Array(message.dropFirst(delimited ? 2 : 1))
        return (ZMQRouterEnvelope(routingID: id, hasDelimiter: delimited), body)
    }

    /// The frames to send on the ROUTER so that `body` reaches this peer.
    public func wrap(_ body: [[UInt8]]) -> [[UInt8]] {
        var message: [[UInt8]] = [routingID]
        message.reserveCapacity(body.count + 2)
        if hasDelimiter { message.append([]) }
        message.append(contentsOf: body)
        return message
    }
}
