import XCTest
@testable import TesseraWire

/// Random mutations of valid messages never crash the decoder, and every failure has a code.
final class WireFuzzTests: XCTestCase {
    /// SplitMix64: deterministic, so a failure reproduces.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [[[UInt8]]] = WireRoundTripTests.requests.map(WireCodec.encodeRequest) + [
        [ProtocolVersion.signatureFrame, Array(#"{"type":"generate","id":"g","kind":"tile","prompt":"caf\u00e9","seed":"18446744073709551615","width":256.0,"format":{"type":"png"},"extra":[1,{"a":null}]}"#.utf8)],
    ]

    func mutate(_ message: [[UInt8]], _ rng: inout SplitMix64) -> [[UInt8]] {
        var frames = message
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1:  // flip bytes
                guard let f = frames.indices.randomElement(using: &rng), !frames[f].isEmpty else { continue }
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let i = Int.random(in: 0..<frames[f].count, using: &rng)
                    frames[f][i] ^= UInt8.random(in: 1...255, using: &rng)
                }
            case 2:  // replace a byte with a JSON-significant one
                guard let f = frames.indices.randomElement(using: &rng), !frames[f].isEmpty else { continue }
                let i = Int.random(in: 0..<frames[f].count, using: &rng)
                frames[f][i] = Array(#"{}[]",:\"0-e.tfn "#.utf8).randomElement(using: &rng)!
            case 3:  // truncate
                guard let f = frames.indices.randomElement(using: &rng) else { continue }
                frames[f] = Array(frames[f].prefix(Int.random(in: 0...frames[f].count, using: &rng)))
            case 4:  // drop a frame
                guard let f = frames.indices.randomElement(using: &rng) else { continue }
                frames.remove(at: f)
            case 5:  // duplicate a frame
                guard let f = frames.indices.randomElement(using: &rng) else { continue }
                frames.insert(frames[f], at: Int.random(in: 0...frames.count, using: &rng))
            case 6:  // insert random bytes
                guard let f = frames.indices.randomElement(using: &rng) else { continue }
                let i = Int.random(in: 0...frames[f].count, using: &rng)
                frames[f].insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
            default:  // swap two frames
                guard frames.count >= 2 else { continue }
                frames.swapAt(Int.random(in: 0..<frames.count, using: &rng), Int.random(in: 0..<frames.count, using: &rng))
            }
        }
        return frames
    }

    func testMutatedRequestsNeverCrashAndAlwaysGetACode() {
        var rng = SplitMix64(state: 0x7E55_E4A1)
        var outcomes: [String: Int] = [:]
        for iteration in 0..<2000 {
            let original = Self.seeds[iteration % Self.seeds.count]
            let frames = mutate(original, &rng)
            switch WireCodec.decodeRequest(frames) {
            case .success(let request):
                outcomes["ok", default: 0] += 1
                // Anything accepted is valid: it re-encodes and decodes to itself.
                XCTAssertEqual(try WireCodec.decodeRequest(WireCodec.encodeRequest(request)).get(), request)
            case .failure(let error):
                outcomes[error.code.rawValue, default: 0] += 1
                XCTAssertTrue(ErrorCode.known.contains(error.code), "iteration \(iteration): \(error.code)")
                XCTAssertFalse(error.message.isEmpty)
                // The error reply encodes and decodes.
                XCTAssertNoThrow(try WireCodec.decodeReply(WireCodec.encodeError(error)).get())
            }
        }
        XCTAssertGreaterThan(outcomes.count, 4, "mutations should reach many code paths: \(outcomes)")
    }

    func testMutatedRepliesNeverCrash() {
        var rng = SplitMix64(state: 0xBEEF)
        let image = ImageDescription.rgba8(width: 4, height: 2, mips: true)
        let reply = WireCodec.encodeReply(.generate(GenerateReply(
            id: "g", delivered: DeliveryReport(steps: 1, seed: 3, model: "m"), timings: StageTimings(),
            image: image, payload: image.mips.map { [UInt8](repeating: 1, count: $0.bytes) })))
        let hello = WireCodec.encodeReply(.hello(HelloReply(id: "h", server: "s", models: [ModelInfo(name: "m", nativeWidth: 8, nativeHeight: 8)],
                                                            defaultModel: "m", limits: .default)))
        for iteration in 0..<1000 {
            let frames = mutate(iteration % 2 == 0 ? reply : hello, &rng)
            if case .failure(let error) = WireCodec.decodeReply(frames) {
                XCTAssertFalse(error.code.rawValue.isEmpty)
            }
        }
    }

    func testRandomBytesAsHeaderNeverCrash() {
        var rng = SplitMix64(state: 42)
        for _ in 0..<500 {
            let header = (0..<Int.random(in: 0...64, using: &rng)).map { _ in
                Array(#"{}[]",:\"0123456789-+eE.tfalsnu \#u{7F}"#.utf8).randomElement(using: &rng)!
            }
            _ = WireCodec.decodeRequest([ProtocolVersion.signatureFrame, header])
            _ = WireJSONParser.parse(header)
        }
    }
}
