import CZeroMQ

/// The ZeroMQ socket patterns this wrapper supports.
public enum ZMQSocketType: Sendable, CaseIterable, CustomStringConvertible {
    /// Client side of strict request/reply: one request, then one reply.
    case req
    /// Server side of strict request/reply.
    case rep
    /// Asynchronous request side: many requests in flight, round-robin to peers.
    case dealer
    /// Asynchronous reply side: each received message starts with the peer's routing id.
    case router
    /// Publisher that never reads.
    case pub
    /// Publisher that also receives subscription messages (`0x01`/`0x00` + topic).
    case xpub
    /// Subscriber: receives messages whose first frame starts with a subscribed prefix.
    case sub
    /// Subscriber that sends subscriptions as messages.
    case xsub
    /// Exclusive one-to-one pair; used over `inproc://` for thread wake-ups.
    case pair

    /// The libzmq constant for this type.
    var rawValue: Int32 {
        switch self {
        case .req: return ZMQ_REQ
        case .rep: return ZMQ_REP
        case .dealer: return ZMQ_DEALER
        case .router: return ZMQ_ROUTER
        case .pub: return ZMQ_PUB
        case .xpub: return ZMQ_XPUB
        case .sub: return ZMQ_SUB
        case .xsub: return ZMQ_XSUB
        case .pair: return ZMQ_PAIR
        }
    }

    /// The pattern's name in capitals, as in the libzmq documentation.
    public var description: String {
        switch self {
        case .req: return "REQ"
        case .rep: return "REP"
        case .dealer: return "DEALER"
        case .router: return "ROUTER"
        case .pub: return "PUB"
        case .xpub: return "XPUB"
        case .sub: return "SUB"
        case .xsub: return "XSUB"
        case .pair: return "PAIR"
        }
    }
}
