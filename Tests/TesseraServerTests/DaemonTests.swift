import Foundation
import XCTest
import TesseraDiffusion
import TesseraImage
@testable import TesseraServer
import TesseraWire
import TesseraZMQ

/// The daemon over real ZeroMQ sockets on loopback, with the tiny fixture model.
final class DaemonTests: XCTestCase {
    func generate(_ id: String, prompt: String = "mossy brick", seed: UInt64 = 5, size: Int = 32, steps: Int = 2,
                  format: OutputFormat = OutputFormat(), deadline: Int? = nil, onMiss: MissPolicy = .degrade,
                  preview: String? = nil, model: String? = nil) -> Request {
        .generate(GenerateRequest(id: id, model: model, prompt: prompt, seed: seed, width: size, height: size, steps: steps,
                                  format: format, deadlineMilliseconds: deadline, onMiss: onMiss,
                                  preview: preview.map { PreviewRequest(topic: $0) }))
    }

    func testHelloPingStats() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let c = try d.dealer()
        guard case .ping(let id) = try c.call(.ping(id: "p1")) else { return XCTFail("expected pong") }
        XCTAssertEqual(id, "p1")
        guard case .hello(let hello) = try c.call(.hello(id: "h")) else { return XCTFail("expected hello") }
        XCTAssertEqual(hello.protocolVersion, ProtocolVersion.major)
        XCTAssertEqual(hello.models.map(\.name), ["tiny"])
        XCTAssertEqual(hello.defaultModel, "tiny")
        guard case .stats(let stats) = try c.call(.stats(id: "s")) else { return XCTFail("expected stats") }
        XCTAssertGreaterThanOrEqual(stats.requests, 3)
        XCTAssertEqual(stats.queueDepth, 0)
    }

    /// The warm-up runs every model once and leaves no trace in caches or counters.
    func testWarmUpRunsEachModelOutsideCachesAndCounters() throws {
        let d = try DaemonHarness(warmUp: true)
        defer { d.stop() }
        XCTAssertEqual(d.warmUps.map(\.model), ["tiny"])
        XCTAssertGreaterThan(d.warmUps[0].milliseconds, 0)
        let c = try d.dealer()
        guard case .stats(let stats) = try c.call(.stats(id: "s")) else { return XCTFail("expected stats") }
        for (name, cache) in stats.caches {
            XCTAssertEqual(cache.hits + cache.misses, 0, "\(name) cache was touched by the warm-up")
        }
        XCTAssertEqual(stats.requests, 1)  // the stats request itself
    }

    /// The daemon's pixels are the pipeline's pixels, mips are box-filtered levels, PNG decodes
    /// to the same image, and a repeated request is a cache hit with identical bytes.
    func testGenerateMatchesPipelineAndCaches() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let c = try d.dealer()
        let reply = try XCTUnwrap(try c.call(generate("g1", format: OutputFormat(type: .rgba8, mips: true, srgb: true))).generated)
        XCTAssertEqual(reply.delivered.steps, 2)
        XCTAssertEqual(reply.delivered.cache, .miss)
        XCTAssertFalse(reply.delivered.degraded)
        XCTAssertEqual(reply.payload.map(\.count), [4096, 1024, 256, 64, 16, 4])
        XCTAssertEqual(reply.image.mips.count, 6)

        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: Fixtures.url("pipelines/sd1_tiny")))
        let direct = try pipeline.generate(GenerationParameters(prompt: "mossy brick", seed: 5, steps: 2, width: 32, height: 32, tiling: .xy))
        XCTAssertEqual(reply.payload[0], try ImageConversion.rgba8(fromDecoded: direct.image)[0], "tiles default to xy tiling")

        let again = try XCTUnwrap(try c.call(generate("g2", format: OutputFormat(type: .rgba8, mips: true, srgb: true))).generated)
        XCTAssertEqual(again.delivered.cache, .hit)
        XCTAssertEqual(again.payload, reply.payload)

        // Same generation in another format: the final latents are reused, the UNet does not run.
        let png = try XCTUnwrap(try c.call(generate("g3", format: OutputFormat(type: .png))).generated)
        XCTAssertEqual(png.payload.count, 1)
        XCTAssertEqual(try PNGCodec.decode(png.payload[0]).pixels, reply.payload[0])
        XCTAssertEqual(png.delivered.cache, .partial)
        XCTAssertEqual(png.timings.unet, 0)
        // Same seed and shape, another prompt: the initial noise comes from the latent cache.
        _ = try XCTUnwrap(try c.call(generate("g4", prompt: "lava", format: OutputFormat(type: .png))).generated)
        guard case .stats(let stats) = try c.call(.stats(id: "s")) else { return XCTFail() }
        XCTAssertEqual(stats.caches["latent"]?.hits, 2)
        XCTAssertEqual(stats.caches["result"]?.hits, 1)
    }

    /// Malformed and hostile input gets an error reply with a code, and the daemon keeps serving.
    func testBadInputGetsErrorsAndServingContinues() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let c = try d.dealer()
        let sig: [UInt8] = Array("TESS".utf8) + [1]
        let cases: [([[UInt8]], ErrorCode)] = [
            ([[1, 2, 3]], .badSignature),
            ([sig, Array("{not json".utf8)], .badJSON),
            ([sig, Array(#"{"type":"generate","id":"a","kind":"tile","prompt":"x","guidance":NaN}"#.utf8)], .badJSON),
            ([sig, Array(#"{"type":"generate","id":"b","kind":"tile","prompt":"x","width":100000,"height":8}"#.utf8)], .limitExceeded),
            ([sig, Array(#"{"type":"generate","id":"c","kind":"tile","prompt":"x","steps":0}"#.utf8)], .badField),
            ([sig, Array(#"{"type":"generate","id":"d","kind":"tile","model":"nope","prompt":"x"}"#.utf8)], .unknownModel),
            ([sig, Array(#"{"type":"teleport","id":"e"}"#.utf8)], .unknownType),
            ([sig, Array("{\"type\":\"generate\",\"id\":\"f\",\"kind\":\"tile\",\"prompt\":\"\(String(repeating: "brick ", count: 2000))\"}".utf8)], .limitExceeded),
            ([sig, Array(#"{"type":"generate","id":"g","kind":"tile","prompt":"x","seed":-1}"#.utf8)], .badField),
            ([sig, Array(#"{"type":"generate","id":"h","kind":"tile","prompt":"x","guidance":1e999}"#.utf8)], .badField),
            ([sig], .badFrame),
        ]
        for (frames, expected) in cases {
            try c.sendRaw(frames)
            let reply = try c.receive()
            XCTAssertEqual(reply.failure?.code, expected, "\(reply)")
            XCTAssertFalse(reply.failure?.message.isEmpty ?? true)
        }
        guard case .ping = try c.call(.ping(id: "still-alive")) else { return XCTFail("daemon stopped serving") }
    }

    /// Many requests from two clients in flight: each gets exactly one reply, correlated by id.
    func testConcurrentClientsEachGetExactlyOneReply() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let a = try d.dealer(), b = try d.dealer()
        for i in 0..<4 {
            try a.send(generate("a\(i)", seed: UInt64(i)))
            try b.send(generate("b\(i)", seed: UInt64(100 + i)))
        }
        var idsA: [String] = [], idsB: [String] = []
        for _ in 0..<4 {
            idsA.append(try XCTUnwrap(try a.receive().generated?.id))
            idsB.append(try XCTUnwrap(try b.receive().generated?.id))
        }
        XCTAssertEqual(Set(idsA), ["a0", "a1", "a2", "a3"])
        XCTAssertEqual(Set(idsB), ["b0", "b1", "b2", "b3"])
        // Nothing further arrives.
        XCTAssertThrowsError(try a.receive(timeout: 0.3))
    }

    func testDeadlinesAdmitOrRefuse() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let c = try d.dealer()
        // Nothing can finish in 1 ms: refused at once rather than answered late.
        let refused = try c.call(generate("tight", deadline: 1, onMiss: .drop))
        XCTAssertEqual(refused.failure?.code, .deadlineUnmet)
        let degradedToo = try c.call(generate("tight2", deadline: 1, onMiss: .degrade))
        XCTAssertEqual(degradedToo.failure?.code, .deadlineUnmet)
        // "late" delivers the full result even past the deadline, marked late.
        let late = try XCTUnwrap(try c.call(generate("late", seed: 9, deadline: 1, onMiss: .late)).generated)
        XCTAssertEqual(late.delivered.steps, 2)
        XCTAssertTrue(late.delivered.late)
        let relaxed = try XCTUnwrap(try c.call(generate("ok", seed: 10, deadline: 60_000)).generated)
        XCTAssertFalse(relaxed.delivered.late)
        guard case .stats(let stats) = try c.call(.stats(id: "s")) else { return XCTFail() }
        XCTAssertEqual(stats.deadlines["tile"]?.missed, 2)
        XCTAssertEqual(stats.deadlines["tile"]?.late, 1)
    }

    /// With a learned cost model, a deadline that fits only fewer steps is met by degrading.
    func testDegradesStepsToMeetDeadline() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let c = try d.dealer()
        for i in 0..<3 { _ = try c.call(generate("warm\(i)", seed: UInt64(50 + i), steps: 2)) }
        let p = d.server.scheduler.costs.predict(.init(model: "tiny", width: 32, height: 32))
        // A budget for the scheduler's safety slack, the fixed part and about two steps, asking for 8.
        // (Without the slack, a fast machine's budget leaves room for no step at all.)
        let budget = Int(GenerationScheduler.slackMs + p.fixedMs + 3.5 * p.perStepMs) + 1
        let reply = try c.call(generate("deg", seed: 77, steps: 8, deadline: budget, onMiss: .degrade))
        let g = try XCTUnwrap(reply.generated, "\(reply)")
        XCTAssertTrue(g.delivered.degraded)
        XCTAssertLessThan(g.delivered.steps, 8)
        XCTAssertNotNil(g.delivered.reason)
    }

    func testCancelGetsOneReplyPerRequest() throws {
        let d = try DaemonHarness(maxBatch: 1)
        defer { d.stop() }
        let c = try d.dealer()
        // Keep the compute thread busy so the second job is still queued when cancelled.
        try c.send(generate("busy", seed: 1, size: 64, steps: 8))
        try c.send(generate("victim", seed: 2, size: 64, steps: 8))
        try c.send(.cancel(CancelRequest(id: "k", target: "victim")))
        var byID: [String: Reply] = [:]
        for _ in 0..<3 { let r = try c.receive(); byID[r.id ?? "?"] = r }
        if case .cancel(let ok) = byID["k"] {
            XCTAssertEqual(ok.target, "victim")
            XCTAssertEqual(byID["victim"]?.failure?.code, .cancelled)
        } else {
            // The victim finished first; then the cancel found nothing pending.
            XCTAssertEqual(byID["k"]?.failure?.code, .unknownID)
            XCTAssertNotNil(byID["victim"]?.generated)
        }
        XCTAssertNotNil(byID["busy"]?.generated)
        XCTAssertEqual(try c.call(.cancel(CancelRequest(id: "k2", target: "never-sent"))).failure?.code, .unknownID)
    }

    func testPreviewsArePublishedOnTheStream() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let sub = try d.subscriber(topic: "tiles/")
        let c = try d.dealer()
        // Subscriptions propagate asynchronously; wait until the daemon has seen ours.
        Thread.sleep(forTimeInterval: 0.3)
        let reply = try XCTUnwrap(try c.call(generate("pv", seed: 3, steps: 2, preview: "tiles/pv")).generated)
        XCTAssertEqual(reply.delivered.steps, 2)
        var poller = ZMQPoller()
        _ = poller.register(sub)
        var steps: [Int] = []
        while steps.count < 2, try poller.poll(seconds: 5).first?.contains(.readable) == true, let frames = try sub.tryReceive() {
            let (topic, preview) = try WireCodec.decodePreview(frames).get()
            XCTAssertEqual(topic, "tiles/pv")
            XCTAssertEqual(preview.id, "pv")
            XCTAssertEqual(preview.payload[0].count, preview.image.width * preview.image.height * 4)
            steps.append(preview.step)
        }
        XCTAssertEqual(steps, [1, 2])
        guard case .stats(let stats) = try c.call(.stats(id: "s")) else { return XCTFail() }
        XCTAssertEqual(stats.streamPublished, 2)
    }

    /// A second daemon on the same cache directory serves a known prompt without the text encoder.
    func testPromptCachePersistsAcrossRestarts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-cache-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let first = try DaemonHarness(cacheDirectory: dir)
            let g = try XCTUnwrap(try first.dealer().call(generate("one", prompt: "weathered copper plates", seed: 1)).generated)
            XCTAssertEqual(g.delivered.cache, .miss)
            first.stop()
        }
        // A torn file next to the good one must be ignored, not served.
        try Data([0x54, 0x53, 0x50, 0x43, 1, 9, 9]).write(to: dir.appendingPathComponent("prompts/ffffffffffffffff.emb"))
        let second = try DaemonHarness(cacheDirectory: dir)
        defer { second.stop() }
        let g = try XCTUnwrap(try second.dealer().call(generate("two", prompt: "weathered copper plates", seed: 2)).generated)
        XCTAssertEqual(g.delivered.cache, .partial, "prompt embedding came from the persisted cache")
        // A counter, not a timing, proves the encoder was skipped: the embedding was read from disk.
        XCTAssertEqual(second.server.prompts.statistics.diskHits, 1)
    }

    /// Shutdown answers everything: finished work is delivered, queued work gets shutting_down.
    func testShutdownAnswersEveryAcceptedRequest() throws {
        let d = try DaemonHarness(maxBatch: 1)
        let c = try d.dealer()
        for i in 0..<5 { try c.send(generate("s\(i)", seed: UInt64(i), size: 64, steps: 4)) }
        Thread.sleep(forTimeInterval: 0.2)
        let server = d.server
        let stopper = Thread { server.shutdown() }
        stopper.start()
        var answered = Set<String>()
        for _ in 0..<5 {
            let r = try c.receive()
            if let f = r.failure { XCTAssertEqual(f.code, .shuttingDown) }
            answered.insert(r.id ?? "?")
        }
        XCTAssertEqual(answered, Set((0..<5).map { "s\($0)" }))
        d.server.wait()
        d.context.terminate()
    }
}
