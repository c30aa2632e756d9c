/// A decoded request from a client.
public enum Request: Sendable, Equatable {
    /// Handshake; the reply describes the server.
    case hello(id: String?)
    /// Liveness check.
    case ping(id: String?)
    /// Counters and latency figures.
    case stats(id: String?)
    /// Generate an image.
    case generate(GenerateRequest)
    /// Cancel a pending `generate`.
    case cancel(CancelRequest)

    /// The request's id, echoed in its reply (`nil` only for hello/ping/stats sent without one).
    public var id: String? {
        switch self {
        case .hello(let id), .ping(let id), .stats(let id): return id
        case .generate(let request): return request.id
        case .cancel(let request): return request.id
        }
    }

    /// The message type.
    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .ping: return .ping
        case .stats: return .stats
        case .generate: return .generate
        case .cancel: return .cancel
        }
    }

    /// The canonical header object.
    var json: WireJSON {
        switch self {
        case .hello(let id), .ping(let id), .stats(let id):
            var members: [String: WireJSON] = ["type": .string(type.rawValue)]
            if let id { members["id"] = .string(id) }
            return .object(members)
        case .generate(let request):
            return request.json
        case .cancel(let request):
            return .object(["type": .string(type.rawValue), "id": .string(request.id), "target": .string(request.target)])
        }
    }
}
