import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ socket. Messages are lists of frames; each frame is `[UInt8]`.
///
/// **One owner thread.** libzmq sockets are not thread-safe. Create a socket, use it
/// and close it on one thread (in Tessera, the transport thread owns every socket and
/// runs the `zmq_poll` loop). Never use one from a Swift actor or task that can hop
/// threads. To wake the owner thread from elsewhere use ``ZMQWakeup``.
///
/// Receiving goes through `zmq_msg_t`, so frames of any size arrive whole; nothing is
/// truncated to a buffer size. Inbound frame size is bounded only by
/// ``ZMQSocketOption/maxMessageSize(_:)``.
///
/// The `try…` variants never block: they return `nil`/`false` when the call would
/// block (EAGAIN). Other failures throw ``ZMQError``.
public final class ZMQSocket: @unchecked Sendable {
    // @unchecked: the handle is used without locks. This is sound only under the
    // single-owner contract above; Sendable exists so that a socket can be handed
    // once to the thread that will own it (a happens-before edge, e.g. Thread start).

    /// The socket's pattern.
    public let type: ZMQSocketType
    /// The context this socket belongs to; retained so it outlives the socket.
    public let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?

    /// Creates a socket of `type` in `context`.
    public init(context: ZMQContext, type: ZMQSocketType) throws {
        self.type = type
        self.context = context
        self.handle = try context.openSocket(type)
    }

    deinit { close() }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { handle == nil }

    /// Closes the socket at once, discarding queued outbound messages (linger 0).
    /// Idempotent. Must run on the owner thread; `deinit` calls it too, so drop the last
    /// reference there as well.
    public func close() {
        close(lingering: .zero)
    }

    /// Closes the socket, letting libzmq go on sending its queued outbound messages for at
    /// most `lingering` (terminating the context waits that long at most). A server uses
    /// this for its last replies: with linger 0 a reply handed to the socket just before
    /// close can be dropped before it reaches the wire. Idempotent, owner thread only.
    public func close(lingering: Duration) {
        guard let handle else { return }
        // Bounded linger: undeliverable messages must never make shutdown wait for long.
        var ms = Int32(clamping: max(0, lingering.components.seconds * 1000 + lingering.components.attoseconds / 1_000_000_000_000_000))
        zmq_setsockopt(handle, ZMQ_LINGER, &ms, MemoryLayout<Int32>.size)
        zmq_close(handle)
        self.handle = nil
        context.socketClosed()
    }

    // MARK: Endpoints

    /// Binds to `endpoint`, e.g. `tcp://127.0.0.1:5555`, `tcp://127.0.0.1:*` (an OS-chosen
    /// port; read it back from ``lastEndpoint``) or `inproc://name`.
    public func bind(_ endpoint: String) throws {
        try endpointCall("zmq_bind", endpoint) { zmq_bind($0, $1) }
    }

    /// Connects to `endpoint`. For TCP the connection completes in the background and
    /// is retried by libzmq; messages queue meanwhile.
    public func connect(_ endpoint: String) throws {
        try endpointCall("zmq_connect", endpoint) { zmq_connect($0, $1) }
    }

    /// Stops listening on `endpoint`; give the resolved form from ``lastEndpoint`` for wildcards.
    public func unbind(_ endpoint: String) throws {
        try endpointCall("zmq_unbind", endpoint) { zmq_unbind($0, $1) }
    }

    /// Drops the connection to `endpoint`.
    public func disconnect(_ endpoint: String) throws {
        try endpointCall("zmq_disconnect", endpoint) { zmq_disconnect($0, $1) }
    }

