import ArgumentParser
import Foundation
import TesseraDiffusion
import TesseraImage
import TesseraModels

/// `tessera batch`: renders a list of jobs in process, one model load for all of them.
/// The evaluation tools drive the Swift runtime through it.
struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render many PNGs locally from a JSON job list (one model load).",
        discussion: """
        The job file is {"jobs": [{"prompt": "...", "seed": 0, "steps": 4, "output": "a.png"}, ...]}; \
        each job may also set negative, width, height, guidance and tiling. Missing values come \
        from the model's tessera.json. Relative outputs are resolved against the job file's folder.
        """)

    @Option(name: .long, help: "Diffusers model folder (default: the embedded model).")
    var model: String?

    @Option(name: .long, help: "The JSON job file.")
    var jobs: String

    struct Job: Decodable {
        var prompt: String
        var negative: String?
        var seed: UInt64?
        var steps: Int?
        var width: Int?
        var height: Int?
        var guidance: Float?
        var tiling: String?
        var output: String
    }

    struct JobFile: Decodable { var jobs: [Job] }

    @OptionGroup var compute: ComputeChoice

    func run() throws {
        try compute.apply()
        let file = URL(fileURLWithPath: jobs)
        let list = try JSONDecoder().decode(JobFile.self, from: Data(contentsOf: file)).jobs
        let folder = try ModelChoice.folder(model)
        let rec = try ModelRecommendations(folder: folder)
        let pipeline = TextToImagePipeline(model: try DiffusionModel(folder: folder), store: MemoryPromptStore())
        let base = file.deletingLastPathComponent()
        let start = Date()
        let size = rec.resolution ?? 512
        for (i, job) in list.enumerated() {
            let params = GenerationParameters(prompt: job.prompt, negativePrompt: job.negative, seed: job.seed ?? 0,
                                              steps: job.steps ?? rec.steps ?? 1, width: job.width ?? size,
                                              height: job.height ?? size, guidance: job.guidance ?? rec.guidance ?? 0,
                                              tiling: try ModelChoice.tiling(job.tiling, recommended: rec))
            let result = try pipeline.generate(params)
            let rgba = try ImageConversion.rgba8(fromDecoded: result.image)[0]
            let png = try PNGCodec.encode(RGBAImage(width: params.width, height: params.height, pixels: rgba))
            let out = job.output.hasPrefix("/") ? URL(fileURLWithPath: job.output) : base.appendingPathComponent(job.output)
            try Data(png).write(to: out, options: .atomic)
            if (i + 1) % 200 == 0 { print("rendered \(i + 1)/\(list.count)") }
        }
        print(String(format: "rendered %d images in %.1f s", list.count, Date().timeIntervalSince(start)))
    }
}
