import CZeroMQ

/// A readable integer socket option, for ``ZMQSocket/option(_:)``.
///
/// Times read back in milliseconds (−1 = infinite), as libzmq stores them.
public enum ZMQIntegerOption: Sendable, CaseIterable {
    /// ZMQ_SNDHWM.
    case sendHighWaterMark
    /// ZMQ_RCVHWM.
    case receiveHighWaterMark
    /// ZMQ_LINGER, in milliseconds.
    case linger
    /// ZMQ_MAXMSGSIZE, in bytes (−1 = unlimited).
    case maxMessageSize
    /// ZMQ_HEARTBEAT_IVL, in milliseconds.
    case heartbeatInterval
    /// ZMQ_HEARTBEAT_TIMEOUT, in milliseconds.
    case heartbeatTimeout
    /// ZMQ_HEARTBEAT_TTL, in milliseconds (rounded to deciseconds by libzmq).
    case heartbeatTTL
    /// ZMQ_RCVTIMEO, in milliseconds.
    case receiveTimeout
    /// ZMQ_SNDTIMEO, in milliseconds.
    case sendTimeout
    /// ZMQ_RCVMORE: 1 while more frames of the current message remain to be read.
    case receiveMore
    /// ZMQ_EVENTS: the ZMQ_POLLIN/ZMQ_POLLOUT bits the socket is ready for now.
    case events

    var name: Int32 {
        switch self {
        case .sendHighWaterMark: return ZMQ_SNDHWM
        case .receiveHighWaterMark: return ZMQ_RCVHWM
        case .linger: return ZMQ_LINGER
        case .maxMessageSize: return ZMQ_MAXMSGSIZE
        case .heartbeatInterval: return ZMQ_HEARTBEAT_IVL
        case .heartbeatTimeout: return ZMQ_HEARTBEAT_TIMEOUT
        case .heartbeatTTL: return ZMQ_HEARTBEAT_TTL
        case .receiveTimeout: return ZMQ_RCVTIMEO
        case .sendTimeout: return ZMQ_SNDTIMEO
        case .receiveMore: return ZMQ_RCVMORE
        case .events: return ZMQ_EVENTS
        }
    }

    /// MAXMSGSIZE is the one 64-bit option in this set.
    var is64Bit: Bool { self == .maxMessageSize }
}
