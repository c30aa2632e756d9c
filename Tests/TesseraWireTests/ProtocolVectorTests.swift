import Foundation
import XCTest
@testable import TesseraWire

/// Decodes every vector in `protocol/vectors/` and checks the outcome it states.
final class ProtocolVectorTests: XCTestCase {
    struct Vector {
        let name: String
        let description: String
        let frames: [[UInt8]]
        let expect: WireJSON
    }

    static func loadVectors() throws -> [Vector] {
        let directory = Fixtures.repository.appendingPathComponent("protocol/vectors")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
            let json = try WireJSONParser.parse(bytes).get()
            guard case .array(let frameSpecs)? = json["frames"], let expect = json["expect"] else {
                throw VectorError.malformed(name)
            }
            return Vector(name: name, description: json["description"]?.stringValue ?? "",
                          frames: try frameSpecs.map { try frame($0, in: name) }, expect: expect)
        }
    }

    enum VectorError: Error { case malformed(String) }

    /// Builds one frame from its vector notation (see protocol/vectors/README.md).
    static func frame(_ spec: WireJSON, in name: String) throws -> [UInt8] {
        if let hex = spec["hex"]?.stringValue {
            let digits = Array(hex.utf8)
            guard digits.count % 2 == 0 else { throw VectorError.malformed(name) }
            return try stride(from: 0, to: digits.count, by: 2).map { i in
                guard let byte = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else {
                    throw VectorError.malformed(name)
                }
                return byte
            }
        }
        if let text = spec["text"]?.stringValue { return Array(text.utf8) }
        if case .array(let parts)? = spec["concat"] { return try parts.flatMap { try frame($0, in: name) } }
        if let part = spec["repeat"], let count = spec["count"]?.int64Value {
            let bytes = try frame(part, in: name)
            return Array([[UInt8]](repeating: bytes, count: Int(count)).joined())
        }
        throw VectorError.malformed(name)
    }

    func testThereAreEnoughVectors() throws {
        let vectors = try Self.loadVectors()
        XCTAssertGreaterThanOrEqual(vectors.filter { $0.name.hasPrefix("valid-") }.count, 10)
        XCTAssertGreaterThanOrEqual(vectors.filter { $0.name.hasPrefix("invalid-") }.count, 25)
    }

    func testEveryVectorDecodesAsExpected() throws {
        for vector in try Self.loadVectors() {
            let context = "\(vector.name): \(vector.description)"
            let result = WireCodec.decodeRequest(vector.frames, limits: .default)
            if let expected = vector.expect["request"] {
                switch result {
                case .failure(let error):
                    XCTFail("\(context): expected a request, got \(error)")
                case .success(let request):
                    let canonical = WireCodec.encodeRequest(request)
                    let header = try WireJSONParser.parse(canonical[1]).get()
                    XCTAssertEqual(header, expected, "\(context): canonical form differs")
                    // The canonical form decodes to the same request.
                    XCTAssertEqual(try WireCodec.decodeRequest(canonical).get(), request, context)
                }
            } else if let expected = vector.expect["error"] {
                switch result {
                case .success(let request):
                    XCTFail("\(context): expected an error, got \(request)")
                case .failure(let error):
                    XCTAssertEqual(error.code.rawValue, expected["code"]?.stringValue, "\(context): \(error)")
                    XCTAssertEqual(error.id.map(WireJSON.string) ?? .null, expected["id"] ?? .null, "\(context): recovered id")
                    if let field = expected["field"] {
                        XCTAssertEqual(error.field.map(WireJSON.string), field, "\(context): field")
                        XCTAssertTrue(error.message.contains(error.field ?? "\u{0}"), "\(context): message must name the field")
                    }
                    XCTAssertFalse(error.message.isEmpty, context)
                    // The error reply itself is a well-formed reply.
                    let reply = try WireCodec.decodeReply(WireCodec.encodeError(error)).get()
                    XCTAssertEqual(reply, .error(error.reply), context)
                }
            } else {
                XCTFail("\(vector.name): expect has neither request nor error")
            }
        }
    }
}
