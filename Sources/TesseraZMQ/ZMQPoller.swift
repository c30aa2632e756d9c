import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits on several sockets at once with `zmq_poll`.
///
/// Register sockets once, then call ``poll(timeout:)`` in the loop; the result lists
/// each registered socket's ready events in registration order. Like the sockets
/// themselves, a poller belongs to their owner thread.
///
/// ```swift
/// var poller = ZMQPoller()
/// let control = poller.register(router)
/// let wake = poller.register(wakeup.socket)
/// while running {
///     let ready = try poller.poll(timeout: .milliseconds(50))
///     if ready[wake].contains(.readable) { wakeup.drain() }
///     if ready[control].contains(.readable) { while let m = try router.tryReceive() { … } }
/// }
/// ```
public struct ZMQPoller {
    /// The registered sockets, in registration order.
    public private(set) var sockets: [ZMQSocket] = []
    private var interests: [ZMQPollEvents] = []

    /// Creates an empty poller.
    public init() {}

    /// Adds `socket`, watched for `events`. Returns its index in ``poll(timeout:)``'s result.
    @discardableResult
    public mutating func register(_ socket: ZMQSocket, for events: ZMQPollEvents = .readable) -> Int {
        sockets.append(socket)
        interests.append(events)
        return sockets.count - 1
    }

    /// Changes what the socket at `index` is watched for, e.g. adding `.writable`
    /// only while output is queued for it.
    public mutating func setEvents(_ events: ZMQPollEvents, at index: Int) {
        interests[index] = events
    }

    /// The events the socket at `index` is watched for.
    public func events(at index: Int) -> ZMQPollEvents { interests[index] }

    /// Waits until a registered socket is ready or `timeout` passes.
    ///
    /// - Parameter timeout: `nil` waits forever; `.zero` checks without waiting;
    ///   otherwise rounded up to whole milliseconds (see ``ZMQTimeout``).
    /// - Returns: for each registered socket, in order, the watched events that are ready.
    ///   All empty when the timeout passed or a signal interrupted the wait (EINTR), so
    ///   a loop simply polls again.
    /// - Throws: ``ZMQError`` (ETERM once the context is terminated; ENOTSOCK for a closed socket).
    public func poll(timeout: Duration?) throws -> [ZMQPollEvents] {
        try poll(milliseconds: ZMQTimeout.milliseconds(timeout))
    }

    /// ``poll(timeout:)`` with the timeout in seconds (`nil` = forever).
    public func poll(seconds: Double?) throws -> [ZMQPollEvents] {
        try poll(milliseconds: ZMQTimeout.milliseconds(seconds: seconds))
    }

    private func poll(milliseconds: Int) throws -> [ZMQPollEvents] {
        var items: [zmq_pollitem_t] = []
        items.reserveCapacity(sockets.count)
        for (socket, events) in zip(sockets, interests) {
            let handle = try socket.requireHandle("zmq_poll")
            items.append(zmq_pollitem_t(socket: handle, fd: 0, events: events.rawValue, revents: 0))
        }
        let rc = items.withUnsafeMutableBufferPointer {
            zmq_poll($0.baseAddress, Int32($0.count), milliseconds)
        }
        if rc < 0 {
            let code = zmq_errno()
            if code == EINTR { return Array(repeating: [], count: sockets.count) }
            throw ZMQError(operation: "zmq_poll", code: code)
        }
        return items.map { ZMQPollEvents(rawValue: $0.revents) }
    }
}
