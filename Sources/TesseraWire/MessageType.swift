/// The `type` member of a request header (replies echo it).
public enum MessageType: String, Sendable, CaseIterable {
    /// Handshake: protocol version, models and limits.
    case hello
    /// Liveness check.
    case ping
    /// Counters and latency figures.
    case stats
    /// Generate an image.
    case generate
    /// Cancel a pending `generate`.
    case cancel
    /// Reserved: open a live stream.
    case streamOpen = "stream.open"
    /// Reserved: change a live stream's parameters.
    case streamUpdate = "stream.update"
    /// Reserved: close a live stream.
    case streamClose = "stream.close"
    /// A progressive preview, published on the stream endpoint (never a request).
    case preview

    /// Types reserved by this version: a server answers them with `not_implemented`.
    public var isReserved: Bool {
        self == .streamOpen || self == .streamUpdate || self == .streamClose
    }
}
