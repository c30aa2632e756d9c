import Foundation
import XCTest
import TesseraTensor
@testable import TesseraModels

/// diffusers' `AutoencoderKL` against the committed `vae/kl_tiny` fixture
/// (random fp16 weights; references from diffusers in float32, see tools/fixtures/make_vaes.py).
final class AutoencoderKLTests: XCTestCase {
    /// Max abs error allowed against diffusers in fp32.
    let tolerance: Float = 1e-4
    let folder = Fixtures.url("vae/kl_tiny")

    func reference() throws -> SafeTensorsFile {
        try SafeTensorsFile(url: folder.appendingPathComponent("reference.safetensors"))
    }

    func check(_ actual: Tensor, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try reference().tensor(name)
        let err = maxAbsError(actual, expected)
        XCTAssertLessThanOrEqual(err, tolerance, "\(name): max abs error \(err)", file: file, line: line)
        XCTAssertGreaterThan(expected.scalars.map(abs).max() ?? 0, 0.1, name, file: file, line: line)
    }

    /// The fixture's weights, to rewrite into broken or renamed variants.
    func fixtureTensors() throws -> [String: Tensor] {
        let full = try SafeTensorsFile(url: folder.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in full.names { tensors[n] = try full.tensor(n) }
        return tensors
    }

    func temporaryFolder(config: [String: Any]? = nil, tensors: [String: Tensor]) throws -> URL {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("kl-\(UUID())")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? fm.removeItem(at: dir) }
        if let config {
            try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("config.json"))
        } else {
            try fm.copyItem(at: folder.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        }
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("diffusion_pytorch_model.safetensors"), precision: .f16)
        return dir
    }

    func fixtureConfig() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("config.json"))) as! [String: Any]
    }

    func testConfigIsRead() throws {
        let vae = try AutoencoderKL(folder: folder)
        XCTAssertEqual(vae.config.blockOutChannels, [16, 32])
        XCTAssertEqual(vae.config.layersPerBlock, 1)
        XCTAssertEqual(vae.config.normNumGroups, 8)
        XCTAssertEqual(vae.latentChannels, 4)
        XCTAssertEqual(vae.spatialScale, 2)
        XCTAssertEqual(vae.scalingFactor, 0.18215)
        XCTAssertNil(vae.config.shiftFactor) // null in the file
        XCTAssertEqual(vae.shiftFactor, 0)
        XCTAssertTrue(vae.config.useQuantConv && vae.config.usePostQuantConv && vae.config.midBlockAddAttention)
    }

    func testEncodeMatchesDiffusers() throws {
        let vae = try AutoencoderKL(folder: folder)
        let ref = try reference()
        let posterior = try vae.encodeDistribution(try ref.tensor("image"))
        try check(posterior.mean, "latent_mean")
        try check(posterior.std, "latent_std")
        try check(vae.encode(try ref.tensor("image")), "latent_mean")
        let batch = try vae.encodeDistribution(try ref.tensor("image_batch")) // batch 2, non-square
        try check(batch.mean, "latent_mean_batch")
        try check(batch.std, "latent_std_batch")
        try check(vae.encode(try ref.tensor("image"), tiling: .xy), "latent_mean_circular")
    }

    func testDecodeMatchesDiffusers() throws {
        let vae = try AutoencoderKL(folder: folder)
        let ref = try reference()
        try check(vae.decode(try ref.tensor("latents_in")), "decoded")
        try check(vae.decode(try ref.tensor("latents_wide")), "decoded_wide")
    }

    func testCircularDecodeMatchesDiffusers() throws {
        let vae = try AutoencoderKL(folder: folder)
        let ref = try reference()
        try check(vae.decode(try ref.tensor("latents_in"), tiling: .xy), "decoded_circular")
        try check(vae.decode(try ref.tensor("latents_wide"), tiling: .xy), "decoded_wide_circular")
        try check(vae.decode(try ref.tensor("latents_in"), tiling: .x), "decoded_circular_x")
        XCTAssertGreaterThan(maxAbsError(try ref.tensor("decoded"), try ref.tensor("decoded_circular")), 0.01)
        XCTAssertGreaterThan(maxAbsError(try ref.tensor("decoded_circular"), try ref.tensor("decoded_circular_x")), 0.01)
    }

    /// On the oneDNN backend the decoder runs channels-last (resnets, the mid block's
    /// attention on its tokens as they lie, the upsampler's phase convolutions); it must
    /// still match diffusers, tiled or not.
    func testOneDNNChannelsLastDecodeMatchesDiffusers() throws {
        try onOneDNNChannelsLast {
            let vae = try AutoencoderKL(folder: folder)
            let ref = try reference()
            try check(vae.decode(try ref.tensor("latents_in")), "decoded")
            try check(vae.decode(try ref.tensor("latents_wide")), "decoded_wide")
            try check(vae.decode(try ref.tensor("latents_in"), tiling: .xy), "decoded_circular")
            try check(vae.decode(try ref.tensor("latents_wide"), tiling: .xy), "decoded_wide_circular")
            try check(vae.decode(try ref.tensor("latents_in"), tiling: .x), "decoded_circular_x")
        }
    }

    /// With xy tiling the decoder commutes with rolling: latents rolled by k decode to the image
    /// rolled by 2k (this fixture's decoder upsamples once).
    func testTilingMakesDecodingRollEquivariant() throws {
        let vae = try AutoencoderKL(folder: folder)
        let latents = try reference().tensor("latents_wide") // [2, 4, 6, 10]
        let image = try vae.decode(latents, tiling: .xy)
        for (axis, k) in [(3, 3), (2, 2), (3, 7)] {
            let rolled = try vae.decode(latents.roll(by: k, axis: axis), tiling: .xy)
            let err = maxAbsError(rolled, image.roll(by: 2 * k, axis: axis))
            XCTAssertLessThanOrEqual(err, tolerance, "axis \(axis) roll \(k): \(err)")
        }
        // x-only tiling is roll-equivariant along x but not along y.
        let imageX = try vae.decode(latents, tiling: .x)
        XCTAssertLessThanOrEqual(maxAbsError(try vae.decode(latents.roll(by: 4, axis: 3), tiling: .x),
                                             imageX.roll(by: 8, axis: 3)), tolerance)
        XCTAssertGreaterThan(maxAbsError(try vae.decode(latents.roll(by: 2, axis: 2), tiling: .x),
                                         imageX.roll(by: 4, axis: 2)), 0.01)
    }

    /// Checkpoints converted from the original LDM code may still carry diffusers' old
    /// `AttentionBlock` names, some with 1x1-conv-shaped weights.
    func testLegacyAttentionNamesLoad() throws {
        var tensors = try fixtureTensors()
        let renames = ["to_q": "query", "to_k": "key", "to_v": "value", "to_out.0": "proj_attn"]
        for (name, t) in tensors where name.contains(".attentions.") {
            guard let (modern, legacy) = renames.first(where: { name.contains(".\($0.key).") }) else { continue }
            tensors[name] = nil
            let renamed = name.replacingOccurrences(of: ".\(modern).", with: ".\(legacy).")
            // Encoder as [C, C, 1, 1] conv weights, decoder as [C, C] linear weights.
            tensors[renamed] = name.hasPrefix("encoder") && t.rank == 2 ? t.reshaped(t.shape + [1, 1]) : t
        }
        XCTAssertTrue(tensors.keys.contains("encoder.mid_block.attentions.0.proj_attn.weight"))
        XCTAssertEqual(tensors["encoder.mid_block.attentions.0.query.weight"]?.shape, [32, 32, 1, 1])
        let vae = try AutoencoderKL(folder: temporaryFolder(tensors: tensors))
        let ref = try reference()
        try check(vae.encode(try ref.tensor("image")), "latent_mean")
        try check(vae.decode(try ref.tensor("latents_in")), "decoded")
    }

    func testQuantConvFlagsAndNoMidAttention() throws {
        let ref = try reference()
        var tensors = try fixtureTensors()
        let postQuant = (tensors["post_quant_conv.weight"]!, tensors["post_quant_conv.bias"]!)
        for n in ["post_quant_conv.weight", "post_quant_conv.bias", "quant_conv.weight", "quant_conv.bias"] { tensors[n] = nil }
        var config = try fixtureConfig()
        config["use_post_quant_conv"] = false
        config["use_quant_conv"] = false
        let vae = try AutoencoderKL(folder: temporaryFolder(config: config, tensors: tensors))
        // Without post_quant_conv, decoding pre-convolved latents gives the reference.
        let z = Ops.conv2d(try ref.tensor("latents_in"), weight: postQuant.0, bias: postQuant.1)
        try check(vae.decode(z), "decoded")
        XCTAssertEqual(try vae.encodeDistribution(try ref.tensor("image")).mean.shape, [1, 4, 16, 16])

        // mid_block_add_attention false: no attention tensors needed.
        for n in tensors.keys where n.contains(".attentions.") { tensors[n] = nil }
        config["mid_block_add_attention"] = false
        let plain = try AutoencoderKL(folder: temporaryFolder(config: config, tensors: tensors))
        XCTAssertEqual(try plain.decode(try ref.tensor("latents_wide")).shape, [2, 3, 12, 20])
    }

    func testPartsAndBadInputs() throws {
        let ref = try reference()
        let decoderOnly = try AutoencoderKL(folder: folder, parts: .decoder)
        XCTAssertThrowsError(try decoderOnly.encode(try ref.tensor("image"))) {
            XCTAssertEqual($0 as? AutoencoderError, .notLoaded(.encoder))
        }
        try check(decoderOnly.decode(try ref.tensor("latents_in")), "decoded")
        let encoderOnly = try AutoencoderKL(folder: folder, parts: .encoder)
        XCTAssertThrowsError(try encoderOnly.decode(try ref.tensor("latents_in"))) {
            XCTAssertEqual($0 as? AutoencoderError, .notLoaded(.decoder))
        }
        let vae = try AutoencoderKL(folder: folder)
        XCTAssertThrowsError(try vae.decode(Tensor(zeros: [1, 8, 4, 4])))
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [1, 3, 31, 32])))
        XCTAssertThrowsError(try vae.encode(Tensor(zeros: [0, 3, 32, 32])))
        // Usable through the protocol a pipeline holds.
        let any: any LatentAutoencoder = vae
        XCTAssertEqual(try any.decode(try ref.tensor("latents_in"), tiling: .none).shape, [1, 3, 16, 16])
    }

    func testBrokenFoldersNameWhatIsMissing() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("kl-broken-\(UUID())")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let configURL = dir.appendingPathComponent("config.json")
        let weightsURL = dir.appendingPathComponent("diffusion_pytorch_model.safetensors")

        XCTAssertThrowsError(try AutoencoderKL(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: configURL.path))
        }
        try fm.copyItem(at: folder.appendingPathComponent("config.json"), to: configURL)
        XCTAssertThrowsError(try AutoencoderKL(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: weightsURL.path))
        }
        var tensors = try fixtureTensors()
        tensors["decoder.mid_block.attentions.0.to_v.bias"] = nil
        tensors["encoder.down_blocks.0.downsamplers.0.conv.weight"] = nil
        try SafeTensorsWriter.write(tensors, to: weightsURL, precision: .f16)
        XCTAssertThrowsError(try AutoencoderKL(folder: dir, parts: .decoder)) {
            XCTAssertEqual($0 as? ModelError,
                           .tensorMissing(path: weightsURL.path, tensor: "decoder.mid_block.attentions.0.to_v.bias"))
        }
        XCTAssertThrowsError(try AutoencoderKL(folder: dir, parts: .encoder)) {
            XCTAssertEqual($0 as? ModelError,
                           .tensorMissing(path: weightsURL.path, tensor: "encoder.down_blocks.0.downsamplers.0.conv.weight"))
        }
        // Neither modern nor legacy attention names: the modern name is reported.
        tensors = try fixtureTensors()
        for n in tensors.keys where n.hasPrefix("decoder.mid_block.attentions.0.to_") { tensors[n] = nil }
        try SafeTensorsWriter.write(tensors, to: weightsURL, precision: .f16)
        XCTAssertThrowsError(try AutoencoderKL(folder: dir)) {
            XCTAssertEqual($0 as? ModelError,
                           .tensorMissing(path: weightsURL.path, tensor: "decoder.mid_block.attentions.0.to_q.weight"))
        }
        try SafeTensorsWriter.write(try fixtureTensors(), to: weightsURL, precision: .f16)
        XCTAssertNoThrow(try AutoencoderKL(folder: dir))

        let original = try fixtureConfig()
        func expectConfigError(_ edit: (inout [String: Any]) -> Void, _ match: (ModelError) -> Bool,
                               line: UInt = #line) throws {
            var cfg = original
            edit(&cfg)
            try JSONSerialization.data(withJSONObject: cfg).write(to: configURL)
            XCTAssertThrowsError(try AutoencoderKL(folder: dir), line: line) {
                guard let e = $0 as? ModelError, match(e) else { return XCTFail("\($0)", line: line) }
            }
        }
        try expectConfigError({ $0["layers_per_block"] = nil }) {
            if case .badConfig(configURL.path, "layers_per_block", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["block_out_channels"] = nil }) {
            if case .badConfig(_, "block_out_channels", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["norm_num_groups"] = 5 }) {
            if case .badConfig(_, "norm_num_groups", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["up_block_types"] = ["UpDecoderBlock2D"] }) {
            if case .badConfig(_, "up_block_types", _) = $0 { return true } else { return false }
        }
        try expectConfigError({ $0["down_block_types"] = ["DownEncoderBlock2D", "AttnDownEncoderBlock2D"] }) {
            "\($0)".contains("AttnDownEncoderBlock2D")
        }
        try expectConfigError({ $0["act_fn"] = "gelu" }) { "\($0)".contains("act_fn 'gelu'") }
        try expectConfigError({ $0["block_out_channels"] = [16, 48] }) {
            if case .shapeMismatch(_, _, _, _) = $0 { return true } else { return false }
        }
    }

    func testSD15ConfigDecodes() throws {
        // The SD 1.5 / 2.1 vae/config.json, plus an unknown key and a list-valued sample_size.
        let json = """
        {"_class_name": "AutoencoderKL", "_diffusers_version": "0.8.0", "act_fn": "silu",
         "block_out_channels": [128, 256, 512, 512],
         "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
         "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3,
         "sample_size": [512, 512], "scaling_factor": 0.18215,
         "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
         "shift_factor": null, "latents_mean": null, "some_future_key": 1}
        """
        let c = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(json.utf8))
        XCTAssertEqual(c, AutoencoderKLConfig())
        XCTAssertNoThrow(try c.validate(path: "config.json"))
        XCTAssertEqual(c.spatialScale, 8)
        // Block types default to the standard ones, one per width.
        let minimal = #"{"block_out_channels": [8, 16, 16], "layers_per_block": 1, "latent_channels": 16}"#
        let m = try JSONDecoder().decode(AutoencoderKLConfig.self, from: Data(minimal.utf8))
        XCTAssertEqual(m.downBlockTypes, ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"])
        XCTAssertEqual(m.upBlockTypes.count, 3)
        XCTAssertEqual(m.scalingFactor, 0.18215)
    }
}

extension Tensor {
    /// `torch.roll(x, k, dims=axis)` on axis 2 (y) or 3 (x) of [N, C, H, W].
    func roll(by k: Int, axis: Int) -> Tensor { axis == 2 ? rolled(dy: k, dx: 0) : rolled(dy: 0, dx: k) }
}
