import Foundation
import TesseraDiffusion
import TesseraWire
import TesseraZMQ

/// The daemon: one transport thread owning every ZeroMQ socket, one compute thread running
/// the scheduler, caches between them.
///
/// `start()` binds the endpoints and returns; `shutdown()` stops accepting work, answers
/// queued requests with `shutting_down`, lets in-flight work finish and be delivered, then
/// closes the sockets with linger 0.
public final class TesseraServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let registry: ModelRegistry
    let prompts: PromptCache
    let latents: LatentCache
    let statistics = ServerStatistics()
    private let context: ZMQContext
    private let wakeup: ZMQWakeup
    private let outbox: Outbox
    let scheduler: GenerationScheduler
    private var transport: Thread?
    private let state = NSCondition()
    private var stopRequested = false
    private var finished = false
    private var boundControl = ""
    private var boundStream = ""

    /// Loads every model (this takes a while for large ones) and prepares the sockets.
    public init(configuration: ServerConfiguration) throws {
        guard !configuration.models.isEmpty else { throw ServerError.configuration("no models configured") }
        self.configuration = configuration
        prompts = PromptCache(budget: configuration.promptCacheBytes, cacheDirectory: configuration.cacheDirectory)
        latents = LatentCache(budget: configuration.latentCacheBytes)
        registry = try ModelRegistry(entries: configuration.models, store: prompts, noise: latents)
        context = try ZMQContext()
        wakeup = try ZMQWakeup(context: context)
        outbox = Outbox(wakeup: wakeup)
        scheduler = GenerationScheduler(registry: registry, config: configuration, outbox: outbox, statistics: statistics,
                                        latents: latents)
    }

    /// Warms every model up (`ServedModel.warmUp`) before `start`; returns each model's
    /// name and milliseconds.
    public func warmUp() throws -> [(model: String, milliseconds: Double)] {
        try registry.models.map { ($0.name, try $0.warmUp()) }
    }

    /// The control endpoint actually bound (resolves `*` ports).
    public var controlEndpoint: String { state.lock(); defer { state.unlock() }; return boundControl }
    /// The stream endpoint actually bound.
    public var streamEndpoint: String { state.lock(); defer { state.unlock() }; return boundStream }

    /// Binds the sockets on the transport thread and starts both threads. Throws if binding fails.
    public func start() throws {
        // Written by the transport thread before it signals `ready`, read after the wait.
        nonisolated(unsafe) var startError: Error?
        let ready = DispatchSemaphore(value: 0)
        let t = Thread { [self] in
            let router: ZMQSocket, xpub: ZMQSocket
            do {
                router = try ZMQSocket(context: context, type: .router)
                try router.set(.maxMessageSize(Int64(configuration.limits.maxFrameBytes)))
                try router.set(.routerMandatory(true))
                try router.set(.heartbeatInterval(.seconds(2)))
                try router.set(.heartbeatTimeout(.seconds(6)))
                try router.bind(configuration.controlEndpoint)
                xpub = try ZMQSocket(context: context, type: .xpub)
                try xpub.set(.sendHighWaterMark(configuration.streamHighWaterMark))
                try xpub.set(.xpubNoDrop(true))
                try xpub.bind(configuration.streamEndpoint)
                let control = try router.lastEndpoint, stream = try xpub.lastEndpoint
                state.lock(); boundControl = control; boundStream = stream; state.unlock()
            } catch {
                startError = error
                ready.signal()
                return
            }
            ready.signal()
            transportLoop(router: router, xpub: xpub)
        }
        t.name = "tessera-transport"
        transport = t
        t.start()
        ready.wait()
        if let startError { throw startError }
        scheduler.start()
    }

    /// Graceful stop; returns once every socket is closed.
    public func shutdown() {
        state.lock()
        stopRequested = true
        state.unlock()
        wakeup.wake()
        state.lock()
        while !finished { state.wait() }
        state.unlock()
    }

    /// Blocks until the server has stopped.
    public func wait() {
        state.lock()
        while !finished { state.wait() }
        state.unlock()
    }

    private var isStopRequested: Bool { state.lock(); defer { state.unlock() }; return stopRequested }

    // MARK: Transport thread

    /// How long the transport thread keeps polling without blocking after a message.
    static let busyPollNanoseconds: UInt64 = 300_000

    private func transportLoop(router: ZMQSocket, xpub: ZMQSocket) {
        var poller = ZMQPoller()
        let r = poller.register(router)
        let x = poller.register(xpub)
        let w = poller.register(wakeup.socket)
        var drained = false
        let frameLimit = configuration.limits.maxFrames + 3
        // For a short while after each message the loop polls without blocking: a client that
        // sends again (a cache hit, the next request of a burst) is then picked up at once
        // instead of after a futex wake-up, which is most of a round trip's tail on a VM.
        var spinUntil: UInt64 = 0
        while true {
            // Wake at least every 5 ms while work is queued, so deadlines are policed on time.
            let spinning = DispatchTime.now().uptimeNanoseconds < spinUntil
            let events = (try? poller.poll(seconds: spinning ? 0 : scheduler.nextDeadline == nil ? 0.1 : 0.005)) ?? []
            if events.contains(where: { !$0.isEmpty }) { spinUntil = DispatchTime.now().uptimeNanoseconds + Self.busyPollNanoseconds }
            if events.count == 3 {
                if events[r].contains(.readable) {
                    while let message = try? router.tryReceive(frameLimit: frameLimit) { handle(message, router: router) }
                }
                if events[x].contains(.readable) {
                    // Subscription notices; read them so the socket's queue never fills.
                    while (try? xpub.tryReceive()) != nil {}
                }
                if events[w].contains(.readable) { _ = wakeup.drain() }
            }
            scheduler.expireQueued()
            flush(router: router, xpub: xpub)
            if isStopRequested {
                if !drained {
                    drained = true
                    for job in scheduler.beginShutdown() { scheduler.reply(job, error: .shuttingDown, "the daemon is shutting down") }
                    flush(router: router, xpub: xpub)
                }
                if scheduler.isIdleAfterShutdown && outbox.isEmpty { break }
            }
        }
        flush(router: router, xpub: xpub)
        // The last replies may still sit in the socket's queue: give them up to a second to
        // reach their clients (every accepted request is answered), then stop regardless.
        router.close(lingering: .seconds(1))
        xpub.close()
        wakeup.close()
        context.terminate()
        state.lock()
        finished = true
        state.broadcast()
        state.unlock()
    }

    private func flush(router: ZMQSocket, xpub: ZMQSocket) {
        for item in outbox.drain() {
            switch item {
            case .reply(let envelope, let frames):
                // A client that went away is not an error for anyone else.
                _ = try? router.trySend(envelope.wrap(frames))
            case .publish(let frames):
                statistics.published(ok: (try? xpub.trySend(frames)) ?? false)
            }
        }
    }

    private func handle(_ message: [[UInt8]], router: ZMQSocket) {
        guard let (envelope, body) = ZMQRouterEnvelope.split(message) else { return }
        statistics.requestReceived()
        func send(_ frames: [[UInt8]]) { _ = try? router.trySend(envelope.wrap(frames)) }
        switch WireCodec.decodeRequest(body, limits: configuration.limits) {
        case .failure(let error):
            statistics.errorSent()
            send(WireCodec.encodeError(error))
        case .success(let request):
            switch request {
            case .ping(let id):
                send(WireCodec.encodeReply(.ping(id: id)))
            case .hello(let id):
                send(WireCodec.encodeReply(.hello(HelloReply(
                    id: id, server: "tesserad \(TesseraServer.version)", models: registry.models.map(\.info),
                    defaultModel: registry.defaultModel?.name, limits: configuration.limits, streamEndpoint: streamEndpoint))))
            case .stats(let id):
                send(WireCodec.encodeReply(.stats(statsReply(id: id))))
            case .cancel(let cancel):
                let identity = JobIdentity(routingID: envelope.routingID, id: cancel.target)
                switch scheduler.cancel(identity) {
                case .queued(let job):
                    scheduler.reply(job, error: .cancelled, "cancelled by the client")
                    send(WireCodec.encodeReply(.cancel(CancelReply(id: cancel.id, target: cancel.target))))
                case .running:
                    send(WireCodec.encodeReply(.cancel(CancelReply(id: cancel.id, target: cancel.target))))
                case .unknown:
                    statistics.errorSent()
                    send(WireCodec.encodeError(WireError(code: .unknownID, message: "no pending request \"\(cancel.target)\"",
                                                         id: cancel.id, field: "target", type: "cancel")))
                }
            case .generate(let generate):
                if isStopRequested {
                    statistics.errorSent()
                    send(WireCodec.encodeError(WireError(code: .shuttingDown, message: "the daemon is shutting down",
                                                         id: generate.id, type: "generate")))
                } else if let immediate = scheduler.admit(generate, envelope: envelope) {
                    send(immediate)
                }
            }
        }
    }

    func statsReply(id: String?) -> StatsReply {
        let depth = scheduler.depth
        let p = prompts.statistics
        func cache(_ s: CacheStatistics) -> StatsReply.Cache { StatsReply.Cache(hits: s.hits, misses: s.misses, entries: s.entries, bytes: s.bytes) }
        // Prompt lookups that missed memory but were served from disk count as hits.
        var promptStats = cache(p.memory)
        promptStats.hits += p.diskHits
        promptStats.misses -= p.diskHits
        return statistics.snapshot(id: id, queueDepth: depth.queued, inFlight: depth.inFlight, caches: [
            "prompt": promptStats, "result": cache(scheduler.results.statistics), "latent": cache(latents.statistics),
        ])
    }

    /// Server version string reported in `hello`.
    public static let version = "0.1.0"
}

/// Why the server could not start.
public enum ServerError: Error, CustomStringConvertible {
    case configuration(String)
    public var description: String {
        switch self { case .configuration(let m): return "configuration: \(m)" }
    }
}
