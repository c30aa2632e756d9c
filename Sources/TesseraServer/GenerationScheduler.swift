import Foundation
import TesseraDiffusion
import TesseraWire
import TesseraZMQ

/// Admission, earliest-deadline-first queueing and the compute thread.
///
/// The transport thread calls `admit` and `cancel`; one compute thread pops the job with the
/// earliest deadline, batches compatible jobs with it, runs them and pushes replies to the
/// outbox. Every accepted job is answered exactly once: with a result, or with `cancelled`,
/// `dropped` or `shutting_down`.
final class GenerationScheduler: @unchecked Sendable {
    let registry: ModelRegistry
    let config: ServerConfiguration
    let costs = CostModel()
    let results: LRUCache<ResultKey, EncodedResult>
    let statistics: ServerStatistics
    private let outbox: Outbox
    private let condition = NSCondition()
    private var queue = DeadlineQueue<Job>()
    private var inFlight: [Job] = []
    private var accepting = true
    private var running = true
    private var thread: Thread?
    private var randomSeeds = SystemRandomNumberGenerator()
    /// Time kept in reserve on every deadline for wake-ups, encoding and the network.
    static let slackMs = 15.0

    let latents: LatentCache

    init(registry: ModelRegistry, config: ServerConfiguration, outbox: Outbox, statistics: ServerStatistics, latents: LatentCache) {
        self.latents = latents
        self.registry = registry
        self.config = config
        self.outbox = outbox
        self.statistics = statistics
        results = LRUCache(budget: config.resultCacheBytes)
    }

    func start() {
        let t = Thread { [self] in workLoop() }
        t.name = "tessera-compute"
        thread = t
        t.start()
    }

    // MARK: Transport side

    /// Decides what to do with a decoded `generate`: an immediate reply (error, cache hit,
    /// deadline unmet) returned as frames, or nil when the job was queued.
    func admit(_ request: GenerateRequest, envelope: ZMQRouterEnvelope) -> [[UInt8]]? {
        let now = MonotonicClock.now()
        func refuse(_ code: ErrorCode, _ message: String, field: String? = nil) -> [[UInt8]] {
            statistics.errorSent()
            return WireCodec.encodeError(WireError(code: code, message: message, id: request.id, field: field, type: "generate"))
        }
        guard let model = registry.model(named: request.model) else {
            return refuse(.unknownModel, "no model named \"\(request.model ?? "")\"; see hello for the list", field: "model")
        }
        let native = model.nativeSize
        let width = request.width ?? (request.kind == .backdrop ? 2 * native : native)
        let height = request.height ?? native
        let limits = config.limits
        guard width <= limits.maxWidth, height <= limits.maxHeight, width * height <= limits.maxPixels else {
            return refuse(.limitExceeded, "\(width)x\(height) exceeds the limits \(limits.maxWidth)x\(limits.maxHeight), \(limits.maxPixels) pixels")
        }
        var seed = request.seed ?? 0
        if request.seed == nil { condition.lock(); seed = randomSeeds.next(); condition.unlock() }
        var params = GenerationParameters(prompt: request.prompt, negativePrompt: request.negativePrompt, seed: seed,
                                          steps: request.steps ?? model.defaultSteps, width: width, height: height,
                                          guidance: Float(request.guidance ?? model.defaultGuidance),
                                          scheduler: nil, tiling: Self.tiling(request.tiling))
        do { try model.pipeline.validate(params) } catch let invalid {
            return refuse(.badField, "\(invalid)")
        }
        let hasDeadline = request.deadlineMilliseconds != nil
        let budgetMs = Double(request.deadlineMilliseconds ?? config.defaultDeadlineMilliseconds)
        let deadline = now + UInt64(budgetMs * 1_000_000)
        let job = Job(request: request, envelope: envelope, model: model, parameters: params,
                      receivedAt: now, deadline: deadline, hasDeadline: hasDeadline)

        if let hit = results.value(for: job.resultKey) {
            let reply = GenerateReply(id: request.id,
                                      delivered: DeliveryReport(steps: params.steps, cache: .hit, seed: seed, model: model.name),
                                      timings: StageTimings(total: Double(MonotonicClock.now() - now) / 1e6),
                                      image: hit.image, payload: hit.payload)
            statistics.delivered(kind: request.kind.rawValue, outcome: .met, latencyMs: Double(MonotonicClock.now() - now) / 1e6)
            return WireCodec.encodeReply(.generate(reply))
        }

        job.cachedLatents = latents.finals.value(for: LatentCache.FinalKey(job.resultKey))

        condition.lock()
        defer { condition.unlock() }
        guard accepting else { return refuse(.shuttingDown, "the daemon is shutting down") }
        let queued = queue.ordered  // one sort, used for the duplicate check and the work ahead
        if queued.contains(where: { $0.identity == job.identity }) || inFlight.contains(where: { $0.identity == job.identity }) {
            return refuse(.duplicateID, "a request with id \"\(request.id)\" is already pending", field: "id")
        }
        guard queue.count < config.maxQueueDepth else { return refuse(.busy, "queue is full (\(config.maxQueueDepth) requests)") }
        // Work that will run before this job: queued jobs due earlier, plus what is in flight.
        let ahead = queued.filter { $0.deadline <= deadline }.reduce(0.0) { $0 + predictedMs($1) }
            + inFlight.reduce(0.0) { $0 + predictedMs($1) }
        let p = costs.predict(shape(job))
        let plan = AdmissionPlan.choose(requestedSteps: params.steps, cached: job.cachedLatents != nil,
                                        budgetMs: budgetMs - ahead - Self.slackMs,
                                        fixedMs: p.fixedMs, perStepMs: p.perStepMs, policy: hasDeadline ? request.onMiss : .late)
        switch plan {
        case .unmet(let predicted):
            statistics.delivered(kind: request.kind.rawValue, outcome: .missed, latencyMs: 0)
            return refuse(.deadlineUnmet, String(format: "predicted %.0f ms (%.0f ms queued ahead) exceeds the %.0f ms deadline",
                                                predicted, ahead, budgetMs))
        case .reduced(let steps):
            params.steps = steps
            job.parameters = params
            job.degradedReason = "fewer_steps"  // PROTOCOL.md §7.4
        case .full, .cached:
            break
        }
        queue.push(job, deadline: deadline)
        condition.signal()
        return nil
    }

