import Foundation
import XCTest
@testable import TesseraDiffusion

/// End-to-end parity with diffusers' StableDiffusionPipeline on the tiny committed models.
final class TextToImagePipelineTests: XCTestCase {
    struct Case: Decodable {
        let name: String, prompt: String, negative: String?
        let guidance: Float, steps: Int, seed: UInt64, tiling: String, height: Int, width: Int
    }


    /// Runs every case in `references`/reference_e2e.json on the model in `folder` and
    /// compares latents and RGB8 pixels with what diffusers produced.
    func runCases(_ name: String, model: URL? = nil, references: URL? = nil, count: Int = 3,
                  latentTolerance: Float = 1e-4, backend: (any ComputeBackend)? = nil) throws {
        let saved = Compute.backend
        if let backend { Compute.backend = backend }
        defer { Compute.backend = saved }
        let folder = model ?? Fixtures.url("pipelines/\(name)")
        let refs = references ?? folder
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: folder))
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: refs.appendingPathComponent("reference_e2e.json")))
        let ref = try SafeTensorsFile(url: refs.appendingPathComponent("reference_e2e.safetensors"))
        XCTAssertEqual(cases.count, count)
        for c in cases {
            let p = GenerationParameters(prompt: c.prompt, negativePrompt: c.negative, seed: c.seed, steps: c.steps,
                                         width: c.width, height: c.height, guidance: c.guidance,
                                         tiling: Tiling(name: c.tiling)!)
            let result = try pipeline.generate(p)
            XCTAssertEqual(result.stepsRun, c.steps)
            let expectedLatents = try ref.tensor("\(c.name).latents")
            let err = maxAbsError(result.latents, expectedLatents)
            XCTAssertLessThanOrEqual(err, latentTolerance, "\(name)/\(c.name): latent error \(err)")

            let rgba = try ImageConversion.rgba8(fromDecoded: result.image)[0]
            let pixels = try ref.tensor("\(c.name).pixels")  // [1, H, W, 3]
            var within = 0, total = 0, exact = 0
            for i in 0..<(c.width * c.height) {
                for ch in 0..<3 {
                    let d = abs(Float(rgba[i * 4 + ch]) - pixels.data[i * 3 + ch])
                    if d <= 1 { within += 1 }
                    if d == 0 { exact += 1 }
                    total += 1
                }
            }
            XCTAssertGreaterThanOrEqual(Double(within) / Double(total), 0.999, "\(name)/\(c.name): \(within)/\(total) channels within 1/255")
            // The image must not be flat, or the comparison proves little.
            XCTAssertGreaterThan(Set(rgba).count, 20)
        }
    }

    func testSD1EulerTrailingMatchesDiffusers() throws { try runCases("sd1_tiny", backend: OpenBLASBackend()) }

    func testSD2LCMWithGuidanceEmbeddingMatchesDiffusers() throws { try runCases("sd2_tiny", backend: OpenBLASBackend()) }

    /// The committed embedded model against diffusers' images of it (tools/train/make_reference.py):
    /// 1, 2 and 4 LCM steps, with and without xy tiling, at 128x128.
    func testEmbeddedModelMatchesDiffusers() throws {
        try runCases("tessera-tex-v1", model: embeddedModel, references: Fixtures.url("embedded"), count: 4,
                     latentTolerance: 1e-3, backend: OpenBLASBackend())
    }

    /// The oneDNN backend (the executables' default) meets the same pixel tolerance.
    func testEmbeddedModelMatchesDiffusersOnOneDNN() throws {
        try runCases("tessera-tex-v1", model: embeddedModel, references: Fixtures.url("embedded"), count: 4,
                     latentTolerance: 1e-3, backend: DNNLBackend())
    }

    func testSD1MatchesDiffusersOnOneDNN() throws { try runCases("sd1_tiny", backend: DNNLBackend()) }

    var embeddedModel: URL {
        Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/tessera-tex-v1")
    }

    func testCallbackSeesEveryStepAndCanCancel() throws {
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: Fixtures.url("pipelines/sd1_tiny")))
        var seen: [Int] = []
        var previewShape: [Int] = []
        let p = GenerationParameters(prompt: "bark", seed: 3, steps: 3, width: 32, height: 32)
        _ = try pipeline.generate(p) { progress in
            seen.append(progress.stepIndex)
            previewShape = progress.preview().shape
            return .proceed
        }
        XCTAssertEqual(seen, [0, 1, 2])
        XCTAssertEqual(previewShape, [1, 3, 16, 16])  // linear preview at latent resolution
        XCTAssertThrowsError(try pipeline.generate(p) { $0.stepIndex == 1 ? .cancel : .proceed }) {
            XCTAssertEqual($0 as? GenerationError, .cancelled(afterSteps: 2))
        }
    }

    func testInvalidParametersAreRejectedBeforeWork() throws {
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: Fixtures.url("pipelines/sd1_tiny")))
        for p in [GenerationParameters(prompt: "x", width: 30, height: 32),
                  GenerationParameters(prompt: "x", steps: 0, width: 32, height: 32),
                  GenerationParameters(prompt: "x", width: 32, height: 32, guidance: .nan)] {
            XCTAssertThrowsError(try pipeline.generate(p)) { XCTAssertTrue($0 is GenerationError) }
        }
    }

    /// Rolling the initial noise by a multiple of the UNet's downsampling factor rolls the
    /// final latents by the same amount, and the decoded image by the decoder's factor.
    func testTilingIsARealProperty() throws {
        let model = try DiffusionModel(folder: Fixtures.url("pipelines/sd1_tiny"))
        let pipeline = TextToImagePipeline(model: model)
        let context = try pipeline.prompts.encode("seamless moss").embedding
        let factor = 1 << (model.unet.config.levels - 1)
        func run(_ noise: Tensor) throws -> Tensor {
            var scheduler = try SchedulerFactory.make(config: model.schedulerConfig)
            try scheduler.configure(stepCount: 2)
            var random = TorchRandomSource(seed: 0)
            var x = Ops.affine(noise, scale: scheduler.initNoiseSigma)
            for (i, t) in scheduler.timesteps.enumerated() {
                let eps = model.unet(scheduler.scaleModelInput(x, stepIndex: i), timesteps: [t], context: context, tiling: .xy)
                x = scheduler.step(modelOutput: eps, stepIndex: i, sample: x, random: &random).prevSample
            }
            return x
        }
        var random = TorchRandomSource(seed: 5)
        let noise = random.normal(shape: [1, 4, 16, 16])
        let base = try run(noise)
        let rolled = try run(noise.rolled(dy: factor, dx: 2 * factor))
        XCTAssertLessThanOrEqual(maxAbsError(rolled, base.rolled(dy: factor, dx: 2 * factor)), 1e-4)
        let scale = model.autoencoder.spatialScale
        let image = try pipeline.decode(base, tiling: .xy)
        let rolledImage = try pipeline.decode(base.rolled(dy: 3, dx: 5), tiling: .xy)
        XCTAssertLessThanOrEqual(maxAbsError(rolledImage, image.rolled(dy: 3 * scale, dx: 5 * scale)), 1e-4)
    }

    func testBrokenModelFoldersNameWhatIsMissing() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("model-broken-\(UUID())")
        defer { try? fm.removeItem(at: dir) }
        try fm.copyItem(at: Fixtures.url("pipelines/sd1_tiny").resolvingSymlinksInPath(), to: dir)
        // copyItem keeps relative symlinks; point them at the fixtures explicitly.
        for (name, target) in [("text_encoder", "text_encoder/quick_gelu"), ("vae", "pipelines/vae_kl_tiny")] {
            try? fm.removeItem(at: dir.appendingPathComponent(name))
            try fm.createSymbolicLink(at: dir.appendingPathComponent(name), withDestinationURL: Fixtures.url(target))
        }
        for file in ["vocab.json", "merges.txt"] {
            try? fm.removeItem(at: dir.appendingPathComponent("tokenizer/\(file)"))
            try fm.copyItem(at: Fixtures.url("tokenizer/clip/\(file)"), to: dir.appendingPathComponent("tokenizer/\(file)"))
        }
        XCTAssertNoThrow(try DiffusionModel(folder: dir))
        try fm.removeItem(at: dir.appendingPathComponent("scheduler/scheduler_config.json"))
        XCTAssertThrowsError(try DiffusionModel(folder: dir)) { XCTAssertTrue("\($0)".contains("scheduler_config.json"), "\($0)") }
        try fm.removeItem(at: dir.appendingPathComponent("unet/config.json"))
        XCTAssertThrowsError(try DiffusionModel(folder: dir)) { XCTAssertTrue("\($0)".contains("unet/config.json"), "\($0)") }
        try fm.removeItem(at: dir.appendingPathComponent("model_index.json"))
        XCTAssertThrowsError(try DiffusionModel(folder: dir)) { XCTAssertTrue("\($0)".contains("model_index.json"), "\($0)") }
    }
}