    /// The endpoint of the last bind or connect, with wildcards resolved
    /// (e.g. `tcp://127.0.0.1:41234` after binding `tcp://127.0.0.1:*`). ZMQ_LAST_ENDPOINT.
    public var lastEndpoint: String {
        get throws {
            let bytes = try bytesOption(ZMQ_LAST_ENDPOINT, name: "ZMQ_LAST_ENDPOINT", capacity: 1024)
            // libzmq includes the terminating NUL in the reported length.
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// This socket's routing id (ZMQ_ROUTING_ID); empty unless one was set.
    public var routingID: [UInt8] {
        get throws { try bytesOption(ZMQ_ROUTING_ID, name: "ZMQ_ROUTING_ID", capacity: 256) }
    }

    // MARK: Options

    /// Sets one option. See ``ZMQSocketOption`` for what each does.
    public func set(_ option: ZMQSocketOption) throws {
        let handle = try requireHandle("zmq_setsockopt")
        let (name, value) = option.encoded
        let rc = value.withUnsafeBytes { zmq_setsockopt(handle, name, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    /// Reads an integer option.
    public func option(_ option: ZMQIntegerOption) throws -> Int {
        let handle = try requireHandle("zmq_getsockopt")
        if option.is64Bit {
            var value: Int64 = 0
            var size = MemoryLayout<Int64>.size
            if zmq_getsockopt(handle, option.name, &value, &size) != 0 {
                throw ZMQError.last("zmq_getsockopt(\(option))")
            }
            return Int(value)
        }
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(handle, option.name, &value, &size) != 0 {
            throw ZMQError.last("zmq_getsockopt(\(option))")
        }
        return Int(value)
    }

    // MARK: Sending

    /// Sends a multipart message, blocking while the queue is full (until the send
    /// timeout, if one is set, then throwing EAGAIN). Frames may be empty; the list may not.
    public func send(_ frames: [[UInt8]]) throws {
        _ = try send(frames, dontWait: false)
    }

    /// Sends a multipart message without blocking. Returns `false`, sending nothing,
    /// when the message cannot be queued now (EAGAIN: high-water mark reached, no peer,
    /// or an XPUB with ``ZMQSocketOption/xpubNoDrop(_:)`` whose subscriber is full).
    public func trySend(_ frames: [[UInt8]]) throws -> Bool {
        try send(frames, dontWait: true)
    }

    private func send(_ frames: [[UInt8]], dontWait: Bool) throws -> Bool {
        let handle = try requireHandle("zmq_msg_send")
        guard !frames.isEmpty else {
            throw ZMQError(operation: "zmq_msg_send", code: EINVAL, message: "a message needs at least one frame")
        }
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            // Later parts always use DONTWAIT: libzmq admits a message whole once its
            // first part is queued, and if that ever failed we must not block mid-message.
            if dontWait || index > 0 { flags |= ZMQ_DONTWAIT }
            let sent = try sendFrame(handle, frame, flags: flags, retryInterrupt: index == 0)
            if !sent {
                if index == 0 { return false }
                throw ZMQError(operation: "zmq_msg_send", code: EAGAIN,
                               message: "frame \(index) of \(frames.count) could not be queued")
            }
        }
        return true
    }

    /// Sends one frame through a `zmq_msg_t`; `false` on EAGAIN.
    private func sendFrame(_ handle: UnsafeMutableRawPointer, _ frame: [UInt8], flags: Int32, retryInterrupt: Bool) throws -> Bool {
        while true {
            var message = zmq_msg_t()
            guard zmq_msg_init_size(&message, frame.count) == 0 else { throw ZMQError.last("zmq_msg_init_size") }
            if !frame.isEmpty, let data = zmq_msg_data(&message) {
                frame.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
            if zmq_msg_send(&message, handle, flags) >= 0 { return true }
            let code = zmq_errno()
            // On failure the message still belongs to us.
            zmq_msg_close(&message)
            if code == EAGAIN { return false }
            if code == EINTR && retryInterrupt { continue }
            throw ZMQError(operation: "zmq_msg_send(\(type))", code: code)
        }
    }

    // MARK: Receiving

    /// Receives one whole multipart message, blocking until one arrives (or the receive
    /// timeout passes, then throwing EAGAIN).
    ///
    /// - Parameter frameLimit: frames kept; any beyond are received and discarded so the
    ///   socket stays in step. Pass your limit + 1 to detect an oversized message.
    public func receive(frameLimit: Int = .max) throws -> [[UInt8]] {
        if let message = try receive(dontWait: false, frameLimit: frameLimit) { return message }
        // A blocking receive yields nil only for EAGAIN, i.e. when ZMQ_RCVTIMEO expired.
        throw ZMQError(operation: "zmq_msg_recv(\(type))", code: EAGAIN)
    }

    /// Receives one whole multipart message if one is waiting; `nil` otherwise. Never blocks.
    /// - Parameter frameLimit: as for ``receive(frameLimit:)``.
    public func tryReceive(frameLimit: Int = .max) throws -> [[UInt8]]? {
        try receive(dontWait: true, frameLimit: frameLimit)
    }

    private func receive(dontWait: Bool, frameLimit: Int) throws -> [[UInt8]]? {
        let handle = try requireHandle("zmq_msg_recv")
        var frames: [[UInt8]] = []
        var message = zmq_msg_t()
        guard zmq_msg_init(&message) == 0 else { throw ZMQError.last("zmq_msg_init") }
        defer { zmq_msg_close(&message) }
        while true {
            // Once the first part is here, libzmq guarantees the rest are too.
            let flags: Int32 = (dontWait || !frames.isEmpty) ? ZMQ_DONTWAIT : 0
            if zmq_msg_recv(&message, handle, flags) < 0 {
                let code = zmq_errno()
                if frames.isEmpty && code == EAGAIN { return nil }
                if frames.isEmpty && code == EINTR { continue }
                throw ZMQError(operation: "zmq_msg_recv(\(type))", code: code)
            }
            let count = zmq_msg_size(&message)
            if frames.count < frameLimit {
                if count == 0 {
                    frames.append([])
                } else {
                    let base = zmq_msg_data(&message)!
                    frames.append(Array(UnsafeRawBufferPointer(start: base, count: count)))
                }
            }
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }

    // MARK: Internals

    /// The raw libzmq handle, for ``ZMQPoller``. Throws ENOTSOCK once closed.
    func requireHandle(_ operation: @autoclosure () -> String) throws -> UnsafeMutableRawPointer {
        guard let handle else {
            throw ZMQError(operation: operation(), code: ENOTSOCK, message: "socket is closed")
        }
        return handle
    }

    private func endpointCall(_ operation: String, _ endpoint: String,
                              _ call: (UnsafeMutableRawPointer, UnsafePointer<CChar>) -> Int32) throws {
        let handle = try requireHandle("\(operation)(\(endpoint))")
        let rc = endpoint.withCString { call(handle, $0) }
        if rc != 0 { throw ZMQError.last("\(operation)(\(endpoint))") }
    }

    private func bytesOption(_ name: Int32, name label: String, capacity: Int) throws -> [UInt8] {
        let handle = try requireHandle("zmq_getsockopt(\(label))")
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = capacity
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, name, $0.baseAddress, &size) }
        if rc != 0 { throw ZMQError.last("zmq_getsockopt(\(label))") }
        return Array(buffer.prefix(size))
    }
}
