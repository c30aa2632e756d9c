import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TesseraServer

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

    @Option(name: .customLong("default-steps"), help: "Steps when a request gives none.")
    var defaultSteps = 2

    @Option(name: .customLong("default-guidance"), help: "Guidance when a request gives none.")
    var defaultGuidance = 0.0

    @Option(name: .customLong("max-size"), help: "Largest width or height accepted.")
    var maxSize = 1024

    @Option(name: .customLong("max-steps"), help: "Most steps accepted.")
    var maxSteps = 50

    @Option(name: .customLong("max-batch"), help: "Most requests sharing one UNet batch.")
    var maxBatch = 4

    /// Where the embedded model lives: next to the working directory or the executable's checkout.
    static func embeddedModel() -> URL? {
        let candidates = [URL(fileURLWithPath: "models/tessera-tex-v0"),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                              .appendingPathComponent("../../../models/tessera-tex-v0").standardizedFileURL]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model_index.json").path) }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "tesserad")
        logger.logLevel = .info
        var config = ServerConfiguration()
        config.controlEndpoint = control
        config.streamEndpoint = stream
        config.cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0) }
        config.maxBatch = max(1, maxBatch)
        config.limits.maxWidth = maxSize
        config.limits.maxHeight = maxSize
        config.limits.maxPixels = maxSize * maxSize
        config.limits.maxSteps = maxSteps
        var specs = model
        if specs.isEmpty {
            guard let embedded = Self.embeddedModel() else {
                throw ValidationError("no --model given and the embedded model (models/tessera-tex-v0) was not found")
            }
            specs = ["tessera-tex-v0=\(embedded.path)"]
        }
        for (i, spec) in specs.enumerated() {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let folder = URL(fileURLWithPath: parts.count == 2 ? parts[1] : parts[0])
            let name = parts.count == 2 ? parts[0] : folder.standardizedFileURL.lastPathComponent
            config.models.append(.init(name: name, folder: folder, decoder: i == 0 ? decoder.map { URL(fileURLWithPath: $0) } : nil,
                                       defaultSteps: defaultSteps, defaultGuidance: defaultGuidance))
        }
        logger.info("loading \(config.models.count) model(s): \(config.models.map(\.name).joined(separator: ", "))")
        let server = try TesseraServer(configuration: config)
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
