import Foundation
import XCTest
@testable import TesseraServer
import TesseraWire
import TesseraZMQ

/// Acceptance checks of the daemon issue: many kinds of bad input, and many clients at once.
final class DaemonRobustnessTests: XCTestCase {
    static let sig: [UInt8] = Array("TESS".utf8) + [1]
    var sig: [UInt8] { Self.sig }

    static func header(_ json: String) -> [[UInt8]] { [sig, Array(json.utf8)] }

    /// Each malformed message gets an error reply with the expected code; serving continues.
    func testTwentyFiveKindsOfBadInput() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let c = try d.dealer()
        let big = String(repeating: "x", count: 100_000)
        let g = #""type":"generate","kind":"tile""#
        let cases: [(String, [[UInt8]], ErrorCode)] = [
            ("wrong signature", [Array("NOPE!".utf8), Array("{}".utf8)], .badSignature),
            ("unknown version", [Array("TESS".utf8) + [9], Array(#"{"type":"ping"}"#.utf8)], .unsupportedVersion),
            ("short signature", [Array("TES".utf8)], .badSignature),
            ("no header frame", [sig], .badFrame),
            ("broken JSON", Self.header("{\"type\": \"ping\""), .badJSON),
            ("header not an object", Self.header("[1,2,3]"), .badJSON),
            ("huge JSON header", Self.header("{\"type\":\"ping\",\"pad\":\"\(String(repeating: "a", count: 70_000))\"}"), .tooLarge),
            ("missing type", Self.header(#"{"id":"x"}"#), .missingField),
            ("unknown type", Self.header(#"{"type":"fly","id":"x"}"#), .unknownType),
            ("missing prompt", Self.header("{\(g),\"id\":\"a\"}"), .missingField),
            ("missing id", Self.header("{\(g),\"prompt\":\"x\"}"), .missingField),
            ("prompt wrong type", Self.header("{\(g),\"id\":\"a\",\"prompt\":42}"), .badField),
            ("width wrong type", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"width\":\"wide\"}"), .badField),
            ("zero width", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"width\":0,\"height\":32}"), .badField),
            ("width not multiple of 8", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"width\":33,\"height\":32}"), .badField),
            ("oversized", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"width\":8192,\"height\":8192}"), .limitExceeded),
            ("too many steps", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"steps\":5000}"), .limitExceeded),
            ("NaN guidance", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"guidance\":NaN}"), .badJSON),
            ("infinite guidance", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"guidance\":1e999}"), .badField),
            ("negative seed", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"seed\":-5}"), .badField),
            ("seed beyond 64 bits", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"seed\":\"18446744073709551616\"}"), .badField),
            ("100 KB prompt", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"\(big)\"}"), .tooLarge),
            ("unknown model", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"model\":\"nope\"}"), .unknownModel),
            ("unknown format", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"format\":{\"type\":\"jpeg\"}}"), .unknownFormat),
            ("extra frames", Self.header(#"{"type":"ping","id":"p"}"#) + [[1, 2, 3]], .badFrame),
            ("too many frames", Self.header(#"{"type":"ping"}"#) + Array(repeating: [0], count: 20), .tooLarge),
            ("unknown tiling", Self.header("{\(g),\"id\":\"a\",\"prompt\":\"x\",\"tiling\":\"z\"}"), .badField),
            ("unknown kind", Self.header("{\"type\":\"generate\",\"kind\":\"sphere\",\"id\":\"a\",\"prompt\":\"x\"}"), .badField),
            ("cancel unknown id", Self.header(#"{"type":"cancel","id":"c","target":"ghost"}"#), .unknownID),
        ]
        XCTAssertGreaterThanOrEqual(cases.count, 25)
        for (name, frames, expected) in cases {
            try c.sendRaw(frames)
            let reply = try c.receive()
            guard let failure = reply.failure else { XCTFail("\(name): expected an error, got \(reply)"); continue }
            // The 100 KB prompt and the huge header exceed frame or field limits; either code names the limit.
            if expected == .tooLarge {
                XCTAssertTrue([ErrorCode.tooLarge, .limitExceeded].contains(failure.code), "\(name): \(failure.code) \(failure.message)")
            } else {
                XCTAssertEqual(failure.code, expected, "\(name): \(failure.message)")
            }
            XCTAssertFalse(failure.message.isEmpty, name)
        }
        guard case .ping = try c.call(.ping(id: "alive")) else { return XCTFail("daemon stopped serving") }
        let ok = try c.call(.generate(GenerateRequest(id: "fine", prompt: "brick", seed: 1, width: 16, height: 16, steps: 1)))
        XCTAssertNotNil(ok.generated, "\(ok)")
    }

    /// 8 DEALER clients, 400 requests with mixed sizes and deadlines: exactly one reply each.
    /// The queue holds 256, so when the transport reads faster than the worker drains, some
    /// requests are refused with `busy`; a refusal is still their one reply.
    func testEightClientsFourHundredRequests() throws {
        let d = try DaemonHarness()
        defer { d.stop() }
        let clients = try (0..<8).map { _ in try d.dealer() }
        var expected: [Int: Set<String>] = [:]
        for i in 0..<400 {
            let client = i % 8
            let id = "c\(client)-r\(i)"
            expected[client, default: []].insert(id)
            let deadline: Int? = [nil, 1, 50, 5_000][i % 4]
            let size = [16, 24, 32][i % 3]
            try clients[client].send(.generate(GenerateRequest(
                id: id, prompt: "tile \(i % 5)", seed: UInt64(i % 17), width: size, height: size, steps: 1 + i % 2,
                deadlineMilliseconds: deadline, onMiss: [.degrade, .drop, .late][i % 3])))
        }
        var generated = 0
        for (client, ids) in expected {
            var seen: [String] = []
            for _ in 0..<ids.count {
                let reply = try clients[client].receive(timeout: 120)
                switch reply {
                case .generate(let g): seen.append(g.id); generated += 1
                case .error(let e):
                    XCTAssertTrue([ErrorCode.deadlineUnmet, .dropped, .busy].contains(e.code), "\(e.code): \(e.message)")
                    seen.append(e.id ?? "?")
                default: XCTFail("unexpected \(reply)")
                }
            }
            XCTAssertEqual(seen.count, Set(seen).count, "client \(client) got a duplicate")
            XCTAssertEqual(Set(seen), ids, "client \(client)")
            XCTAssertThrowsError(try clients[client].receive(timeout: 0.2), "client \(client) got an extra reply")
        }
        // At least the queue's worth of requests was accepted; many of those are generated.
        XCTAssertGreaterThan(generated, 50, "the daemon generated almost nothing")
    }
}
