/// A reply from the server. Each request gets exactly one.
public enum Reply: Sendable, Equatable {
    /// Answers `hello`.
    case hello(HelloReply)
    /// Answers `ping`.
    case ping(id: String?)
    /// Answers `stats`.
    case stats(StatsReply)
    /// Answers `generate` with an image.
    case generate(GenerateReply)
    /// Answers an accepted `cancel`.
    case cancel(CancelReply)
    /// Answers any request that failed.
    case error(ErrorReply)

    /// The id of the request this answers (`nil` when the request had none or it was unreadable).
    public var id: String? {
        switch self {
        case .hello(let reply): return reply.id
        case .ping(let id): return id
        case .stats(let reply): return reply.id
        case .generate(let reply): return reply.id
        case .cancel(let reply): return reply.id
        case .error(let reply): return reply.id
        }
    }
}
