import XCTest
@testable import TesseraWire

/// Requests and replies survive encoding and decoding unchanged.
final class WireRoundTripTests: XCTestCase {
    static let requests: [Request] = [
        .hello(id: "h"), .hello(id: nil), .ping(id: "p"), .ping(id: nil), .stats(id: "s"),
        .cancel(CancelRequest(id: "c", target: "g")),
        .generate(GenerateRequest(id: "g", prompt: "moss")),
        .generate(GenerateRequest(id: "g2", kind: .backdrop, model: "tessera-embedded", prompt: "sky \"quoted\"\n",
                                  negativePrompt: "", seed: .max, width: 512, height: 256, steps: 4, guidance: 7.25,
                                  tiling: .disabled, format: OutputFormat(type: .png, mips: false, srgb: false),
                                  deadlineMilliseconds: 0, onMiss: .late, preview: PreviewRequest(topic: "c/1"))),
        .generate(GenerateRequest(id: "ü🧱", prompt: "\u{1}\u{1F}\t", seed: 0, guidance: 0,
                                  format: OutputFormat(type: .rgba8, mips: true))),
    ]

    func testRequestsRoundTrip() throws {
        for request in Self.requests {
            let frames = WireCodec.encodeRequest(request)
            XCTAssertEqual(frames.count, 2)
            XCTAssertEqual(frames[0], ProtocolVersion.signatureFrame)
            XCTAssertEqual(try WireCodec.decodeRequest(frames).get(), request)
        }
    }

    func testRepliesRoundTrip() throws {
        let rgba = ImageDescription.rgba8(width: 16, height: 8, srgb: true, mips: true)
        XCTAssertEqual(rgba.mips.map { "\($0.width)x\($0.height)" }, ["16x8", "8x4", "4x2", "2x1", "1x1"])
        let pixels = rgba.mips.map { level in (0..<level.bytes).map { UInt8(truncatingIfNeeded: $0 &+ level.level) } }
        let png = ImageDescription.png(width: 8, height: 8, byteCount: 5)
        let replies: [Reply] = [
            .hello(HelloReply(id: "h", server: "tesserad/0.1.0",
                              models: [ModelInfo(name: "tessera-embedded", nativeWidth: 128, nativeHeight: 128,
                                                 defaultSteps: 2, defaultGuidance: 1),
                                       ModelInfo(name: "sd-turbo", nativeWidth: 512, nativeHeight: 512)],
                              defaultModel: "tessera-embedded", limits: WireLimits(maxSteps: 8),
                              streamEndpoint: "tcp://127.0.0.1:5556")),
            .hello(HelloReply(id: nil, server: "s", models: [], defaultModel: nil, limits: .default, formats: [.rgba8])),
            .ping(id: "p"), .ping(id: nil),
            .stats(StatsReply(id: "s", uptimeMilliseconds: 12, queueDepth: 3, inFlight: 1, requests: 40, errors: 2,
                              caches: ["prompt": .init(hits: 5, misses: 1, entries: 6, bytes: 1 << 20)],
                              deadlines: ["tile": .init(met: 30, degraded: 2, missed: 1, late: 0)],
                              latency: ["tile": .init(count: 33, p50: 1.5, p90: 4.25, p99: 9, max: 12.5)],
                              streamPublished: 100, streamDropped: 7)),
            .stats(StatsReply(id: nil)),
            .cancel(CancelReply(id: "c", target: "g")),
            .generate(GenerateReply(id: "g", delivered: DeliveryReport(steps: 2, degraded: true, reason: "fewer_steps",
                                                                       cache: .partial, late: false, seed: .max, model: "m"),
                                    timings: StageTimings(queue: 0.25, encodeText: 1, unet: 20.5, decode: 3, encode: 0.5, total: 25.25),
                                    image: rgba, payload: pixels)),
            .generate(GenerateReply(id: "g3", delivered: DeliveryReport(steps: 4, cache: .hit, late: true, seed: 7, model: "m"),
                                    timings: StageTimings(), image: png, payload: [[0x89, 0x50, 0x4E, 0x47, 0x0D]])),
            .error(ErrorReply(id: nil, code: .badJSON, message: "header is not valid JSON")),
            .error(ErrorReply(id: "g", code: .badField, message: "width: must be a multiple of 8", field: "width", type: "generate")),
            .error(ErrorReply(id: "g", code: .shuttingDown, message: "stopping")),
        ]
        for reply in replies {
            let frames = WireCodec.encodeReply(reply)
            XCTAssertEqual(frames[0], ProtocolVersion.signatureFrame)
            XCTAssertEqual(try WireCodec.decodeReply(frames).get(), reply)
        }
    }

    func testGenerateReplyFramesCarryPayloadInMipOrder() throws {
        let image = ImageDescription.rgba8(width: 4, height: 4, mips: true)
        let payload = image.mips.map { [UInt8](repeating: UInt8($0.level), count: $0.bytes) }
        let reply = GenerateReply(id: "g", delivered: DeliveryReport(steps: 1, seed: 1, model: "m"),
                                  timings: StageTimings(), image: image, payload: payload)
        let frames = WireCodec.encodeReply(.generate(reply))
        XCTAssertEqual(frames.count, 2 + 3)
        XCTAssertEqual(Array(frames[2...]), payload)
        let header = try WireJSONParser.parse(frames[1]).get()
        XCTAssertEqual(header["status"], "ok")
        XCTAssertEqual(header["type"], "generate")
        XCTAssertEqual(header["image"]?["mips"], [
            ["level": 0, "width": 4, "height": 4, "bytes": 64],
            ["level": 1, "width": 2, "height": 2, "bytes": 16],
            ["level": 2, "width": 1, "height": 1, "bytes": 4],
        ])
    }

    func testPreviewRoundTrip() throws {
        let image = ImageDescription.rgba8(width: 8, height: 8, mips: false)
        let preview = PreviewMessage(id: "g", step: 1, steps: 4, final: false, image: image,
                                     payload: [[UInt8](repeating: 9, count: 256)])
        let frames = WireCodec.encodePreview(preview, topic: "client-7/g")
        XCTAssertEqual(frames[0], Array("client-7/g".utf8))
        XCTAssertEqual(frames[1], ProtocolVersion.signatureFrame)
        let decoded = try WireCodec.decodePreview(frames).get()
        XCTAssertEqual(decoded.topic, "client-7/g")
        XCTAssertEqual(decoded.preview, preview)
    }
}
