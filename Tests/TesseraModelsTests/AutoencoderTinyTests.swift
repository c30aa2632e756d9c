import Foundation
import XCTest
import TesseraTensor
@testable import TesseraModels

/// diffusers' `AutoencoderTiny` (TAESD) against the committed `vae/taesd_tiny` fixture
/// (random fp16 weights; references from diffusers in float32, see tools/fixtures/make_vaes.py).
final class AutoencoderTinyTests: XCTestCase {
    /// Max abs error allowed against diffusers in fp32.
    let tolerance: Float = 1e-4
    let folder = Fixtures.url("vae/taesd_tiny")

    func reference() throws -> SafeTensorsFile {
        try SafeTensorsFile(url: folder.appendingPathComponent("reference.safetensors"))
    }



    func check(_ actual: Tensor, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try reference().tensor(name)
        let err = maxAbsError(actual, expected)
        XCTAssertLessThanOrEqual(err, tolerance, "\(name): max abs error \(err)", file: file, line: line)
        // A comparison against a degenerate reference would pass for the wrong reasons.
        XCTAssertGreaterThan(expected.scalars.map(abs).max() ?? 0, 0.1, name, file: file, line: line)
    }

    func testConfigIsRead() throws {
        let vae = try AutoencoderTiny(folder: folder)
        XCTAssertEqual(vae.config.encoderBlockOutChannels, [16, 16, 16, 16])
        XCTAssertEqual(vae.config.numDecoderBlocks, [1, 1, 1, 1])
        XCTAssertEqual(vae.latentChannels, 4)
        XCTAssertEqual(vae.spatialScale, 8)
        XCTAssertEqual(vae.config.encoderDownscale, 8)
        XCTAssertEqual(vae.scalingFactor, 1)
        XCTAssertEqual(vae.shiftFactor, 0)
        XCTAssertEqual(vae.config.latentMagnitude, 3)
        XCTAssertEqual(vae.config.latentShift, 0.5)
    }

    func testEncodeMatchesDiffusers() throws {
        let vae = try AutoencoderTiny(folder: folder)
        let ref = try reference()
        try check(vae.encode(try ref.tensor("image")), "latents")
        // Batch of two, non-square.
        try check(vae.encode(try ref.tensor("image_batch")), "latents_batch")
        // Every conv (the stride-2 ones too) circular on both axes.
        try check(vae.encode(try ref.tensor("image"), tiling: .xy), "latents_circular")
    }

    func testDecodeMatchesDiffusers() throws {
        let vae = try AutoencoderTiny(folder: folder)
        let ref = try reference()
        try check(vae.decode(try ref.tensor("latents_in")), "decoded")
        try check(vae.decode(try ref.tensor("latents_wide")), "decoded_wide")
    }

    func testCircularDecodeMatchesDiffusers() throws {
        let vae = try AutoencoderTiny(folder: folder)
        let ref = try reference()
        try check(vae.decode(try ref.tensor("latents_in"), tiling: .xy), "decoded_circular")
        try check(vae.decode(try ref.tensor("latents_wide"), tiling: .xy), "decoded_wide_circular")
        // Tiling changes the output (else the comparison above would prove nothing).
        XCTAssertGreaterThan(maxAbsError(try ref.tensor("decoded"), try ref.tensor("decoded_circular")), 0.01)
    }

    /// On the oneDNN backend the decoder runs channels-last and both halves fuse their
    /// epilogues (skip sums, ReLUs) into the convolutions; they must still match diffusers.
    func testOneDNNChannelsLastAndFusedEpiloguesMatchDiffusers() throws {
        try onOneDNNChannelsLast {
            let vae = try AutoencoderTiny(folder: folder)
            let ref = try reference()
            try check(vae.decode(try ref.tensor("latents_in")), "decoded")
            try check(vae.decode(try ref.tensor("latents_wide")), "decoded_wide")
            try check(vae.decode(try ref.tensor("latents_in"), tiling: .xy), "decoded_circular")
            try check(vae.decode(try ref.tensor("latents_wide"), tiling: .xy), "decoded_wide_circular")
            try check(vae.encode(try ref.tensor("image_batch")), "latents_batch")
            try check(vae.encode(try ref.tensor("image"), tiling: .xy), "latents_circular")
        }
    }

