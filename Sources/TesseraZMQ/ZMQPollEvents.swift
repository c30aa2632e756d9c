import CZeroMQ

/// Readiness conditions for ``ZMQPoller``.
public struct ZMQPollEvents: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The ZMQ_POLLIN/ZMQ_POLLOUT bits.
    public let rawValue: Int16
    /// Wraps raw `zmq_poll` event bits.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// At least one whole message can be received without blocking (ZMQ_POLLIN).
    public static let readable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// At least one message can be sent without blocking (ZMQ_POLLOUT).
    public static let writable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLOUT))

    /// The set's members, e.g. `[readable, writable]`.
    public var description: String {
        var parts: [String] = []
        if contains(.readable) { parts.append("readable") }
        if contains(.writable) { parts.append("writable") }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}
