import Foundation
import XCTest
@testable import TesseraDiffusion

/// Schedulers against diffusers (tools/fixtures/make_schedulers.py): timesteps exactly;
/// sigmas, init_noise_sigma and every tensor of a full denoising loop within 1e-5, relative
/// to the value for magnitudes above 1.
///
/// Why relative: the fixtures come from torch, whose float32 `sqrt` (MKL) is off by one ulp
/// for about a fifth of inputs on the machine that wrote them, while Swift's is correctly
/// rounded; so √(σ² + 1) and friends differ by an ulp now and then, and an ulp of the
/// latents of a linear-β schedule (|x| up to ~500, σ_max ≈ 157) is already 3e-5.
final class SchedulerTests: XCTestCase {
    struct Case: Decodable {
        struct Run: Decodable {
            let steps: Int
            let timesteps: [Double]
            let sigmas: [Double]?
            let init_noise_sigma: Double
            let file: String
        }
        let name: String
        let config: String
        let override: String?
        let class_name: String
        let seed: UInt64
        let eta: Double
        let runs: [Run]
    }

    struct Schedule: Decodable {
        let `case`: String
        let steps: Int
        let timesteps: [Double]
        let sigmas: [Double]?
        let init_noise_sigma: Double
    }

    static let tolerance: Float = 1e-5

    /// `tolerance`, relative for magnitudes above 1.
    static func tolerance(for reference: Double) -> Float { tolerance * max(1, Float(abs(reference))) }
    static let latentShape = [1, 4, 8, 8]

