import CZeroMQ

/// A socket option and the value to set it to, for ``ZMQSocket/set(_:)``.
///
/// Times are Swift `Duration`s, converted to whole milliseconds (rounded up);
/// `nil` means "infinite" (−1) where libzmq allows it.
public enum ZMQSocketOption: Sendable, Equatable {
    /// ZMQ_SNDHWM: messages queued per peer before sends block or drop (0 = unlimited).
    case sendHighWaterMark(Int)
    /// ZMQ_RCVHWM: messages queued per peer on the receiving side (0 = unlimited).
    case receiveHighWaterMark(Int)
    /// ZMQ_LINGER: how long `close` keeps undelivered messages (`nil` = forever; avoid).
    case linger(Duration?)
    /// ZMQ_ROUTER_MANDATORY: a ROUTER send to an unknown routing id fails with
    /// EHOSTUNREACH instead of being dropped silently.
    case routerMandatory(Bool)
    /// ZMQ_MAXMSGSIZE: the largest inbound frame in bytes (`nil` = unlimited). A peer
    /// that sends a larger frame is disconnected and the message is never delivered.
    case maxMessageSize(Int64?)
    /// ZMQ_HEARTBEAT_IVL: interval between ZMTP PINGs (zero disables heartbeats).
    case heartbeatInterval(Duration)
    /// ZMQ_HEARTBEAT_TIMEOUT: how long to wait for traffic after a PING before
    /// declaring the peer dead.
    case heartbeatTimeout(Duration)
    /// ZMQ_HEARTBEAT_TTL: how long the remote peer should wait for traffic from us
    /// (sent in our PINGs; libzmq uses deciseconds).
    case heartbeatTTL(Duration)
    /// ZMQ_XPUB_VERBOSE: deliver every subscription message to the XPUB, not only new ones.
    case xpubVerbose(Bool)
    /// ZMQ_XPUB_NODROP: when a matching subscriber is at its high-water mark, a send
    /// fails with EAGAIN instead of silently dropping for that subscriber. Lets the
    /// publisher count what it drops.
    case xpubNoDrop(Bool)
    /// ZMQ_SUBSCRIBE: receive messages whose first frame starts with this prefix (empty = all).
    case subscribe([UInt8])
    /// ZMQ_UNSUBSCRIBE: remove one earlier subscription with this prefix.
    case unsubscribe([UInt8])
    /// ZMQ_RCVTIMEO: how long a blocking receive waits before EAGAIN (`nil` = forever).
    case receiveTimeout(Duration?)
    /// ZMQ_SNDTIMEO: how long a blocking send waits before EAGAIN (`nil` = forever).
    case sendTimeout(Duration?)
    /// ZMQ_ROUTING_ID (formerly ZMQ_IDENTITY): this socket's id as seen by a ROUTER
    /// peer; 1–255 bytes, not starting with a zero byte. Set before connecting.
    case routingID([UInt8])
    /// ZMQ_IMMEDIATE: queue messages only to completed connections.
    case immediate(Bool)

    /// The libzmq option name and the bytes to pass to `zmq_setsockopt`.
    var encoded: (name: Int32, value: [UInt8]) {
        switch self {
        case .sendHighWaterMark(let n): return (ZMQ_SNDHWM, Self.int32(n))
        case .receiveHighWaterMark(let n): return (ZMQ_RCVHWM, Self.int32(n))
        case .linger(let d): return (ZMQ_LINGER, Self.int32(ZMQTimeout.milliseconds(d)))
        case .routerMandatory(let on): return (ZMQ_ROUTER_MANDATORY, Self.int32(on ? 1 : 0))
        case .maxMessageSize(let n): return (ZMQ_MAXMSGSIZE, withUnsafeBytes(of: n ?? -1) { Array($0) })
        case .heartbeatInterval(let d): return (ZMQ_HEARTBEAT_IVL, Self.int32(ZMQTimeout.milliseconds(d)))
        case .heartbeatTimeout(let d): return (ZMQ_HEARTBEAT_TIMEOUT, Self.int32(ZMQTimeout.milliseconds(d)))
        case .heartbeatTTL(let d): return (ZMQ_HEARTBEAT_TTL, Self.int32(ZMQTimeout.milliseconds(d)))
        case .xpubVerbose(let on): return (ZMQ_XPUB_VERBOSE, Self.int32(on ? 1 : 0))
        case .xpubNoDrop(let on): return (ZMQ_XPUB_NODROP, Self.int32(on ? 1 : 0))
        case .subscribe(let prefix): return (ZMQ_SUBSCRIBE, prefix)
        case .unsubscribe(let prefix): return (ZMQ_UNSUBSCRIBE, prefix)
        case .receiveTimeout(let d): return (ZMQ_RCVTIMEO, Self.int32(ZMQTimeout.milliseconds(d)))
        case .sendTimeout(let d): return (ZMQ_SNDTIMEO, Self.int32(ZMQTimeout.milliseconds(d)))
        case .routingID(let id): return (ZMQ_ROUTING_ID, id)
        case .immediate(let on): return (ZMQ_IMMEDIATE, Self.int32(on ? 1 : 0))
        }
    }

    private static func int32(_ value: Int) -> [UInt8] {
        withUnsafeBytes(of: Int32(clamping: value)) { Array($0) }
    }
}
