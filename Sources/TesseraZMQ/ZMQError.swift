import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed libzmq call: the operation, its errno and libzmq's text for it.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libzmq function (and, where useful, its argument) that failed, e.g. `zmq_connect(tcp://x)`.
    public let operation: String
    /// The errno value reported by `zmq_errno()`.
    public let code: Int32
    /// The text for `code`, from `zmq_strerror`.
    public let message: String

    /// Creates an error for `code` with libzmq's text for it.
    public init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
        self.message = String(cString: zmq_strerror(code))
    }

    /// Creates an error with an explicit message, for failures detected by this wrapper itself.
    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    /// The error libzmq reported for the call that just failed on this thread.
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(operation: operation(), code: zmq_errno())
    }

    /// `operation: message (errno code)`.
    public var description: String { "\(operation): \(message) (errno \(code))" }

    /// The operation would block (EAGAIN): a full queue, nothing to read, or a send/receive timeout.
    public var isWouldBlock: Bool { code == EAGAIN }
    /// The context was terminated or shut down (ETERM); the socket must be closed.
    public var isTerminated: Bool { code == ZMQError.eterm }
    /// A signal interrupted a blocking call (EINTR).
    public var isInterrupted: Bool { code == EINTR }
    /// A ROUTER with `routerMandatory` has no peer with that routing id (EHOSTUNREACH).
    public var isHostUnreachable: Bool { code == EHOSTUNREACH }

    /// libzmq's ETERM (`ZMQ_HAUSNUMERO + 53`), spelled out because Swift imports it
    /// only on some platforms.
    public static let eterm: Int32 = 156_384_712 + 53
}