    /// With xy tiling the decoder commutes with rolling: latents rolled by k decode to the image rolled by 8k.
    func testTilingMakesDecodingRollEquivariant() throws {
        let vae = try AutoencoderTiny(folder: folder)
        let latents = try reference().tensor("latents_wide") // [2, 4, 6, 10]: unequal axes catch swaps
        let image = try vae.decode(latents, tiling: .xy)
        for (axis, k) in [(3, 3), (2, 2), (3, 7)] {
            let rolled = try vae.decode(latents.roll(by: k, axis: axis), tiling: .xy)
            let err = maxAbsError(rolled, image.roll(by: 8 * k, axis: axis))
            XCTAssertLessThanOrEqual(err, tolerance, "axis \(axis) roll \(k): \(err)")
        }
        // Without tiling the borders differ.
        let plain = try vae.decode(latents.roll(by: 3, axis: 3))
        XCTAssertGreaterThan(maxAbsError(plain, try vae.decode(latents).roll(by: 24, axis: 3)), 0.01)
    }

    func testRGBA8MatchesDiffusersPostprocess() throws {
        let ref = try reference()
        let input = try ref.tensor("postprocess_in") // includes exact .5 ties and out-of-range values
        let expected = try ref.tensor("postprocess_rgb") // [1, H, W, 3]
        let bytes = try ImageConversion.rgba8(fromDecoded: input)
        XCTAssertEqual(bytes.count, 1)
        let (h, w) = (input.shape[2], input.shape[3])
        XCTAssertEqual(bytes[0].count, h * w * 4)
        var mismatches = 0
        for p in 0..<(h * w) {
            for c in 0..<3 where Float(bytes[0][p * 4 + c]) != expected.data[p * 3 + c] { mismatches += 1 }
            XCTAssertEqual(bytes[0][p * 4 + 3], 255)
        }
        XCTAssertEqual(mismatches, 0)
        // Ties round to even, as numpy does: 0.5 -> 0, 1.5 -> 2 (v * 255 == k + 0.5 exactly).
        XCTAssertEqual(ImageConversion.byte(2 * (Float(0.5) / 255) - 1), 0)
        XCTAssertEqual(ImageConversion.byte(.nan), 0)
        XCTAssertEqual(ImageConversion.byte(-3), 0)
        XCTAssertEqual(ImageConversion.byte(3), 255)
    }

    func testRGBA8RoundTripsThroughPreprocess() throws {
        let bytes: [UInt8] = (0..<(4 * 6 * 4)).map { UInt8(($0 * 37) % 256) }
        var rgba = bytes
        for p in 0..<(4 * 6) { rgba[p * 4 + 3] = 255 }
        let x = try ImageConversion.tensor(fromRGBA8: [rgba], width: 6, height: 4)
        XCTAssertEqual(x.shape, [1, 3, 4, 6])
        XCTAssertEqual(try ImageConversion.rgba8(fromDecoded: x), [rgba])
        XCTAssertThrowsError(try ImageConversion.tensor(fromRGBA8: [rgba], width: 5, height: 4))
        XCTAssertThrowsError(try ImageConversion.rgba8(fromDecoded: Tensor(zeros: [1, 4, 2, 2])))
    }

    func testLatentScalingIsDiffusers() throws {
        let vae = try AutoencoderTiny(folder: folder)
        let x = Tensor(shape: [1, 1, 1, 4], values: [-4, -1.5, 0.75, 6])
        // x / (2 * 3) + 0.5, clamped to [0, 1].
        let scaled = vae.scaleLatents(x)
        for (a, e) in zip(scaled.scalars, [0, 0.25, 0.625, 1] as [Float]) { XCTAssertEqual(a, e, accuracy: 1e-6) }
        for (a, e) in zip(vae.unscaleLatents(scaled).scalars, [-3, -1.5, 0.75, 3] as [Float]) {
            XCTAssertEqual(a, e, accuracy: 1e-6)
        }
    }

