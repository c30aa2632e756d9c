import XCTest
@testable import TesseraImage

final class PNGCodecTests: XCTestCase {
    func testRoundTripIsLossless() throws {
        var pixels = [UInt8](repeating: 0, count: 7 * 5 * 4)
        var state: UInt32 = 12345
        for i in pixels.indices { state = state &* 1664525 &+ 1013904223; pixels[i] = UInt8(truncatingIfNeeded: state >> 24) }
        let image = RGBAImage(width: 7, height: 5, pixels: pixels)
        let png = try PNGCodec.encode(image)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(try PNGCodec.decode(png), image)
    }

    func testGarbageIsAnErrorNotACrash() {
        XCTAssertThrowsError(try PNGCodec.decode([1, 2, 3, 4]))
        XCTAssertThrowsError(try PNGCodec.decode([]))
    }

    func testTruncatedPNGIsAnError() throws {
        let image = RGBAImage(width: 16, height: 16, pixels: (0..<1024).map { UInt8($0 % 251) })
        let png = try PNGCodec.encode(image)
        XCTAssertThrowsError(try PNGCodec.decode(Array(png.prefix(png.count / 2))))
    }
}
