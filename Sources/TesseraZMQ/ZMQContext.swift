import CZeroMQ
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq context: the I/O threads and the `inproc://` namespace shared by its sockets.
///
/// Unlike sockets, a context is thread-safe; any thread may create sockets from it
/// or call ``terminate()``.
///
/// Shutdown cannot hang: the context is created with `ZMQ_BLOCKY` off, so sockets
/// default to linger 0, and ``ZMQSocket/close()`` sets linger 0 again before closing.
/// ``terminate()`` never waits for sockets that are still open; it shuts the context
/// down (their blocking calls fail with ETERM) and the context is released when the
/// last of them is closed.
public final class ZMQContext: @unchecked Sendable {
    // @unchecked: `handle` is immutable and libzmq contexts are thread-safe; the
    // bookkeeping that decides when the handle is released is behind `state`'s lock.

    private struct State {
        var openSockets = 0
        var terminateRequested = false
        var terminated = false
    }

    private let handle: UnsafeMutableRawPointer
    private let state = Mutex(State())

    /// Creates a context.
    /// - Parameter ioThreads: libzmq I/O threads; one is plenty below about a gigabyte per second.
    public init(ioThreads: Int = 1) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        // Sockets created from here on default to linger 0, so a socket nobody closed
        // explicitly cannot make zmq_ctx_term wait for undeliverable messages.
        if zmq_ctx_set(handle, ZMQ_BLOCKY, 0) != 0 || zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: max(1, ioThreads))) != 0 {
            let error = ZMQError.last("zmq_ctx_set")
            zmq_ctx_term(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        // Every socket retains its context, so none is open here.
        let terminated = state.withLock { $0.terminated }
        if !terminated { Self.term(handle) }
    }

    /// Whether ``terminate()`` has been called.
    public var isTerminating: Bool { state.withLock { $0.terminateRequested } }

    /// The number of sockets created from this context and not yet closed.
    public var openSocketCount: Int { state.withLock { $0.openSockets } }

    /// Shuts the context down without waiting. Idempotent, callable from any thread.
    ///
    /// With no open sockets the context is released at once. Otherwise blocking calls
    /// on the remaining sockets fail with ETERM (``ZMQError/isTerminated``), new sockets
    /// cannot be created, and the context is released when the last socket is closed.
    public func terminate() {
        state.withLock { s in
            guard !s.terminateRequested else { return }
            s.terminateRequested = true
            if s.openSockets == 0 {
                Self.term(handle)
                s.terminated = true
            } else {
                zmq_ctx_shutdown(handle)
            }
        }
    }

    /// Creates a libzmq socket and counts it as open. Called by ``ZMQSocket``.
    func openSocket(_ type: ZMQSocketType) throws -> UnsafeMutableRawPointer {
        var socket: UnsafeMutableRawPointer?
        var failure: ZMQError?
        state.withLock { s in
            // Checked under the lock so a concurrent terminate cannot free the handle first.
            guard !s.terminateRequested else {
                failure = ZMQError(operation: "zmq_socket(\(type))", code: ZMQError.eterm)
                return
            }
            if let created = zmq_socket(handle, type.rawValue) {
                socket = created
                s.openSockets += 1
            } else {
                failure = ZMQError.last("zmq_socket(\(type))")
            }
        }
        if let failure { throw failure }
        return socket!
    }

    /// Records that a socket was closed, finishing a pending ``terminate()``.
    func socketClosed() {
        state.withLock { s in
            s.openSockets -= 1
            if s.openSockets == 0 && s.terminateRequested && !s.terminated {
                Self.term(handle)
                s.terminated = true
            }
        }
    }

    private static func term(_ handle: UnsafeMutableRawPointer) {
        // EINTR is the only transient failure; all sockets are closed with linger 0 by now.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }
}
