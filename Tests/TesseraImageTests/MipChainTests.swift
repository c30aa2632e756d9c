import XCTest
@testable import TesseraImage

final class MipChainTests: XCTestCase {
    private func sizes(_ levels: [RGBAImage]) -> [String] { levels.map { "\($0.width)x\($0.height)" } }

    private func noise(width: Int, height: Int, seed: UInt32) -> RGBAImage {
        var state = seed
        let pixels = (0..<width * height * 4).map { _ -> UInt8 in
            state = state &* 1664525 &+ 1013904223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    private func constant(width: Int, height: Int, _ rgba: [UInt8]) -> RGBAImage {
        RGBAImage(width: width, height: height, pixels: Array((0..<width * height).map { _ in rgba }.joined()))
    }

    /// Rolls `image` right by `dx` and down by `dy` pixels, wrapping around.
    private func roll(_ image: RGBAImage, dx: Int, dy: Int) -> RGBAImage {
        var out = image.pixels
        for y in 0..<image.height {
            for x in 0..<image.width {
                let tx = (x + dx) % image.width, ty = (y + dy) % image.height
                for c in 0..<4 { out[(ty * image.width + tx) * 4 + c] = image.pixels[(y * image.width + x) * 4 + c] }
            }
        }
        return RGBAImage(width: image.width, height: image.height, pixels: out)
    }

    func testLevelSizes() {
        for srgb in [false, true] {
            XCTAssertEqual(sizes(MipChain.build(noise(width: 8, height: 8, seed: 1), srgb: srgb)), ["8x8", "4x4", "2x2", "1x1"])
            XCTAssertEqual(sizes(MipChain.build(noise(width: 7, height: 5, seed: 2), srgb: srgb)), ["7x5", "3x2", "1x1"])
            XCTAssertEqual(sizes(MipChain.build(noise(width: 1, height: 1, seed: 3), srgb: srgb)), ["1x1"])
            let wide = MipChain.build(noise(width: 256, height: 64, seed: 4), srgb: srgb)
            XCTAssertEqual(sizes(wide), ["256x64", "128x32", "64x16", "32x8", "16x4", "8x2", "4x1", "2x1", "1x1"])
        }
        XCTAssertEqual(MipChain.levelSizes(width: 256, height: 64).count, 9)
        XCTAssertEqual(MipChain.levelSizes(width: 256, height: 128).count, 9)
    }

    func testLevelZeroIsTheImage() {
        let image = noise(width: 16, height: 8, seed: 5)
        XCTAssertEqual(MipChain.build(image, srgb: true).first, image)
        XCTAssertEqual(MipChain.build(image, srgb: false).first, image)
        XCTAssertEqual(MipChain.build(noise(width: 1, height: 1, seed: 6), srgb: true), [noise(width: 1, height: 1, seed: 6)])
    }

    func testConstantImageStaysConstantAtEveryLevel() {
        for (w, h) in [(8, 8), (7, 5), (256, 64), (3, 9), (1, 6)] {
            for value: [UInt8] in [[0, 0, 0, 0], [255, 255, 255, 255], [13, 128, 201, 77], [1, 254, 90, 200]] {
                for srgb in [false, true] {
                    for level in MipChain.build(constant(width: w, height: h, value), srgb: srgb) {
                        XCTAssertEqual(level, constant(width: level.width, height: level.height, value),
                                       "\(w)x\(h) \(value) srgb=\(srgb) level \(level.width)x\(level.height)")
                    }
                }
            }
        }
    }

    func testCheckerboardAveragesToByteMidpoint() {
        let checker = RGBAImage(width: 2, height: 2, pixels: [0, 0, 0, 255, 255, 255, 255, 255,
                                                              255, 255, 255, 255, 0, 0, 0, 255])
        let levels = MipChain.build(checker, srgb: false)
        XCTAssertEqual(levels.count, 2)
        XCTAssertEqual(levels[1].pixels, [128, 128, 128, 255])
    }

    func testCheckerboardAveragesInLinearLightWhenSRGB() {
        let checker = RGBAImage(width: 2, height: 2, pixels: [0, 0, 0, 0, 255, 255, 255, 255,
                                                              255, 255, 255, 255, 0, 0, 0, 0])
        let levels = MipChain.build(checker, srgb: true)
        // Linear 0.5 encodes to 0.7354 = 187.5 of 255, which rounds to 188; alpha stays linear.
        XCTAssertEqual(levels[1].pixels, [188, 188, 188, 128])
        let expected = Int((255 * SRGBTransfer.encode(0.5)).rounded())
        XCTAssertEqual(expected, 188)
    }

    func testSRGBTablesMatchTheCurve() {
        XCTAssertEqual(SRGBTransfer.toLinear[0], 0)
        XCTAssertEqual(SRGBTransfer.toLinear[255], 1, accuracy: 1e-7)
        SRGBTransfer.thresholds.withUnsafeBufferPointer { thresholds in
            // Every code decodes and re-encodes to itself.
            for code in 0..<256 {
                XCTAssertEqual(Int(SRGBTransfer.encodeByte(SRGBTransfer.toLinear[code], thresholds: thresholds)), code)
            }
            // Arbitrary linear values round to the nearest encoded code.
            for k in 0...1000 {
                let linear = Double(k) / 1000
                let exact = Int((255 * SRGBTransfer.encode(linear)).rounded())
                XCTAssertEqual(Int(SRGBTransfer.encodeByte(Float(linear), thresholds: thresholds)), exact, "linear \(linear)")
            }
        }
    }

    func testOddSizeUsesEveryPixelWithEqualWeight() {
        // 3x1 -> 1x1 weights the three pixels 1/3 each; 5x1 -> 2x1 uses (2,2,1)/5 and (1,2,2)/5.
        let three = RGBAImage(width: 3, height: 1, pixels: [0, 30, 90, 255, 30, 60, 90, 255, 60, 90, 90, 255])
        XCTAssertEqual(MipChain.build(three, srgb: false)[1].pixels, [30, 60, 90, 255])
        let five = RGBAImage(width: 5, height: 1, pixels: [0, 0, 0, 0, 50, 0, 0, 0, 100, 0, 0, 0, 150, 0, 0, 0, 200, 0, 0, 0])
        let level1 = MipChain.build(five, srgb: false)[1]
        XCTAssertEqual(level1.width, 2)
        XCTAssertEqual(level1.pixels, [40, 0, 0, 0, 160, 0, 0, 0])
    }

    func testEvenLevelsAreExactTwoByTwoAverages() {
        let image = noise(width: 8, height: 4, seed: 7)
        let level1 = MipChain.build(image, srgb: false)[1]
        for y in 0..<2 {
            for x in 0..<4 {
                for c in 0..<4 {
                    let p = { (xx: Int, yy: Int) in Int(image.pixels[(yy * 8 + xx) * 4 + c]) }
                    let sum = p(2 * x, 2 * y) + p(2 * x + 1, 2 * y) + p(2 * x, 2 * y + 1) + p(2 * x + 1, 2 * y + 1)
                    XCTAssertEqual(Int(level1.pixels[(y * 4 + x) * 4 + c]), (sum + 2) / 4)
                }
            }
        }
    }

    func testTileableInputStaysTileable() {
        let image = noise(width: 32, height: 16, seed: 8)
        for srgb in [false, true] {
            let levels = MipChain.build(image, srgb: srgb)
            // Rolling by 2^n * k pixels commutes with building level n.
            for (dx, dy) in [(2, 2), (4, 0), (0, 8), (16, 4), (6, 10)] {
                let rolled = MipChain.build(roll(image, dx: dx, dy: dy), srgb: srgb)
                for n in 1..<levels.count {
                    let step = 1 << n
                    guard dx % step == 0, dy % step == 0 else { continue }
                    XCTAssertEqual(rolled[n], roll(levels[n], dx: dx / step, dy: dy / step),
                                   "roll (\(dx), \(dy)) level \(n) srgb=\(srgb)")
                }
            }
        }
    }

    func testLastLevelIsTheMeanOfAPowerOfTwoImage() {
        let image = noise(width: 16, height: 16, seed: 9)
        let last = MipChain.build(image, srgb: false).last!
        XCTAssertEqual(last.width, 1)
        for c in 0..<4 {
            let mean = Double(stride(from: c, to: image.pixels.count, by: 4).map { Int(image.pixels[$0]) }.reduce(0, +)) / 256
            XCTAssertEqual(Double(last.pixels[c]), mean, accuracy: 0.5 + 1e-3)
        }
    }
}