    func loadCases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: Fixtures.url("schedulers/cases.json")))
    }

    func makeScheduler(_ c: Case) throws -> any Scheduler {
        let config = try SchedulerConfig.load(from: Fixtures.url("schedulers/\(c.config)"))
        if c.eta != 0 {
            var ddim = try DDIMScheduler(config: config)
            ddim.eta = Float(c.eta)
            return ddim
        }
        return try SchedulerFactory.make(config: config, name: c.override)
    }

    /// The fixture's stand-in denoiser: `x * f32(0.5 cos(t/100)) + f32(0.1 sin(t/50))`.
    func fakeModel(_ x: Tensor, t: Float) -> Tensor {
        let a = Float(0.5 * cos(Double(t) / 100)), b = Float(0.1 * sin(Double(t) / 50))
        let out = Tensor(uninitialized: x.shape)
        for i in 0..<x.count { out.data[i] = x.data[i] * a + b }
        return out
    }

    /// Largest |a − b| / max(1, |b|).
    func maxError(_ a: Tensor, _ b: UnsafePointer<Float>) -> Float {
        var m: Float = 0
        for i in 0..<a.count { m = max(m, abs(a.data[i] - b[i]) / max(1, abs(b[i]))) }
        return m
    }

    func testFullLoopsMatchDiffusers() throws {
        let cases = try loadCases()
        XCTAssertEqual(cases.count, 12)
        var worst: (Float, String) = (0, "")
        for c in cases {
            var scheduler = try makeScheduler(c)
            XCTAssertEqual(scheduler.kind.className, c.class_name, c.name)
            for run in c.runs {
                let label = "\(c.name) n=\(run.steps)"
                try scheduler.configure(stepCount: run.steps)
                XCTAssertEqual(scheduler.inferenceStepCount, run.steps, label)
                XCTAssertEqual(scheduler.timesteps, run.timesteps.map { Float($0) }, "\(label) timesteps")
                if let sigmas = run.sigmas {
                    XCTAssertEqual(scheduler.sigmas.count, sigmas.count, "\(label) sigma count")
                    for (a, e) in zip(scheduler.sigmas, sigmas) {
                        XCTAssertEqual(a, Float(e), accuracy: Self.tolerance(for: e), "\(label) sigmas")
                    }
                } else {
                    XCTAssertTrue(scheduler.sigmas.isEmpty, label)
                }
                XCTAssertEqual(scheduler.initNoiseSigma, Float(run.init_noise_sigma),
                               accuracy: Self.tolerance(for: run.init_noise_sigma), "\(label) init_noise_sigma")

                let reference = try NpyFile.read(Fixtures.url("schedulers/\(run.file)"))
                let perStep = reference.shape[1]
                XCTAssertEqual(reference.shape, [run.steps, perStep] + Self.latentShape, label)
                let stride = Self.latentShape.reduce(1, *)
                var random = TorchRandomSource(seed: c.seed)
                var latents = scheduler.initialLatents(shape: Self.latentShape, random: &random)
                for (i, t) in scheduler.timesteps.enumerated() {
                    let row = reference.data + i * perStep * stride
                    let scaled = scheduler.scaleModelInput(latents, stepIndex: i)
                    var compared: [(String, Tensor)] = []
                    if perStep == 3 { compared.append(("scaled input", scaled)) }
                    let out = scheduler.step(modelOutput: fakeModel(scaled, t: t), stepIndex: i, sample: latents,
                                             random: &random)
                    compared += [("prev_sample", out.prevSample), ("predicted x0", out.predictedOriginal)]
                    for (k, (what, tensor)) in compared.enumerated() {
                        let err = maxError(tensor, row + k * stride)
                        if err > worst.0 { worst = (err, "\(label) step \(i) \(what)") }
                        XCTAssertLessThanOrEqual(err, Self.tolerance, "\(label) step \(i) \(what): max error \(err)")
                    }
                    latents = out.prevSample
                }
            }
        }
        print("SchedulerTests: largest loop error (relative above 1) \(worst.0) at \(worst.1)")
    }

    func testSchedulesForMoreStepCounts() throws {
        let schedules = try JSONDecoder().decode([Schedule].self,
                                                 from: Data(contentsOf: Fixtures.url("schedulers/schedules.json")))
        let cases = Dictionary(uniqueKeysWithValues: try loadCases().map { ($0.name, $0) })
        XCTAssertFalse(schedules.isEmpty)
        for s in schedules {
            let label = "\(s.case) n=\(s.steps)"
            var scheduler = try makeScheduler(try XCTUnwrap(cases[s.case]))
            try scheduler.configure(stepCount: s.steps)
            XCTAssertEqual(scheduler.timesteps, s.timesteps.map { Float($0) }, "\(label) timesteps")
            if let sigmas = s.sigmas {
                XCTAssertEqual(scheduler.sigmas.count, sigmas.count, "\(label) sigma count")
                for (a, e) in zip(scheduler.sigmas, sigmas) {
                    XCTAssertEqual(a, Float(e), accuracy: Self.tolerance(for: e), "\(label) sigmas")
                }
            }
            XCTAssertEqual(scheduler.initNoiseSigma, Float(s.init_noise_sigma),
                           accuracy: Self.tolerance(for: s.init_noise_sigma), label)
        }
    }

    func testTrainingScheduleMatchesTorchLinspace() throws {
        // diffusers' DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear"), float32 values.
        let schedule = try NoiseSchedule(config: SchedulerConfig(), defaultBetaStart: 0.00085, defaultBetaEnd: 0.012,
                                         defaultSchedule: "scaled_linear")
        XCTAssertEqual(schedule.betas.count, 1000)
        XCTAssertEqual(schedule.betas[0], Float(0.0008499999530613422))
        XCTAssertEqual(schedule.betas[999], Float(0.011999999172985554))
        XCTAssertEqual(schedule.alphasCumprod[500], Float(0.27633246779441833))
        XCTAssertEqual(schedule.alphasCumprod[999], Float(0.00466009508818388))
    }

    // MARK: - Configs and the factory

    static let turboJSON = """
    {"_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.24.0.dev0", "beta_end": 0.012,
     "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": false, "interpolation_type": "linear",
     "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": false,
     "skip_prk_steps": true, "steps_offset": 1, "timestep_spacing": "trailing", "trained_betas": null,
     "use_karras_sigmas": false, "some_future_key": {"nested": [1, 2]}}
    """

    func testConfigDecodingToleratesUnknownKeys() throws {
        let config = try SchedulerConfig.decode(Data(Self.turboJSON.utf8))
        XCTAssertEqual(config.className, "EulerDiscreteScheduler")
        XCTAssertEqual(config.timestepSpacing, "trailing")
        XCTAssertEqual(config.stepsOffset, 1)
        XCTAssertNil(config.trainedBetas)
        XCTAssertEqual(config.useKarrasSigmas, false)
        var scheduler = try SchedulerFactory.make(config: config)
        XCTAssertEqual(scheduler.kind, .euler)
        try scheduler.configure(stepCount: 1)
        XCTAssertEqual(scheduler.timesteps, [999])
    }

    func testOverrideKeepsSharedSettings() throws {
        let config = try SchedulerConfig.decode(Data(Self.turboJSON.utf8))
        for (name, kind) in [("euler", SchedulerKind.euler), ("euler_a", .eulerAncestral), ("lcm", .lcm), ("ddim", .ddim),
                             ("DDIMScheduler", .ddim)] {
            var scheduler = try SchedulerFactory.make(config: config, name: name)
            XCTAssertEqual(scheduler.kind, kind, name)
            try scheduler.configure(stepCount: 4)
            // Trailing spacing carries over to the classes that use it; LCM has its own schedule.
            XCTAssertEqual(scheduler.timesteps, kind == .lcm ? [999, 759, 499, 259] : [999, 749, 499, 249], name)
        }
    }

    func testUnknownClassAndNamesAreErrors() throws {
        var config = try SchedulerConfig.decode(Data(Self.turboJSON.utf8))
        config.className = "PNDMScheduler"
        XCTAssertThrowsError(try SchedulerFactory.make(config: config)) { error in
            XCTAssertEqual(error as? SchedulerError, .unknownScheduler(name: "PNDMScheduler"))
            XCTAssertTrue("\(error)".contains("PNDMScheduler"))
        }
        XCTAssertNoThrow(try SchedulerFactory.make(config: config, kind: .euler))
        XCTAssertThrowsError(try SchedulerFactory.make(config: config, name: "dpm++")) { error in
            XCTAssertEqual(error as? SchedulerError, .unknownScheduler(name: "dpm++"))
        }
        config.className = nil
        XCTAssertThrowsError(try SchedulerFactory.make(config: config)) { error in
            XCTAssertTrue("\(error)".contains("_class_name"))
        }
    }

    func testUnsupportedOptionsNameTheirKey() throws {
        func expect(_ key: String, kind: SchedulerKind = .euler, _ edit: (inout SchedulerConfig) -> Void) {
            var config = SchedulerConfig()
            edit(&config)
            XCTAssertThrowsError(try SchedulerFactory.make(config: config, kind: kind), key) { error in
                XCTAssertTrue("\(error)".contains("'\(key)'"), "\(error) should name \(key)")
            }
        }
        expect("use_karras_sigmas") { $0.useKarrasSigmas = true }
        expect("use_exponential_sigmas") { $0.useExponentialSigmas = true }
        expect("use_beta_sigmas") { $0.useBetaSigmas = true }
        expect("interpolation_type") { $0.interpolationType = "log_linear" }
        expect("timestep_type") { $0.timestepType = "continuous" }
        expect("final_sigmas_type") { $0.finalSigmasType = "max" }
        expect("timestep_spacing") { $0.timestepSpacing = "karras" }
        expect("prediction_type") { $0.predictionType = "flow" }
        expect("prediction_type", kind: .eulerAncestral) { $0.predictionType = "sample" }
        expect("beta_schedule", kind: .ddim) { $0.betaSchedule = "sigmoid" }
        expect("rescale_betas_zero_snr", kind: .lcm) { $0.rescaleBetasZeroSnr = true }
        expect("thresholding", kind: .ddim) { $0.thresholding = true }
        expect("trained_betas") { $0.trainedBetas = [0.1, 0.2] }
        expect("original_inference_steps", kind: .lcm) { $0.originalInferenceSteps = 0 }
    }

    func testBadJSONValueNamesTheKey() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sched-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"_class_name": "EulerDiscreteScheduler", "steps_offset": "one"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try SchedulerFactory.load(from: url)) { error in
            XCTAssertTrue("\(error)".contains("steps_offset"), "\(error)")
        }
    }

    func testStepAcceptsExistentialRandomSource() throws {
        var scheduler: any Scheduler = try EulerAncestralDiscreteScheduler(config: SchedulerConfig())
        try scheduler.configure(stepCount: 2)
        var random: any RandomSource = TorchRandomSource(seed: 3)
        var reference = TorchRandomSource(seed: 3)
        let x = scheduler.initialLatents(shape: [1, 4, 4, 4], random: &random)
        XCTAssertEqual(x.scalars, reference.normal(shape: [1, 4, 4, 4]).scalars.map { $0 * scheduler.initNoiseSigma })
        let out = scheduler.step(modelOutput: x, stepIndex: 0, sample: x, random: &random)
        XCTAssertEqual(out.prevSample.shape, [1, 4, 4, 4])
        // The step drew one tensor of noise from the shared stream.
        _ = reference.normal(shape: [1, 4, 4, 4])
        XCTAssertEqual(random.normal(shape: [5]).scalars, reference.normal(shape: [5]).scalars)
    }

    func testStepCountLimits() throws {
        var lcm = try LCMScheduler()
        XCTAssertThrowsError(try lcm.configure(stepCount: 51))
        XCTAssertNoThrow(try lcm.configure(stepCount: 50))
        var euler = try EulerDiscreteScheduler()
        XCTAssertThrowsError(try euler.configure(stepCount: 0))
        XCTAssertThrowsError(try euler.configure(stepCount: 1001))
    }

    func testTrainedBetasAreUsed() throws {
        var config = SchedulerConfig()
        config.numTrainTimesteps = 4
        config.trainedBetas = [0.1, 0.2, 0.3, 0.4]
        var ddim = try DDIMScheduler(config: config)
        XCTAssertEqual(ddim.schedule.alphasCumprod[3], 0.9 * 0.8 * 0.7 * 0.6, accuracy: 1e-6)
        try ddim.configure(stepCount: 2)
        XCTAssertEqual(ddim.timesteps, [2, 0])
    }
}
