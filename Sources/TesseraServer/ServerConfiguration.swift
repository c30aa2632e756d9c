import Foundation
import TesseraWire

/// Everything `tesserad` is started with.
public struct ServerConfiguration: Sendable {
    /// A model to keep resident.
    public struct ModelEntry: Sendable {
        /// Name clients use in `generate.model`.
        public var name: String
        /// Diffusers model folder.
        public var folder: URL
        /// Optional separate decoder (TAESD) folder.
        public var decoder: URL?
        /// Steps and guidance used when a request leaves them out.
        public var defaultSteps: Int
        public var defaultGuidance: Double

        public init(name: String, folder: URL, decoder: URL? = nil, defaultSteps: Int = 1, defaultGuidance: Double = 0) {
            self.name = name
            self.folder = folder
            self.decoder = decoder
            self.defaultSteps = defaultSteps
            self.defaultGuidance = defaultGuidance
        }
    }

    /// Control endpoint (ROUTER). `tcp://127.0.0.1:*` picks a free port.
    public var controlEndpoint = "tcp://127.0.0.1:5555"
    /// Stream endpoint (XPUB) for previews.
    public var streamEndpoint = "tcp://127.0.0.1:5556"
    /// Models; the first is the default.
    public var models: [ModelEntry] = []
    /// Request limits announced in `hello` and enforced by the codec.
    public var limits = WireLimits()
    /// Where persistent caches live (nil: memory only).
    public var cacheDirectory: URL?
    /// Byte budgets of the caches.
    public var promptCacheBytes = 64 << 20
    public var resultCacheBytes = 256 << 20
    public var latentCacheBytes = 64 << 20
    /// Most requests waiting at once; more get `busy`.
    public var maxQueueDepth = 256
    /// Most requests sharing one UNet batch.
    public var maxBatch = 4
    /// Send high-water mark of the stream socket: small, because drop beats lag.
    public var streamHighWaterMark = 8
    /// Deadline assumed when a request gives none.
    public var defaultDeadlineMilliseconds = 60_000

    public init() {}
}
