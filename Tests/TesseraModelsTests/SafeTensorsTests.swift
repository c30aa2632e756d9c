import Foundation
import XCTest
import TesseraTensor
@testable import TesseraModels

final class SafeTensorsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Builds a file from a raw header JSON string and payload bytes.
    func rawFile(_ name: String, header: String, payload: [UInt8]) throws -> URL {
        var d = Data()
        let h = Array(header.utf8)
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { d.append(contentsOf: $0) }
        d.append(contentsOf: h)
        d.append(contentsOf: payload)
        let url = dir.appendingPathComponent(name)
        try d.write(to: url)
        return url
    }

    func assertMalformed(_ url: URL, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(url: url), file: file, line: line) { error in
            guard case ModelError.malformed(let path, let reason) = error else {
                return XCTFail("expected malformed, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(path, url.path, file: file, line: line)
            XCTAssertTrue(reason.contains(text), "reason '\(reason)' lacks '\(text)'", file: file, line: line)
        }
    }

    func testRoundTripF32AndF16() throws {
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, 1e-3, -7])
        let b = Tensor(shape: [4], values: [0.5, 0.25, -1, 2])
        let url = dir.appendingPathComponent("rt.safetensors")
        try SafeTensorsWriter.write(["a": a, "b": b], to: url, metadata: ["format": "pt"])
        let f = try SafeTensorsFile(url: url)
        XCTAssertEqual(f.names, ["a", "b"])
        XCTAssertEqual(f.metadata["format"], "pt")
        XCTAssertEqual(try f.tensor("a", shape: [2, 3]).scalars, a.scalars)
        XCTAssertEqual(try f.tensor("b").scalars, b.scalars)

        let h = dir.appendingPathComponent("h.safetensors")
        try SafeTensorsWriter.write(["b": b], to: h, precision: .f16)
        XCTAssertEqual(try SafeTensorsFile(url: h).entries["b"]?.dtype, .f16)
        XCTAssertEqual(try SafeTensorsFile(url: h).tensor("b").scalars, b.scalars) // exact in f16
    }

    /// Loading drops the converted tensor's pages from memory; a second load, of the same
    /// tensor and of its neighbours sharing its edge pages, must read the file's bytes again.
    func testTensorsReloadAfterTheirPagesAreReleased() throws {
        let big = Tensor(shape: [3, 4096], values: (0..<(3 * 4096)).map { Float($0 % 977) - 488 })
        let small = Tensor(shape: [5], values: [1, 2, 3, 4, 5])
        let url = dir.appendingPathComponent("pages.safetensors")
        try SafeTensorsWriter.write(["a": small, "big": big, "z": small], to: url, precision: .f16)
        let f = try SafeTensorsFile(url: url)
        for _ in 0..<3 {
            for name in ["big", "a", "z"] {
                XCTAssertEqual(try f.tensor(name).scalars, name == "big" ? big.scalars : small.scalars, name)
            }
        }
    }

    func testDecodesF16AndBF16Bits() throws {
        // f16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 0x0001.
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00]
        // bf16: 1.0 = 0x3F80, -0.5 = 0xBF00, 3.140625 = 0x4049.
        let bf16: [UInt8] = [0x80, 0x3F, 0x00, 0xBF, 0x49, 0x40]
        let url = try rawFile("mixed.safetensors",
            header: #"{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[8,14]}}"#,
            payload: f16 + bf16)
        let f = try SafeTensorsFile(url: url)
        XCTAssertEqual(try f.tensor("h").scalars, [1, -2, 65504, Float(Float16(bitPattern: 1))])
        XCTAssertEqual(try f.tensor("b").scalars, [1, -0.5, 3.140625])
    }

    func testMissingFileAndTensorAndShapeErrorsNameThem() throws {
        let missing = dir.appendingPathComponent("nope.safetensors")
        XCTAssertThrowsError(try SafeTensorsFile(url: missing)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: missing.path))
        }
        let url = dir.appendingPathComponent("one.safetensors")
        try SafeTensorsWriter.write(["w": Tensor(zeros: [2, 2])], to: url)
        let f = try SafeTensorsFile(url: url)
        XCTAssertThrowsError(try f.tensor("bias")) {
            XCTAssertEqual($0 as? ModelError, .tensorMissing(path: url.path, tensor: "bias"))
            XCTAssertTrue("\($0)".contains("bias") && "\($0)".contains("one.safetensors"))
        }
        XCTAssertThrowsError(try f.tensor("w", shape: [4])) {
            XCTAssertEqual($0 as? ModelError, .shapeMismatch(path: url.path, tensor: "w", expected: [4], actual: [2, 2]))
        }
    }

    func testCorruptHeadersAreRejected() throws {
        let four = [UInt8](repeating: 0, count: 16)
        assertMalformed(try rawFile("short", header: "", payload: []).deletingLastPathComponent()
            .appendingPathComponent("short"), contains: "header")  // 8 bytes: length 0, empty header
        let tiny = dir.appendingPathComponent("tiny.safetensors")
        try Data([1, 2, 3]).write(to: tiny)
        assertMalformed(tiny, contains: "too short")

        var huge = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
        huge.append(contentsOf: Array("{}".utf8))
        let hugeURL = dir.appendingPathComponent("huge.safetensors")
        try huge.write(to: hugeURL)
        assertMalformed(hugeURL, contains: "exceeds file size")

        assertMalformed(try rawFile("notjson", header: "{not json", payload: four), contains: "not valid JSON")
        assertMalformed(try rawFile("array", header: "[1,2]", payload: four), contains: "not a JSON object")
        assertMalformed(try rawFile("scalar", header: #"{"a":5}"#, payload: four), contains: "'a'")
        assertMalformed(try rawFile("nodtype", header: #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, payload: four),
                        contains: "'a'")
        assertMalformed(try rawFile("oob", header: #"{"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#, payload: four),
                        contains: "outside")
        assertMalformed(try rawFile("reversed", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#, payload: four),
                        contains: "outside")
        assertMalformed(try rawFile("negoff", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, payload: four),
                        contains: "outside")
        assertMalformed(try rawFile("sizemismatch", header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: four),
                        contains: "needs 12 bytes")
        assertMalformed(try rawFile("negdim", header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, payload: four),
                        contains: "negative")
        assertMalformed(try rawFile("fracdim", header: #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, payload: four),
                        contains: "'a'")
        assertMalformed(try rawFile("overflow", header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#, payload: four),
                        contains: "overflows")
        assertMalformed(try rawFile("badmeta", header: #"{"__metadata__":{"k":[1]}}"#, payload: four), contains: "__metadata__")
    }

    func testTruncatedDataIsRejected() throws {
        let url = dir.appendingPathComponent("full.safetensors")
        try SafeTensorsWriter.write(["a": Tensor(zeros: [64]), "b": Tensor(zeros: [64])], to: url)
        var bytes = try Data(contentsOf: url)
        bytes.removeLast(10)
        let cut = dir.appendingPathComponent("cut.safetensors")
        try bytes.write(to: cut)
        assertMalformed(cut, contains: "outside")
    }

    func testUnsupportedDTypeNamesTensor() throws {
        let url = try rawFile("ids.safetensors", header: #"{"position_ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#,
                              payload: [UInt8](repeating: 0, count: 16))
        let f = try SafeTensorsFile(url: url)
        XCTAssertThrowsError(try f.tensor("position_ids")) {
            XCTAssertEqual($0 as? ModelError, .unsupportedDType(path: url.path, tensor: "position_ids", dtype: "I64"))
        }
        let weird = try rawFile("weird.safetensors", header: #"{"x":{"dtype":"F8_E9","shape":[1],"data_offsets":[0,1]}}"#, payload: [0])
        XCTAssertThrowsError(try SafeTensorsFile(url: weird)) {
            XCTAssertEqual($0 as? ModelError, .unsupportedDType(path: weird.path, tensor: "x", dtype: "F8_E9"))
        }
    }

    func testShardedIndex() throws {
        try SafeTensorsWriter.write(["a": Tensor(shape: [2], values: [1, 2])], to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafeTensorsWriter.write(["b": Tensor(shape: [1], values: [3])], to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = #"{"metadata":{"total_size":12},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00003-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let archive = try SafeTensorsArchive(folder: dir)
        XCTAssertEqual(archive.names, ["a", "b", "c"])
        XCTAssertEqual(try archive.tensor("a").scalars, [1, 2])
        XCTAssertEqual(try archive.tensor("b", shape: [1]).scalars, [3])
        XCTAssertThrowsError(try archive.tensor("c")) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: self.dir.appendingPathComponent("model-00003-of-00002.safetensors").path))
        }
        XCTAssertThrowsError(try archive.tensor("zzz")) {
            guard case ModelError.tensorMissing(_, "zzz") = $0 else { return XCTFail("\($0)") }
        }
        try Data("{\"weight_map\": 3}".utf8).write(to: dir.appendingPathComponent("bad.safetensors.index.json"))
        XCTAssertThrowsError(try SafeTensorsArchive(url: dir.appendingPathComponent("bad.safetensors.index.json")))
        try Data(#"{"weight_map":{"a":"../escape.safetensors"}}"#.utf8).write(to: dir.appendingPathComponent("esc.safetensors.index.json"))
        XCTAssertThrowsError(try SafeTensorsArchive(url: dir.appendingPathComponent("esc.safetensors.index.json")))
    }

    func testEmptyFolderNamesExpectedFile() {
        XCTAssertThrowsError(try SafeTensorsArchive(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: self.dir.appendingPathComponent("model.safetensors").path))
        }
    }

    /// Random corruption of a valid file must either load or throw, never crash.
    func testRandomCorruptionNeverCrashes() throws {
        let url = dir.appendingPathComponent("base.safetensors")
        try SafeTensorsWriter.write(["alpha": Tensor(repeating: 1, shape: [3, 5]), "beta": Tensor(repeating: 2, shape: [7])], to: url)
        let original = try Data(contentsOf: url)
        var rng = SystemRandomNumberGenerator()
        let target = dir.appendingPathComponent("mut.safetensors")
        var rejected = 0
        for _ in 0..<400 {
            var bytes = [UInt8](original)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            case 1: bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            default:
                bytes[Int.random(in: 8..<min(bytes.count, 90), using: &rng)] = UInt8(ascii: ["9", "-", "}", "\"", "."].randomElement(using: &rng)!)
            }
            try Data(bytes).write(to: target)
            do {
                let f = try SafeTensorsFile(url: target)
                for n in f.names { _ = try? f.tensor(n) }
            } catch {
                rejected += 1
                XCTAssertTrue("\(error)".contains(target.path), "error does not name the file: \(error)")
            }
        }
        XCTAssertGreaterThan(rejected, 0)
    }
}

extension SafeTensorsTests {
    /// The fast half-precision decoder agrees with the standard library on all 65536 inputs.
    func testHalfToFloatIsExactForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = SafeTensorsFile.halfToFloat(bits)
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "bits \(bits)")
            } else {
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "bits \(bits)")
            }
        }
    }
}
