import Foundation
import XCTest
import TesseraTensor
@testable import TesseraModels

/// UNet2DConditionModel against diffusers on the two committed tiny configs.
final class UNetTests: XCTestCase {

    func check(_ name: String) throws {
        let folder = Fixtures.url("pipelines/\(name)")
        let unet = try UNet2DConditionModel(folder: folder.appendingPathComponent("unet"))
        let ref = try SafeTensorsFile(url: folder.appendingPathComponent("reference_unet.safetensors"))
        let sample = try ref.tensor("sample"), context = try ref.tensor("context")
        let ts = try ref.tensor("timesteps").scalars
        let cond = ref.entries["timestep_cond"] != nil ? try ref.tensor("timestep_cond") : nil
        XCTAssertEqual(cond != nil, unet.config.timeCondProjDim != nil)

        let expected = try ref.tensor("out")
        let out = unet(sample, timesteps: ts, context: context, timestepCondition: cond)
        XCTAssertLessThanOrEqual(maxAbsError(out, expected), 1e-4, "\(name): batch-2 output")
        XCTAssertGreaterThan(expected.scalars.map(abs).max()!, 0.1, "reference is degenerate")

        let odd = unet(try ref.tensor("odd_sample"), timesteps: [500],
                       context: context.slice(batch: 0), timestepCondition: cond?.slice(batch: 0))
        XCTAssertLessThanOrEqual(maxAbsError(odd, try ref.tensor("odd_out")), 1e-4, "\(name): odd-size output")

        let tiled = unet(sample, timesteps: ts, context: context, timestepCondition: cond, tiling: .xy)
        XCTAssertLessThanOrEqual(maxAbsError(tiled, try ref.tensor("tiled_out")), 1e-4, "\(name): circular output")
    }

    func testSD1LikeConvProjection() throws { try check("sd1_tiny") }

    func testSD2LikeLinearProjectionPerBlockHeadsAndGuidanceEmbedding() throws { try check("sd2_tiny") }

    /// On the oneDNN backend the UNet runs channels-last from conv_in to conv_out (group
    /// norms, time-embedding sums, skip concatenations, odd-size upsampling, both kinds of
    /// transformer projection); batch, odd-size and circular outputs must still match diffusers.
    func testOneDNNChannelsLastMatchesDiffusers() throws {
        try onOneDNNChannelsLast {
            try check("sd1_tiny")
            try check("sd2_tiny")
        }
    }

    /// With xy tiling the UNet is equivariant to rolls by multiples of its downsampling factor.
    func testTiledUNetCommutesWithRoll() throws {
        let folder = Fixtures.url("pipelines/sd1_tiny")
        let unet = try UNet2DConditionModel(folder: folder.appendingPathComponent("unet"))
        let ref = try SafeTensorsFile(url: folder.appendingPathComponent("reference_unet.safetensors"))
        let sample = try ref.tensor("sample").slice(batch: 0), context = try ref.tensor("context").slice(batch: 0)
        let factor = 1 << (unet.config.levels - 1)
        let base = unet(sample, timesteps: [400], context: context, tiling: .xy)
        for (dy, dx) in [(factor, 0), (0, 2 * factor), (factor, factor)] {
            let rolled = unet(sample.rolled(dy: dy, dx: dx), timesteps: [400], context: context, tiling: .xy)
            XCTAssertLessThanOrEqual(maxAbsError(rolled, base.rolled(dy: dy, dx: dx)), 1e-4, "roll (\(dy), \(dx))")
        }
        // Without tiling the property fails, so the check above is not vacuous.
        let plain = unet(sample, timesteps: [400], context: context)
        let plainRolled = unet(sample.rolled(dy: factor, dx: 0), timesteps: [400], context: context)
        XCTAssertGreaterThan(maxAbsError(plainRolled, plain.rolled(dy: factor, dx: 0)), 1e-3)
    }

    func testBadConfigsNameTheKey() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("unet-bad-\(UUID())")
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: dir) }
        let src = Fixtures.url("pipelines/sd1_tiny/unet")
        try fm.copyItem(at: src.appendingPathComponent("diffusion_pytorch_model.safetensors"),
                        to: dir.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let base = try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("config.json"))) as! [String: Any]
        func attempt(_ edit: (inout [String: Any]) -> Void) -> Error? {
            var cfg = base
            edit(&cfg)
            try? JSONSerialization.data(withJSONObject: cfg).write(to: dir.appendingPathComponent("config.json"))
            do { _ = try UNet2DConditionModel(folder: dir); return nil } catch { return error }
        }
        XCTAssertNil(attempt { _ in })
        XCTAssertTrue("\(attempt { $0["down_block_types"] = ["SimpleCrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"] }!)"
            .contains("SimpleCrossAttnDownBlock2D"))
        XCTAssertTrue("\(attempt { $0["addition_embed_type"] = "text_time" }!)".contains("addition_embed_type"))
        XCTAssertTrue("\(attempt { $0["block_out_channels"] = [16, 32] }!)".contains("down_block_types"))
        XCTAssertTrue("\(attempt { $0["layers_per_block"] = [1, 1] }!)".contains("layers_per_block"))
        let crossError = "\(attempt { $0["cross_attention_dim"] = 48 }!)"
        XCTAssertTrue(crossError.contains("attn2.to_k.weight"), crossError)
        XCTAssertTrue("\(attempt { $0["block_out_channels"] = "wide" }!)".contains("block_out_channels"))
        try fm.removeItem(at: dir.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        XCTAssertTrue("\(attempt { _ in }!)".contains("diffusion_pytorch_model.safetensors"))
    }
}