    /// Answers queued jobs that can no longer finish in time even if started now, so their
    /// `dropped` / `deadline_unmet` goes out before the deadline instead of at the next pop.
    /// Called by the transport thread on every loop.
    func expireQueued() {
        let now = MonotonicClock.now()
        condition.lock()
        let expired = queue.removeAll { job in
            guard job.hasDeadline, job.request.onMiss != .late, job.cachedLatents == nil else { return false }
            let p = costs.predict(shape(job))
            let minimum = p.fixedMs + p.perStepMs * Double(job.request.onMiss == .degrade ? 1 : job.parameters.steps)
            return now + UInt64((minimum + Self.slackMs) * 1e6) > job.deadline
        }
        condition.unlock()
        for job in expired { answerUnmet(job) }
    }

    /// Earliest deadline among queued jobs (the transport polls no longer than until then).
    var nextDeadline: UInt64? {
        condition.lock(); defer { condition.unlock() }
        return queue.first?.deadline
    }

    enum CancelOutcome { case queued(Job), running, unknown }

    /// Cancels a pending job of this client. A queued job is removed (the caller answers it);
    /// a running one stops at its next step boundary and is answered by the compute thread.
    func cancel(_ identity: JobIdentity) -> CancelOutcome {
        condition.lock(); defer { condition.unlock() }
        if let removed = queue.removeAll(where: { $0.identity == identity }).first { return .queued(removed) }
        if let running = inFlight.first(where: { $0.identity == identity }) {
            running.isCancelled = true
            return .running
        }
        return .unknown
    }

    /// Stops accepting work and returns the queued jobs (to be answered `shutting_down`).
    /// Jobs in flight finish.
    func beginShutdown() -> [Job] {
        condition.lock(); defer { condition.unlock() }
        accepting = false
        var drained: [Job] = []
        while let j = queue.pop() { drained.append(j.element) }
        running = false
        condition.broadcast()
        return drained
    }

    /// Whether the compute thread has finished (after `beginShutdown`).
    var isIdleAfterShutdown: Bool {
        condition.lock(); defer { condition.unlock() }
        return !running && inFlight.isEmpty && queue.isEmpty && (thread?.isFinished ?? true)
    }

    var depth: (queued: Int, inFlight: Int) {
        condition.lock(); defer { condition.unlock() }
        return (queue.count, inFlight.count)
    }

    // MARK: Compute side