    func testPartsAndBadInputs() throws {
        let ref = try reference()
        let decoderOnly = try AutoencoderTiny(folder: folder, parts: .decoder)
        XCTAssertThrowsError(try decoderOnly.encode(try ref.tensor("image"))) {
            XCTAssertEqual($0 as? AutoencoderError, .notLoaded(.encoder))
        }
        try check(decoderOnly.decode(try ref.tensor("latents_in")), "decoded")
        let encoderOnly = try AutoencoderTiny(folder: folder, parts: .encoder)
        XCTAssertThrowsError(try encoderOnly.decode(try ref.tensor("latents_in"))) {
            XCTAssertEqual($0 as? AutoencoderError, .notLoaded(.decoder))
        }
        let vae = try AutoencoderTiny(folder: folder)
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 3, 8, 8])))
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [4, 8, 8])))
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 3, 60, 64])))
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 4, 64, 64])))
    }

    func testBrokenFoldersNameWhatIsMissing() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("taesd-broken-\(UUID())")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let configURL = dir.appendingPathComponent("config.json")
        let weightsURL = dir.appendingPathComponent("diffusion_pytorch_model.safetensors")

        XCTAssertThrowsError(try AutoencoderTiny(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: configURL.path))
        }
        try fm.copyItem(at: folder.appendingPathComponent("config.json"), to: configURL)
        XCTAssertThrowsError(try AutoencoderTiny(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: weightsURL.path))
        }
        // Weights lacking one tensor.
        let full = try SafeTensorsFile(url: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in full.names where n != "decoder.layers.12.bias" { tensors[n] = try full.tensor(n) }
        try SafeTensorsWriter.write(tensors, to: weightsURL, precision: .f16)
        XCTAssertThrowsError(try AutoencoderTiny(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .tensorMissing(path: weightsURL.path, tensor: "decoder.layers.12.bias"))
        }
        // The encoder alone does not need it.
        XCTAssertNoThrow(try AutoencoderTiny(folder: dir, parts: .encoder))

        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        func expectConfigError(_ edit: (inout [String: Any]) -> Void, _ match: (ModelError) -> Bool,
                               line: UInt = #line) throws {
            var cfg = original
            edit(&cfg)
            try JSONSerialization.data(withJSONObject: cfg).write(to: configURL)
            XCTAssertThrowsError(try AutoencoderTiny(folder: dir), line: line) {
                guard let e = $0 as? ModelError, match(e) else { return XCTFail("\($0)", line: line) }
            }
        }
        try expectConfigError({ $0["num_decoder_blocks"] = nil }) {
            if case .badConfig(configURL.path, "num_decoder_blocks", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["latent_channels"] = "four" }) {
            if case .badConfig(_, "latent_channels", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["act_fn"] = "mish" }) { "\($0)".contains("act_fn 'mish'") }
        try expectConfigError({ $0["upsample_fn"] = "bilinear" }) { "\($0)".contains("upsample_fn") }
        try expectConfigError({ $0["upsampling_scaling_factor"] = 3 }) { "\($0)".contains("upsampling_scaling_factor") }
        try expectConfigError({ $0["num_encoder_blocks"] = [1, 1, 1] }) {
            if case .badConfig(_, "num_encoder_blocks", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["decoder_block_out_channels"] = [16, 16, 16, 8] }) {
            if case .badConfig(_, "decoder_block_out_channels", _) = $0 { return true } else { return false }
        }
        // A config whose width disagrees with the weights is a shape error naming the tensor.
        try expectConfigError({ $0["latent_channels"] = 8 }) {
            if case .shapeMismatch(_, "encoder.layers.8.weight", _, _) = $0 { return true } else { return false }
        }
    }

    func testPublishedConfigDecodes() throws {
        // madebyollin/taesd's config.json, plus an unknown key.
        let json = """
        {"_class_name": "AutoencoderTiny", "_diffusers_version": "0.20.0.dev0", "act_fn": "relu",
         "decoder_block_out_channels": [64, 64, 64, 64], "encoder_block_out_channels": [64, 64, 64, 64],
         "force_upcast": false, "in_channels": 3, "latent_channels": 4, "latent_magnitude": 3,
         "latent_shift": 0.5, "num_decoder_blocks": [3, 3, 3, 1], "num_encoder_blocks": [1, 3, 3, 3],
         "out_channels": 3, "scaling_factor": 1.0, "upsampling_scaling_factor": 2, "some_future_key": {"a": 1}}
        """
        let c = try JSONDecoder().decode(AutoencoderTinyConfig.self, from: Data(json.utf8))
        XCTAssertEqual(c, AutoencoderTinyConfig())
        XCTAssertNoThrow(try c.validate(path: "config.json"))
        XCTAssertEqual(c.decoderUpscale, 8)
    }
}
