import Synchronization

/// Wakes a thread blocked in `zmq_poll` from any other thread.
///
/// A connected pair of PAIR sockets over a private `inproc://` endpoint. The owner
/// thread (the one that polls) registers ``socket`` with its ``ZMQPoller`` and calls
/// ``drain()`` when it is readable. Any thread may call ``wake()``: the sending socket
/// sits behind a lock, which both serialises use and gives libzmq the memory barrier
/// it requires when a socket moves between threads.
///
/// Wake-ups coalesce: the pipe holds only a couple of tokens and a wake that finds it
/// full is dropped, since one pending token already guarantees the poll returns.
/// After ``drain()``, look at the shared work queue, not at the token count.
public final class ZMQWakeup: @unchecked Sendable {
    // @unchecked: `receiver` follows the single-owner contract of ZMQSocket (the polling
    // thread); `sender` is only touched under its Mutex.

    private static let counter = Atomic<Int>(0)

    /// The receiving socket; register it with the owner thread's poller for `.readable`.
    public let socket: ZMQSocket
    private let sender: Mutex<ZMQSocket?>

    /// Creates the pair on a fresh `inproc://` endpoint of `context`. Call on the owner thread.
    public init(context: ZMQContext) throws {
        let n = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        let endpoint = "inproc://tessera-wakeup-\(n)"
        let receiver = try ZMQSocket(context: context, type: .pair)
        try receiver.set(.receiveHighWaterMark(1))
        try receiver.bind(endpoint)
        let sender = try ZMQSocket(context: context, type: .pair)
        try sender.set(.sendHighWaterMark(1))
        try sender.connect(endpoint)
        self.socket = receiver
        self.sender = Mutex(sender)
    }

    /// Makes the owner's poll return. Never blocks; safe from any thread; a no-op after ``close()``.
    public func wake() {
        sender.withLock { sender in
            // EAGAIN means a token is already pending; any other failure means shutdown.
            _ = try? sender?.trySend([[]])
        }
    }

    /// Consumes pending wake-up tokens; returns how many. Call on the owner thread.
    @discardableResult
    public func drain() -> Int {
        var count = 0
        // Errors (only possible during shutdown) end the drain like an empty queue.
        while (try? socket.tryReceive()) != nil { count += 1 }
        return count
    }

    /// Closes both sockets. Call on the owner thread; later ``wake()`` calls do nothing.
    public func close() {
        sender.withLock { sender in
            sender?.close()
            sender = nil
        }
        socket.close()
    }
}
