import ArgumentParser
import Foundation
import TesseraDiffusion
import TesseraImage

/// `tessera render`: text-to-image in process, with per-stage timings.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one image locally from a diffusers model folder and print stage timings.")

    @Option(name: .long, help: "Diffusers model folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/). Default: the embedded model.")
    var model: String?

    @Option(name: .long, help: "A separate decoder folder (e.g. TAESD) used instead of the model's vae/.")
    var decoder: String?

    @Option(name: .long, help: "The prompt.")
    var prompt: String

    @Option(name: .long, help: "Negative prompt (used when guidance > 1).")
    var negative: String?

    @Option(name: .long, help: "Seed (0 ... 2^64-1), as torch.Generator().manual_seed(seed).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Denoising steps (default: the model's tessera.json, else 1).")
    var steps: Int?

    @Option(name: .long, help: "Width in pixels (multiple of 8; default: the model's resolution, else 512).")
    var width: Int?

    @Option(name: .long, help: "Height in pixels (multiple of 8; default: the model's resolution, else 512).")
    var height: Int?

    @Option(name: .long, help: "Classifier-free guidance scale (guidance runs when > 1; default: the model's, else 0).")
    var guidance: Float?

    @Option(name: .long, help: "Scheduler override: euler, euler_a, lcm or ddim (default: the model's).")
    var scheduler: String?

    @Option(name: .long, help: "Seamless tiling: none, x, y or xy (default: the model's, else none).")
    var tiling: String?

    @Option(name: .customLong("save-latents"), help: "Write the final latents to this .npy file.")
    var saveLatents: String?

    @Option(name: .shortAndLong, help: "Output PNG path.")
    var output: String

    @OptionGroup var compute: ComputeChoice

    func run() throws {
        try compute.apply()
        let folder = try ModelChoice.folder(model)
        let rec = try ModelRecommendations(folder: folder)
        let tiling = try ModelChoice.tiling(tiling, recommended: rec)
        let kind = try scheduler.map { try SchedulerKind(name: $0) }
        let width = width ?? rec.resolution ?? 512, height = height ?? rec.resolution ?? 512
        var clock = Date()
        let model = try DiffusionModel(folder: folder, decoderFolder: decoder.map { URL(fileURLWithPath: $0) })
        let pipeline = TextToImagePipeline(model: model)
        print(String(format: "load            %8.1f ms", Date().timeIntervalSince(clock) * 1000))
        let params = GenerationParameters(prompt: prompt, negativePrompt: negative, seed: seed, steps: steps ?? rec.steps ?? 1,
                                          width: width, height: height, guidance: guidance ?? rec.guidance ?? 0,
                                          scheduler: kind, tiling: tiling)
        let result = try pipeline.generate(params)
        let t = result.timings
        print(String(format: "text encoding   %8.1f ms", t.textEncoding * 1000))
        for (i, s) in t.steps.enumerated() { print(String(format: "unet step %-5d %8.1f ms", i, s * 1000)) }
        print(String(format: "decode          %8.1f ms", t.decode * 1000))
        clock = Date()
        let rgba = try ImageConversion.rgba8(fromDecoded: result.image)[0]
        let png = try PNGCodec.encode(RGBAImage(width: width, height: height, pixels: rgba))
        try Data(png).write(to: URL(fileURLWithPath: output), options: .atomic)
        print(String(format: "png encode      %8.1f ms", Date().timeIntervalSince(clock) * 1000))
        if let saveLatents { try NpyFile.write(result.latents, to: URL(fileURLWithPath: saveLatents)) }
        print("wrote \(output) (\(width)x\(height), \(png.count) bytes)")
    }
}
