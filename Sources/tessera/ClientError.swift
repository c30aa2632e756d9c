/// Why a daemon subcommand failed; ArgumentParser prints the description and exits non-zero.
enum ClientError: Error, CustomStringConvertible {
    /// Not every reply arrived in time.
    case timedOut(endpoint: String, seconds: Double, missing: [String])
    /// A reply could not be decoded or did not match the protocol.
    case brokenReply(String)
    /// One or more requests failed: an error reply, or a result that could not be written
    /// (each already printed).
    case errorReplies(Int)
    /// A reply of an unexpected kind for the request.
    case unexpectedReply(String)
    /// An output path that cannot be written.
    case badOutput(String)
    /// Nothing, or too little, arrived on the stream endpoint.
    case streamIdle(endpoint: String, seconds: Double, received: Int)

    var description: String {
        switch self {
        case .timedOut(let endpoint, let seconds, let missing):
            let what = missing.count == 1 ? "the reply to \(missing[0])" : "\(missing.count) replies"
            return "timed out after \(Self.seconds(seconds)) waiting for \(what) from \(endpoint) (is tesserad running there?)"
        case .brokenReply(let detail):
            return "broken reply: \(detail)"
        case .errorReplies(let count):
            return count == 1 ? "1 request failed" : "\(count) requests failed"
        case .unexpectedReply(let detail):
            return "unexpected reply: \(detail)"
        case .badOutput(let detail):
            return detail
        case .streamIdle(let endpoint, let seconds, let received):
            return "no stream message within \(Self.seconds(seconds)) on \(endpoint) (\(received) received)"
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
