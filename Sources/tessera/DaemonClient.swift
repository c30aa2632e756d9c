import Foundation
import TesseraWire
import TesseraZMQ

/// The client side of the control endpoint, shared by the daemon subcommands.
///
/// One DEALER socket, so several requests can be in flight at once and their replies
/// (which may arrive in any order) are matched by `id`. No envelope delimiter is sent,
/// so none comes back (PROTOCOL.md §3.1). Every wait polls with the remaining time of
/// one overall deadline, so a missing daemon is an error after `timeout` seconds, never
/// a hang. The socket closes with linger 0, dropping requests a daemon never took.
final class DaemonClient {
    /// One answered request: the decoded reply and its raw frames (for `--json`).
    struct Answer {
        /// The decoded reply.
        let reply: Reply
        /// The Tessera frames as received: signature, header, payload.
        let frames: [[UInt8]]
    }

    /// The control endpoint.
    let endpoint: String
    /// Seconds allowed for all replies, counted from the first send.
    let timeout: Double

    private let context: ZMQContext
    private let socket: ZMQSocket
    private var deadline: Date?
    private var counter = 0

    /// Creates a DEALER socket connected to `endpoint`. Connecting never waits: libzmq
    /// connects (and reconnects) in the background and queues requests meanwhile.
    init(endpoint: String, timeout: Double) throws {
        self.endpoint = endpoint
        self.timeout = timeout
        context = try ZMQContext()
        socket = try ZMQSocket(context: context, type: .dealer)
        try socket.set(.linger(.zero))
        // Sending only queues locally, but never let even that block past the timeout.
        try socket.set(.sendTimeout(.seconds(timeout)))
        try socket.connect(endpoint)
    }

    deinit { close() }

    /// Closes the socket and the context without waiting. Idempotent.
    func close() {
        socket.close()
        context.terminate()
    }

    /// A request id unique within this client: `prefix-pid-n`.
    func makeID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)-\(ProcessInfo.processInfo.processIdentifier)-\(counter)"
    }

    /// Sends `request`; the overall deadline starts with the first send.
    func send(_ request: Request) throws {
        if deadline == nil { deadline = Date(timeIntervalSinceNow: timeout) }
        try socket.send(WireCodec.encodeRequest(request))
    }

    /// Sends one request and waits for its reply.
    func call(_ request: Request) throws -> Answer {
        try send(request)
        var answer: Answer?
        try awaitReplies(to: [request.id ?? ""]) { _, reply in answer = reply }
        return answer!
    }

    /// Waits until every id in `ids` has been answered, calling `handle` for each reply
    /// as it arrives. Replies to other ids are reported on stderr and skipped.
    ///
    /// - Throws: ``ClientError/timedOut(endpoint:seconds:missing:)`` when the deadline
    ///   passes first; ``ClientError/brokenReply(_:)`` for a reply that does not decode
    ///   and cannot be attributed to a request.
    func awaitReplies(to ids: [String], _ handle: (String, Answer) throws -> Void) throws {
        var pending = Set(ids)
        var poller = ZMQPoller()
        poller.register(socket)
        let deadline = self.deadline ?? Date(timeIntervalSinceNow: timeout)
        while !pending.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                throw ClientError.timedOut(endpoint: endpoint, seconds: timeout, missing: ids.filter(pending.contains))
            }
            guard try poller.poll(seconds: remaining)[0].contains(.readable) else { continue }
            while let frames = try socket.tryReceive() {
                let reply: Reply
                switch WireCodec.decodeReply(frames) {
                case .success(let decoded):
                    reply = decoded
                case .failure(let error):
                    // A reply whose id is readable is charged to that request; otherwise
                    // nothing can be matched and the exchange is over.
                    guard let id = error.id, pending.contains(id) else {
                        throw ClientError.brokenReply(error.description)
                    }
                    reply = .error(ErrorReply(id: id, code: .internal, message: "broken reply: \(error.message)"))
                }
                // An error without an id (the daemon could not read ours) can only be
                // matched when a single request is outstanding.
                guard let id = reply.id ?? (pending.count == 1 ? pending.first : nil), pending.contains(id) else {
                    FileHandle.standardError.write(Data("warning: ignoring a reply to unknown id \(reply.id ?? "null")\n".utf8))
                    continue
                }
                pending.remove(id)
                try handle(id, Answer(reply: reply, frames: frames))
            }
        }
    }

    /// Prints an error reply as `code: message` on stderr.
    static func report(_ error: ErrorReply, prefix: String = "") {
        var line = "\(prefix)\(error.code.rawValue): \(error.message)"
        if let field = error.field, !error.message.contains(field) { line += " (field \(field))" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
