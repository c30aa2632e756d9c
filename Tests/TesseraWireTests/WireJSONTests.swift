import XCTest
@testable import TesseraWire

final class WireJSONTests: XCTestCase {
    func parse(_ text: String) -> WireJSON? { try? WireJSONParser.parse(Array(text.utf8)).get() }

    func testBooleansAreNeverNumbers() {
        XCTAssertEqual(parse("true"), .bool(true))
        XCTAssertNil(parse("true")?.doubleValue)
        XCTAssertNil(parse("true")?.int64Value)
        XCTAssertFalse(parse("false")!.isNumber)
        XCTAssertNil(parse("1")?.boolValue)
        XCTAssertNotEqual(parse("1"), parse("true"))
        XCTAssertNotEqual(parse("0"), parse("false"))
    }

    func testIntegersStayExact() {
        XCTAssertEqual(parse("18446744073709551615"), .unsigned(.max))
        XCTAssertEqual(parse("-9223372036854775808"), .integer(.min))
        XCTAssertEqual(parse("9007199254740993")?.uint64Value, 9_007_199_254_740_993)
        XCTAssertNotEqual(parse("9007199254740993"), parse("9007199254740992"))
        XCTAssertEqual(parse("256.0"), .integer(256), "numbers compare by value")
        XCTAssertEqual(parse("1e2")?.int64Value, 100)
        XCTAssertNil(parse("1.5")?.int64Value)
        XCTAssertNil(parse("1e300")?.int64Value)
        XCTAssertEqual(parse("-0"), .integer(0))
    }

    func testRejectsWhatJSONForbids() {
        for text in ["NaN", "Infinity", "-Infinity", "nan", "01", "1.", ".5", "+1", "1e", "0x10", "[1,]", "{\"a\":1,}",
                     "{'a':1}", "{\"a\" 1}", "\"\u{01}\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
                     "\"\\ud800\\u0041\"", "[", "{", "\"abc", "tru", "nul", "// c\n1", "1 2", "", " ", "\u{FEFF}{}",
                     "{\"a\":1,\"a\":2}", "{\"x\":{\"b\":1,\"b\":1}}"] {
            XCTAssertNil(parse(text), "should reject \(text.debugDescription)")
        }
    }

    func testOverflowingNumberIsParsedAsInfinity() {
        XCTAssertEqual(parse("1e999")?.doubleValue, .infinity, "valid JSON; the codec rejects it as a value")
    }

    func testRejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF8, 0x22], [0x22, 0xC0, 0xAF, 0x22]] {
            XCTAssertNil(try? WireJSONParser.parse(bytes).get(), "\(bytes)")
        }
    }

    func testDepthLimit() {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        XCTAssertNotNil(try? WireJSONParser.parse(Array(ok.utf8), maxDepth: 32).get())
        XCTAssertNil(try? WireJSONParser.parse(Array(deep.utf8), maxDepth: 32).get())
        // Far beyond the limit does not exhaust the stack.
        let hostile = String(repeating: "[", count: 100_000)
        XCTAssertNil(try? WireJSONParser.parse(Array(hostile.utf8)).get())
    }

    func testEscapesAndUnicode() {
        XCTAssertEqual(parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83e\uddf1""#), .string("a\"\\/\u{8}\u{C}\n\r\té🧱"))
        XCTAssertEqual(parse("\"é🧱\""), .string("é🧱"))
    }

    func testWriterRoundTripsAndSortsKeys() throws {
        let value: WireJSON = ["b": [1, 2.5, true, nil], "a": "line\n\"q\"\u{1}é", "c": ["x": .unsigned(.max)], "d": -7]
        let bytes = WireJSONWriter.encode(value)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       #"{"a":"line\n\"q\"\u0001é","b":[1,2.5,true,null],"c":{"x":18446744073709551615},"d":-7}"#)
        XCTAssertEqual(try WireJSONParser.parse(bytes).get(), value)
        XCTAssertEqual(String(decoding: WireJSONWriter.encode(.double(.nan)), as: UTF8.self), "null")
        XCTAssertEqual(try WireJSONParser.parse(WireJSONWriter.encode(.double(1e-7))).get(), .double(1e-7))
    }
}
