import Foundation
import XCTest
@testable import TesseraDiffusion

/// The oneDNN backend's precision modes against the fp32 reference backend, on the
/// embedded model's four reference cases (1, 2 and 4 LCM steps, tiled and untiled). fp32 and bf16
/// run them at their 128x128; mixed at 256x256, where the UNet's 32-wide latent planes
/// get Winograd convolutions. The bounds are the ones docs/BENCHMARKS.md states; each run
/// prints what it measured.
final class PrecisionModeTests: XCTestCase {
    struct Case: Decodable {
        let name: String, prompt: String, negative: String?
        let guidance: Float, steps: Int, seed: UInt64, tiling: String, height: Int, width: Int
    }

    var embeddedModel: URL {
        Fixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models/tessera-tex-v1")
    }

    /// Latents and RGB8 pixels of every case under `backend`.
    func outputs(_ backend: any ComputeBackend, size: Int? = nil) throws -> [(latents: Tensor, rgba: [UInt8])] {
        let saved = Compute.backend
        Compute.backend = backend
        defer { Compute.backend = saved }
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: embeddedModel))
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: Fixtures.url("embedded/reference_e2e.json")))
        return try cases.map { c in
            let p = GenerationParameters(prompt: c.prompt, negativePrompt: c.negative, seed: c.seed, steps: c.steps,
                                         width: size ?? c.width, height: size ?? c.height, guidance: c.guidance,
                                         tiling: Tiling(name: c.tiling)!)
            let r = try pipeline.generate(p)
            return (r.latents, try ImageConversion.rgba8(fromDecoded: r.image)[0])
        }
    }

    /// Worst latent error, the share of RGB channels within 1/255 of the reference and the
    /// largest channel difference (in 1/255 steps).
    func compare(_ precision: ComputePrecision, size: Int? = nil) throws -> (latent: Float, within: Double, worst: Int) {
        try XCTSkipUnless(precision.isSupported(isa: DNNLBackend.isa), "\(precision.rawValue) needs kernels \(DNNLBackend.isa) lacks")
        let reference = try outputs(OpenBLASBackend(), size: size)
        let got = try outputs(DNNLBackend(precision: precision), size: size)
        var latent: Float = 0, within = 0, total = 0, worst = 0
        for (r, g) in zip(reference, got) {
            latent = max(latent, maxAbsError(g.latents, r.latents))
            for i in r.rgba.indices where i % 4 != 3 {
                let d = abs(Int(r.rgba[i]) - Int(g.rgba[i]))
                if d <= 1 { within += 1 }
                worst = max(worst, d)
                total += 1
            }
        }
        let share = Double(within) / Double(total)
        print("precision \(precision.rawValue) on \(DNNLBackend.isa): max latent error \(latent), \(100 * share)% of channels within 1/255, worst \(worst)/255")
        return (latent, share, worst)
    }

    /// oneDNN's fp32 mode (direct convolutions, channels-last UNet and decoder, matmuls on
    /// packed weights, attention): only the order of fp32 sums differs from the reference.
    func testFP32StaysWithinRoundingOfTheReference() throws {
        let r = try compare(.fp32)
        XCTAssertLessThanOrEqual(r.latent, 1e-4)
        XCTAssertGreaterThanOrEqual(r.within, 0.999)
    }

    /// Winograd's transforms: latents within 1e-3 of the reference (issue 6's bound).
    func testMixedPrecisionStaysWithinOneThousandth() throws {
        let before = DNNLBackend.winogradPrimitives
        let r = try compare(.mixed, size: 256)
        XCTAssertGreaterThan(DNNLBackend.winogradPrimitives, before, "no Winograd kernel ran: \(DNNLBackend.kernelSummary)")
        XCTAssertLessThanOrEqual(r.latent, 1e-3)
        XCTAssertGreaterThanOrEqual(r.within, 0.999)
    }

    /// bf16 convolution inputs: the bound measured and stated in docs/BENCHMARKS.md.
    func testBF16StaysWithinItsStatedBound() throws {
        let r = try compare(.bf16)
        // Measured on four successive weights of this model: 0.039 / 99.52%, 0.054 / 99.11%,
        // 0.053 / 98.45%, 0.098 / 99.02%; with bf16 attention and channels-last decoding 0.073 /
        // 99.36% on those, 0.056 / 99.45% on v1.2, and 0.055 / 96.97% (worst channel 3/255) on
        // v1.3, whose 4-step hexagon tile has 92.0% within 1/255: its sharp, saturated edges
        // turn the same latent error into more 2 and 3/255 steps. The share depends on the
        // weights; the worst channel is what a texture shows.
        XCTAssertLessThanOrEqual(r.latent, 0.2)
        XCTAssertGreaterThanOrEqual(r.within, 0.95)
        XCTAssertLessThanOrEqual(r.worst, 6)
    }
}
