import XCTest
@testable import TesseraWire

/// Decoding rules beyond the vectors: type confusion, limits, id recovery.
final class WireCodecTests: XCTestCase {
    func frames(_ header: String) -> [[UInt8]] { [ProtocolVersion.signatureFrame, Array(header.utf8)] }

    func decode(_ header: String, limits: WireLimits = .default) -> Result<Request, WireError> {
        WireCodec.decodeRequest(frames(header), limits: limits)
    }

    func error(_ header: String, limits: WireLimits = .default,
               file: StaticString = #filePath, line: UInt = #line) -> WireError? {
        switch decode(header, limits: limits) {
        case .success(let request):
            XCTFail("expected an error, got \(request)", file: file, line: line)
            return nil
        case .failure(let error):
            return error
        }
    }

    func testSignatureFrameIsTESSAndVersion() {
        XCTAssertEqual(ProtocolVersion.signatureFrame, [0x54, 0x45, 0x53, 0x53, 0x01])
    }

    func testBooleanWhereNumberExpectedIsBadField() {
        for member in ["width", "height", "steps", "guidance", "deadline_ms", "seed"] {
            let e = error(#"{"type":"generate","id":"g","kind":"tile","prompt":"p","\#(member)":true}"#)
            XCTAssertEqual(e?.code, .badField, member)
            XCTAssertEqual(e?.field, member)
            XCTAssertEqual(e?.id, "g")
        }
    }

    func testNumberWhereBooleanExpectedIsBadField() {
        for value in ["1", "0", "1.0", "\"true\""] {
            let e = error(#"{"type":"generate","id":"g","kind":"tile","prompt":"p","format":{"srgb":\#(value)}}"#)
            XCTAssertEqual(e?.code, .badField, value)
            XCTAssertEqual(e?.field, "format.srgb")
        }
    }

    func testConfigurableLimits() throws {
        let limits = WireLimits(maxWidth: 256, maxHeight: 256, maxPixels: 256 * 128, maxSteps: 8, maxPromptBytes: 4)
        XCTAssertEqual(error(#"{"type":"generate","id":"g","kind":"tile","prompt":"p","steps":9}"#, limits: limits)?.code, .limitExceeded)
        XCTAssertEqual(error(#"{"type":"generate","id":"g","kind":"tile","prompt":"p","width":264}"#, limits: limits)?.code, .limitExceeded)
        let pixels = error(#"{"type":"generate","id":"g","kind":"tile","prompt":"p","width":256,"height":256}"#, limits: limits)
        XCTAssertEqual(pixels?.code, .limitExceeded)
        XCTAssertEqual(pixels?.field, "width")
        // Prompt limits count UTF-8 bytes, not characters: "éé" is 4 bytes, "ééé" is 6.
        XCTAssertNoThrow(try decode(#"{"type":"generate","id":"g","kind":"tile","prompt":"éé"}"#, limits: limits).get())
        XCTAssertEqual(error(#"{"type":"generate","id":"g","kind":"tile","prompt":"ééé"}"#, limits: limits)?.code, .limitExceeded)
        let request = try decode(#"{"type":"generate","id":"g","kind":"tile","prompt":"p","steps":8,"width":256,"height":128}"#, limits: limits).get()
        guard case .generate(let generate) = request else { return XCTFail() }
        XCTAssertEqual(generate.steps, 8)
        XCTAssertEqual(generate.width, 256)
    }

    func testFrameLimitsAreChecked() {
        let limits = WireLimits(maxFrameBytes: 16)
        let e = WireCodec.decodeRequest(frames(#"{"type":"ping","id":"long-enough-header"}"#), limits: limits)
        XCTAssertEqual(e.failure?.code, .tooLarge)
    }

    func testIDIsRecoveredForEarlyFailures() {
        let header = Array(#"{"type":"generate","id":"abc","kind":"tile","prompt":"p"}"#.utf8)
        let bad = WireCodec.decodeRequest([Array("XXXX".utf8) + [1], header])
        XCTAssertEqual(bad.failure?.code, .badSignature)
        XCTAssertEqual(bad.failure?.id, "abc")
        XCTAssertEqual(bad.failure?.type, "generate")
        let reply = try? WireJSONParser.parse(WireCodec.encodeError(bad.failure!)[1]).get()
        XCTAssertEqual(reply?["id"], "abc")
        XCTAssertEqual(reply?["status"], "error")
        XCTAssertEqual(reply?["code"], "bad_signature")
    }

    func testUnrecoverableIDIsNullInTheReply() throws {
        let failure = try XCTUnwrap(WireCodec.decodeRequest([]).failure)
        XCTAssertNil(failure.id)
        let header = try WireJSONParser.parse(WireCodec.encodeError(failure)[1]).get()
        XCTAssertEqual(header["id"], .null)
        XCTAssertEqual(header["code"], "bad_frame")
    }

    func testDefaultsFollowKind() throws {
        let tile = try decode(#"{"type":"generate","id":"a","kind":"tile","prompt":"p"}"#).get()
        let backdrop = try decode(#"{"type":"generate","id":"b","kind":"backdrop","prompt":"p"}"#).get()
        guard case .generate(let t) = tile, case .generate(let b) = backdrop else { return XCTFail() }
        XCTAssertEqual(t.tiling, .xy)
        XCTAssertEqual(b.tiling, .x)
        XCTAssertEqual(t.format, OutputFormat(type: .rgba8, mips: false, srgb: true))
        XCTAssertEqual(t.onMiss, .degrade)
        XCTAssertNil(t.seed)
        XCTAssertNil(t.deadlineMilliseconds)
    }

    func testSeedEncodingSwitchesToStringAbove2To53() {
        XCTAssertEqual(WireCodec.seedJSON(1 << 53), .integer(1 << 53))
        XCTAssertEqual(WireCodec.seedJSON((1 << 53) + 1), .string("9007199254740993"))
        XCTAssertEqual(WireCodec.seedJSON(.max), .string("18446744073709551615"))
    }

    func testKnownErrorCodesAreDistinctWireStrings() {
        XCTAssertEqual(Set(ErrorCode.known.map(\.rawValue)).count, ErrorCode.known.count)
        XCTAssertTrue(ErrorCode.known.allSatisfy { $0.rawValue.allSatisfy { $0.isLowercase || $0 == "_" } })
    }

    func testUnknownErrorCodeFromNewerServerSurvives() throws {
        let frames = [ProtocolVersion.signatureFrame, Array(#"{"status":"error","id":"x","code":"quota_exceeded","message":"m"}"#.utf8)]
        guard case .error(let reply) = try WireCodec.decodeReply(frames).get() else { return XCTFail() }
        XCTAssertEqual(reply.code.rawValue, "quota_exceeded")
        XCTAssertFalse(ErrorCode.known.contains(reply.code))
    }

    func testReplyPayloadMustMatchImage() {
        let image = ImageDescription.rgba8(width: 8, height: 8, mips: false)
        var reply = GenerateReply(id: "g", delivered: DeliveryReport(steps: 1, seed: 1, model: "m"),
                                  timings: StageTimings(), image: image, payload: [[UInt8](repeating: 0, count: 256)])
        XCTAssertNoThrow(try WireCodec.decodeReply(WireCodec.encodeReply(.generate(reply))).get())
        reply.payload = [[UInt8](repeating: 0, count: 255)]
        XCTAssertEqual(WireCodec.decodeReply(WireCodec.encodeReply(.generate(reply))).failure?.code, .badFrame)
        reply.payload = []
        XCTAssertEqual(WireCodec.decodeReply(WireCodec.encodeReply(.generate(reply))).failure?.code, .badFrame)
    }

    func testReplyWithWrongSignatureIsRejected() {
        var frames = WireCodec.encodeReply(.ping(id: "p"))
        frames[0][4] = 9
        XCTAssertEqual(WireCodec.decodeReply(frames).failure?.code, .unsupportedVersion)
    }
}

extension Result {
    /// The error of a failed result, for concise assertions.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// The worked example of PROTOCOL.md §15 is what the codec produces.
final class SpecExampleTests: XCTestCase {
    func testPingExampleBytes() throws {
        let request = WireCodec.encodeRequest(.ping(id: "p1"))
        XCTAssertEqual(request[0], [0x54, 0x45, 0x53, 0x53, 0x01])
        XCTAssertEqual(try WireCodec.decodeRequest([request[0], Array(#"{"type":"ping","id":"p1"}"#.utf8)]).get(), .ping(id: "p1"))
        let reply = WireCodec.encodeReply(.ping(id: "p1"))
        XCTAssertEqual(String(decoding: reply[1], as: UTF8.self), #"{"id":"p1","status":"ok","type":"ping"}"#)
    }
}