    private func workLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && running { condition.wait() }
            guard let popped = queue.pop()?.element else {
                condition.unlock()
                break
            }
            // Re-plan at start: jobs admitted earlier may have been overtaken by later ones
            // with earlier deadlines. A job that can no longer make it is answered now.
            guard let first = replan(popped) else {
                condition.unlock()
                answerUnmet(popped)  // outside the lock: replying takes it again
                continue
            }
            var batch = [first]
            if config.maxBatch > 1 && first.cachedLatents == nil {
                let pipeline = first.model.pipeline
                var room = config.maxBatch - 1
                let perImage = predictedMs(first)
                let mates = queue.removeAll { job in
                    guard room > 0, job.model === first.model, pipeline.canBatch(first.parameters, job.parameters),
                          !job.isCancelled, job.cachedLatents == nil else { return false }
                    // Batch only when every member still finishes by its deadline.
                    let members = config.maxBatch - room  // already in the batch, the first included
                    let finish = MonotonicClock.now() + UInt64(perImage * Double(members + 1) * 1e6)
                    let deadline = min(first.hasDeadline ? first.deadline : .max, job.hasDeadline ? job.deadline : .max)
                    guard finish <= deadline else { return false }
                    room -= 1
                    return true
                }
                batch += mates
            }
            inFlight = batch
            condition.unlock()
            run(batch)
            condition.lock()
            inFlight = []
            condition.unlock()
        }
    }

    /// Checks a job about to start against its deadline. Returns it (possibly with fewer
    /// steps, flagged degraded), or nil when it can no longer make it (see `answerUnmet`).
    private func replan(_ job: Job) -> Job? {
        guard job.hasDeadline, job.request.onMiss != .late, job.cachedLatents == nil else { return job }
        let now = MonotonicClock.now()
        let remaining = job.deadline > now ? Double(job.deadline - now) / 1e6 : 0
        let p = costs.predict(shape(job))
        let plan = AdmissionPlan.choose(requestedSteps: job.parameters.steps, cached: false, budgetMs: remaining - Self.slackMs,
                                        fixedMs: p.fixedMs, perStepMs: p.perStepMs, policy: job.request.onMiss)
        switch plan {
        case .full, .cached:
            return job
        case .reduced(let steps):
            job.parameters.steps = steps
            job.degradedReason = "fewer_steps"
            return job
        case .unmet:
            return nil
        }
    }

    /// Answers a job that `replan` found can no longer meet its deadline.
    private func answerUnmet(_ job: Job) {
        let now = MonotonicClock.now()
        let remaining = job.deadline > now ? Double(job.deadline - now) / 1e6 : 0
        statistics.delivered(kind: job.request.kind.rawValue, outcome: .missed, latencyMs: elapsedMs(since: job.receivedAt))
        let message = String(format: "can no longer finish in time: %.0f ms left of the deadline at start", remaining)
        reply(job, error: job.request.onMiss == .drop ? .dropped : .deadlineUnmet, message)
    }

    private func run(_ batch: [Job]) {
        let started = MonotonicClock.now()
        let pipeline = batch[0].model.pipeline
        if batch.count == 1, let cached = batch[0].cachedLatents {
            let job = batch[0]
            do {
                var timings = TesseraDiffusion.StageTimings()
                let clock = Date()
                let image = try pipeline.decode(cached, tiling: job.parameters.tiling)
                timings.decode = Date().timeIntervalSince(clock)
                let result = GenerationResult(latents: cached, image: image, stepsRun: job.parameters.steps,
                                              promptCached: true, timings: timings)
                deliver(job, result: result, startedAt: started, reusedLatents: true)
            } catch {
                reply(job, error: .internal, "decoding cached latents failed: \(error)")
            }
            return
        }
        var dropped = Set<Int>()
        let outcomes: [Result<GenerationResult, GenerationError>]
        do {
            outcomes = try pipeline.generate(batch: batch.map(\.parameters)) { [self] index, progress in
                let job = batch[index]
                if job.isCancelled { return .cancel }
                if let topic = job.request.preview?.topic { publishPreview(job, progress: progress, topic: topic) }
                // Would the remaining steps overrun the deadline? Then answer in time instead:
                // drop, or deliver the current estimate (degraded), as the client asked.
                if job.hasDeadline && job.request.onMiss != .late {
                    let p = costs.predict(shape(job))
                    let left = Double(progress.stepCount - progress.stepIndex - 1) * p.perStepMs * Double(batch.count)
                    // Members are decoded one after another, so each waits for the whole batch.
                    let finish = MonotonicClock.now() + UInt64((left + p.fixedMs * Double(batch.count) + Self.slackMs) * 1e6)
                    if left > 0 && finish > job.deadline {
                        if job.request.onMiss == .drop {
                            dropped.insert(index)
                            return .cancel
                        }
                        job.degradedReason = "fewer_steps"
                        return .finishNow
                    }
                }
                return .proceed
            }
        } catch {
            for job in batch { reply(job, error: .internal, "generation failed: \(error)") }
            return
        }
        for (index, job) in batch.enumerated() {
            switch outcomes[index] {
            case .failure(.cancelled):
                if dropped.contains(index) {
                    statistics.delivered(kind: job.request.kind.rawValue, outcome: .missed, latencyMs: elapsedMs(since: job.receivedAt))
                    reply(job, error: .dropped, "deadline passed before the result was ready (on_miss: drop)")
                } else {
                    reply(job, error: .cancelled, "cancelled by the client")
                }
            case .failure(let e):
                reply(job, error: .internal, "\(e)")
            case .success(let result):
                deliver(job, result: result, startedAt: started)
            }
        }
    }

    private func deliver(_ job: Job, result: GenerationResult, startedAt: UInt64, reusedLatents: Bool = false) {
        let encodeStart = MonotonicClock.now()
        let encoded: EncodedResult
        do { encoded = try ResultEncoder.encode(result.image, format: job.request.format) } catch {
            reply(job, error: .internal, "encoding failed: \(error)")
            return
        }
        let now = MonotonicClock.now()
        let t = result.timings
        let unetMs = t.steps.reduce(0, +) * 1000
        let timings = StageTimings(queue: Double(startedAt - job.receivedAt) / 1e6, encodeText: t.textEncoding * 1000,
                                   unet: unetMs, decode: t.decode * 1000, encode: Double(now - encodeStart) / 1e6,
                                   total: Double(now - job.receivedAt) / 1e6)
        let late = job.hasDeadline && now > job.deadline
        let degraded = job.degradedReason != nil
        let report = DeliveryReport(steps: result.stepsRun, degraded: degraded, reason: job.degradedReason,
                                    cache: (result.promptCached || reusedLatents) ? .partial : .miss, late: late,
                                    seed: job.parameters.seed, model: job.model.name)
        // Learn and cache before replying, so a client's next request sees both.
        if !degraded {
            results.insert(encoded, for: job.resultKey, cost: encoded.byteCount)
            latents.finals.insert(result.latents, for: LatentCache.FinalKey(job.resultKey), cost: result.latents.count * 4)
        }
        if !reusedLatents { costs.observe(shape(job), fixedMs: (t.textEncoding + t.decode) * 1000 + timings.encode, stepMs: t.steps.map { $0 * 1000 }) }
        markDone(job)
        outbox.push(.reply(job.envelope, WireCodec.encodeReply(.generate(
            GenerateReply(id: job.request.id, delivered: report, timings: timings, image: encoded.image, payload: encoded.payload)))))
        let outcome: ServerStatistics.DeadlineOutcome = late ? .late : (degraded ? .degraded : .met)
        statistics.delivered(kind: job.request.kind.rawValue, outcome: outcome, latencyMs: timings.total)
    }

    private func publishPreview(_ job: Job, progress: StepProgress, topic: String) {
        guard let (image, payload) = try? ResultEncoder.preview(progress.preview()) else { return }
        let message = PreviewMessage(id: job.request.id, step: progress.stepIndex + 1, steps: progress.stepCount,
                                     final: progress.stepIndex + 1 == progress.stepCount, image: image, payload: payload)
        outbox.push(.publish(WireCodec.encodePreview(message, topic: topic)))
    }

    /// Removes an answered job from the in-flight set before its reply leaves, so a client's
    /// next request never sees it still queued ahead.
    private func markDone(_ job: Job) {
        condition.lock()
        inFlight.removeAll { $0 === job }
        condition.unlock()
    }

    func reply(_ job: Job, error code: ErrorCode, _ message: String) {
        markDone(job)
        statistics.errorSent()
        outbox.push(.reply(job.envelope, WireCodec.encodeError(
            WireError(code: code, message: message, id: job.request.id, type: "generate"))))
    }

    private func shape(_ job: Job) -> CostModel.Shape {
        CostModel.Shape(model: job.model.name, width: job.parameters.width, height: job.parameters.height)
    }

    private func predictedMs(_ job: Job) -> Double { costs.predictTotal(shape(job), steps: job.parameters.steps) }

    private func elapsedMs(since t: UInt64) -> Double { Double(MonotonicClock.now() - t) / 1e6 }

    static func tiling(_ t: TesseraWire.Tiling) -> TesseraModels.Tiling {
        switch t {
        case .disabled: return .none
        case .x: return .x
        case .y: return .y
        case .xy: return .xy
        }
    }
}
