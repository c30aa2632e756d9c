import Foundation
import XCTest
import TesseraTensor
@testable import TesseraModels

/// The CLIP text encoder against transformers on the two committed tiny configs.
final class CLIPTextModelTests: XCTestCase {
    struct Reference: Decodable {
        let prompts: [String]
        let input_ids: [[Int32]]
    }


    func check(_ name: String, expectProjection: Bool) throws {
        let folder = Fixtures.url("text_encoder/\(name)")
        let model = try CLIPTextModel(folder: folder)
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        let expected = try SafeTensorsFile(url: folder.appendingPathComponent("reference.safetensors"))
        let out = try model.encode(ref.input_ids, keepHiddenStates: true)
        let layers = model.config.numHiddenLayers
        XCTAssertEqual(out.hiddenStates.count, layers + 1)

        let tol: Float = 1e-4
        let last = try expected.tensor("last_hidden_state")
        XCTAssertLessThanOrEqual(maxAbsError(out.lastHiddenState, last), tol, "\(name) last_hidden_state")
        for k in 0...layers {
            let e = try expected.tensor("hidden_states.\(k)")
            XCTAssertLessThanOrEqual(maxAbsError(out.hiddenStates[k], e), tol, "\(name) hidden_states.\(k)")
        }
        // The penultimate state, as SDXL uses it, is hidden_states[-2].
        XCTAssertLessThanOrEqual(maxAbsError(out.hiddenStates[layers - 1], try expected.tensor("hidden_states.\(layers - 1)")), tol)
        XCTAssertLessThanOrEqual(maxAbsError(out.pooled, try expected.tensor("pooler_output")), tol, "\(name) pooled")
        if expectProjection {
            let te = try XCTUnwrap(out.textEmbeds, "\(name) should have text_embeds")
            XCTAssertLessThanOrEqual(maxAbsError(te, try expected.tensor("text_embeds")), tol, "\(name) text_embeds")
        } else {
            XCTAssertNil(out.textEmbeds)
        }
        // Outputs are not degenerate: a test against zeros would also "pass" otherwise.
        XCTAssertGreaterThan(last.scalars.map(abs).max() ?? 0, 0.1)
    }

    func testQuickGeluF16MatchesTransformers() throws { try check("quick_gelu", expectProjection: false) }

    func testGeluProjectionShardedBF16MatchesTransformers() throws { try check("gelu_projection", expectProjection: true) }

    func testTokenizerPlusEncoderEndToEnd() throws {
        let folder = Fixtures.url("text_encoder/quick_gelu")
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: folder.appendingPathComponent("reference.json")))
        let tok = try CLIPTokenizer(folder: Fixtures.url("tokenizer/clip"))
        XCTAssertEqual(ref.prompts.map { tok.encodePadded($0) }, ref.input_ids)
    }

    func testBadInputsThrow() throws {
        let model = try CLIPTextModel(folder: Fixtures.url("text_encoder/quick_gelu"))
        XCTAssertThrowsError(try model.encode([]))
        XCTAssertThrowsError(try model.encode([[1, 2], [1]]))
        XCTAssertThrowsError(try model.encode([[Int32](repeating: 1, count: 78)]))
        XCTAssertThrowsError(try model.encode([[49408]]))
        XCTAssertThrowsError(try model.encode([[-1]]))
    }

    func testBrokenFoldersNameWhatIsMissing() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("clip-broken-\(UUID())")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let src = Fixtures.url("text_encoder/quick_gelu")

        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: dir.appendingPathComponent("config.json").path))
        }
        try fm.copyItem(at: src.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) {
            XCTAssertEqual($0 as? ModelError, .fileMissing(path: dir.appendingPathComponent("model.safetensors").path))
        }
        // Weights lacking one layer's tensor.
        let full = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in full.names where n != "text_model.encoder.layers.1.mlp.fc2.bias" { tensors[n] = try full.tensor(n) }
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("model.safetensors"), precision: .f16)
        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) {
            guard case ModelError.tensorMissing(_, "text_model.encoder.layers.1.mlp.fc2.bias") = $0 else { return XCTFail("\($0)") }
        }
        // A config whose width disagrees with the weights is a shape error naming the tensor.
        var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("config.json"))) as! [String: Any]
        cfg["hidden_size"] = 48
        try JSONSerialization.data(withJSONObject: cfg).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) {
            guard case ModelError.shapeMismatch(_, "text_model.embeddings.token_embedding.weight", _, _) = $0 else { return XCTFail("\($0)") }
        }
        cfg["hidden_act"] = "relu6"
        cfg["hidden_size"] = 32
        try JSONSerialization.data(withJSONObject: cfg).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) { XCTAssertTrue("\($0)".contains("relu6")) }
        cfg["hidden_act"] = "quick_gelu"
        cfg["num_attention_heads"] = 5
        try JSONSerialization.data(withJSONObject: cfg).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) {
            guard case ModelError.badConfig(_, "num_attention_heads", _) = $0 else { return XCTFail("\($0)") }
        }
        cfg["num_attention_heads"] = "four"
        try JSONSerialization.data(withJSONObject: cfg).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CLIPTextModel(folder: dir)) {
            guard case ModelError.badConfig(_, "num_attention_heads", _) = $0 else { return XCTFail("\($0)") }
        }
    }

    func testConfigDefaultsAndUnknownKeys() throws {
        let json = #"{"hidden_size": 1024, "some_future_key": {"x": 1}, "architectures": ["CLIPTextModelWithProjection"]}"#
        let c = try JSONDecoder().decode(CLIPTextConfig.self, from: Data(json.utf8))
        XCTAssertEqual(c.hiddenSize, 1024)
        XCTAssertEqual(c.vocabSize, 49408)
        XCTAssertEqual(c.hiddenAct, "quick_gelu")
        XCTAssertTrue(c.hasProjection)
    }
}

extension CLIPTextModelTests {
    /// transformers 5 writes CLIPTextModel tensors without the `text_model.` prefix.
    func testLoadsUnprefixedTensorNames() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("clip-unprefixed-\(UUID())")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let src = Fixtures.url("text_encoder/quick_gelu")
        try fm.copyItem(at: src.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        let full = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in full.names { tensors[String(n.dropFirst("text_model.".count))] = try full.tensor(n) }
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        let a = try CLIPTextModel(folder: dir).encode([[49406, 320, 49407]]).lastHiddenState
        let b = try CLIPTextModel(folder: src).encode([[49406, 320, 49407]]).lastHiddenState
        XCTAssertEqual(a.scalars, b.scalars)
    }
}