extension TextToImagePipelineTests {
    /// Batched requests share UNet calls but each matches its own solo run.
    func testBatchMatchesSoloRunsAndCancelsIndividually() throws {
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: Fixtures.url("pipelines/sd1_tiny")))
        let a = GenerationParameters(prompt: "red brick", negativePrompt: "blur", seed: 1, steps: 2, width: 32, height: 32, guidance: 2)
        let b = GenerationParameters(prompt: "green moss", seed: 2, steps: 2, width: 32, height: 32, guidance: 3)
        XCTAssertTrue(pipeline.canBatch(a, b))
        XCTAssertFalse(pipeline.canBatch(a, GenerationParameters(prompt: "x", steps: 2, width: 32, height: 32, guidance: 0)))
        let together = try pipeline.generate(batch: [a, b])
        for (i, p) in [a, b].enumerated() {
            let solo = try pipeline.generate(p)
            let joint = try together[i].get()
            XCTAssertLessThanOrEqual(maxAbsError(joint.latents, solo.latents), 1e-4)
        }
        let partial = try pipeline.generate(batch: [a, b]) { index, _ in index == 0 ? .cancel : .proceed }
        XCTAssertEqual(partial[0].failureValue, .cancelled(afterSteps: 1))
        XCTAssertLessThanOrEqual(maxAbsError(try partial[1].get().latents, try together[1].get().latents), 1e-5)
    }
}

extension Result {
    var failureValue: Failure? { if case .failure(let e) = self { return e }; return nil }
}

extension TextToImagePipelineTests {
    /// `finishNow` stops early and decodes the scheduler's x0 estimate of that step.
    func testFinishNowDeliversTheCurrentEstimate() throws {
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: Fixtures.url("pipelines/sd1_tiny")))
        let p = GenerationParameters(prompt: "sand", seed: 4, steps: 3, width: 32, height: 32)
        var estimate: Tensor?
        let result = try pipeline.generate(p) { progress in
            if progress.stepIndex == 0 { estimate = progress.predictedOriginal; return .finishNow }
            return .proceed
        }
        XCTAssertEqual(result.stepsRun, 1)
        XCTAssertEqual(result.latents.scalars, try XCTUnwrap(estimate).scalars)
        XCTAssertEqual(result.image.shape, [1, 3, 32, 32])
    }
}
