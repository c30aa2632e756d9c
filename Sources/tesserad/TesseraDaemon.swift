import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TesseraDiffusion
import TesseraServer
import TesseraTensor

/// `tesserad`: the texture daemon.
@main
struct TesseraDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tesserad",
        abstract: "Serve diffusion-generated textures over ZeroMQ (see protocol/PROTOCOL.md).")

    @Option(name: .long, help: "Diffusers model folder; repeat for more models (name=DIR names one; the first is the default). Default: the embedded model.")
    var model: [String] = []

    @Option(name: .long, help: "Separate decoder folder (e.g. TAESD) for the first model.")
    var decoder: String?

    @Option(name: .long, help: "Control endpoint (ROUTER).")
    var control = "tcp://127.0.0.1:5555"

    @Option(name: .long, help: "Stream endpoint (XPUB) for previews.")
    var stream = "tcp://127.0.0.1:5556"

    @Option(name: .customLong("cache-dir"), help: "Directory for persistent caches (prompt embeddings).")
    var cacheDir: String?

    @Option(name: .customLong("default-steps"), help: "Steps when a request gives none (default: the model's tessera.json, else 2).")
    var defaultSteps: Int?

    @Option(name: .customLong("default-guidance"), help: "Guidance when a request gives none (default: the model's tessera.json, else 0).")
    var defaultGuidance: Double?

    @Option(name: .customLong("cache-mb"), help: "Memory budget of all caches together, in MiB (split prompt 1/8, latent 1/8, result 3/4).")
    var cacheMB = 384

    @Option(name: .long, help: "Compute threads for BLAS and the parallel kernels (0: all cores).")
    var threads = 0

    @Option(name: .long, help: "Compute backend: onednn (oneDNN convolutions, the default) or openblas (the fp32 reference).")
    var backend = "onednn"

    @Option(name: .long, help: "Numerics of the onednn backend: fp32, mixed (Winograd 3x3 convs) or bf16 (bf16 convs).")
    var precision = "fp32"

    @Option(name: .customLong("max-size"), help: "Largest width or height accepted.")
    var maxSize = 1024

    @Option(name: .customLong("max-pixels"), help: "Largest width x height accepted.")
    var maxPixels = 1024 * 1024

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("max-steps"), help: "Most steps accepted.")
    var maxSteps = 50

    @Option(name: .customLong("max-batch"), help: "Most requests sharing one UNet batch.")
    var maxBatch = 4

    @Flag(name: .customLong("no-warm-up"), help: "Skip the 1-step warm-up generation per model before serving.")
    var noWarmUp = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level \(logLevel)") }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "tesserad")
        logger.logLevel = level
        if threads > 0 { Compute.setThreads(threads) }
        do {
            Compute.backend = try Compute.backend(named: backend, precisionNamed: precision)
        } catch let e as ComputeChoiceError {
            throw ValidationError(e.description)
        }
        var config = ServerConfiguration()
        config.controlEndpoint = control
        config.streamEndpoint = stream
        config.cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0) }
        config.maxBatch = max(1, maxBatch)
        config.limits.maxWidth = maxSize
        config.limits.maxHeight = maxSize
        config.limits.maxPixels = min(maxPixels, maxSize * maxSize)
        let budget = max(1, cacheMB) << 20
        config.promptCacheBytes = budget / 8
        config.latentCacheBytes = budget / 8
        config.resultCacheBytes = budget - budget / 4
        config.limits.maxSteps = maxSteps
        var specs = model
        if specs.isEmpty {
            if let embedded = BundledModels.embedded {
                specs = ["tessera-tex-v1=\(embedded.path)"]
            } else if let fixture = BundledModels.fixture {
                // Until the embedded model is committed, serve the tiny random-weight test model
                // so the daemon and its clients can be tried; its images are noise, not textures.
                logger.warning("embedded model not found; serving the random-weight fixture model \(fixture.path) (noise, not textures)")
                specs = ["fixture-sd1-tiny=\(fixture.path)"]
            } else {
                throw ValidationError("no --model given and neither models/tessera-tex-v1 nor the fixture model was found")
            }
        }
        for (i, spec) in specs.enumerated() {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let folder = URL(fileURLWithPath: parts.count == 2 ? parts[1] : parts[0])
            let name = parts.count == 2 ? parts[0] : folder.standardizedFileURL.lastPathComponent
            let rec = try ModelRecommendations(folder: folder)
            config.models.append(.init(name: name, folder: folder, decoder: i == 0 ? decoder.map { URL(fileURLWithPath: $0) } : nil,
                                       defaultSteps: defaultSteps ?? rec.steps ?? 2,
                                       defaultGuidance: defaultGuidance ?? rec.guidance.map(Double.init) ?? 0))
        }
        logger.info("loading \(config.models.count) model(s): \(config.models.map(\.name).joined(separator: ", ")); compute backend \(Compute.backend.name)")
        let server = try TesseraServer(configuration: config)
        if !noWarmUp {
            for w in try server.warmUp() {
                logger.info("warmed up \(w.model): one step at its native size in \(Int(w.milliseconds.rounded())) ms")
            }
        }
        let service = DaemonService(server: server, logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// Runs the server until SIGTERM/SIGINT, then drains it.
struct DaemonService: Service {
    let server: TesseraServer
    let logger: Logger

    func run() async throws {
        try server.start()
        logger.info("serving control \(server.controlEndpoint), stream \(server.streamEndpoint)")
        // Suspends until the group starts a graceful shutdown (signal), then drains.
        try? await gracefulShutdown()
        logger.info("shutting down: answering queued requests, finishing in-flight work")
        server.shutdown()
        logger.info("stopped")
    }
}
