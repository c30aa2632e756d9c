import ArgumentParser
import Foundation
import TesseraDiffusion

/// `tessera bench`: repeated end-to-end generations with the prompt already encoded,
/// reporting medians per stage. Speed claims in docs/ come from this, never from tests.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time text-to-image end to end (noise to RGBA8, prompt pre-encoded) over repeated runs.")

    @Option(name: .long, help: "Diffusers model folder (default: the embedded model).")
    var model: String?

    @Option(name: .long, help: "Separate decoder folder (e.g. TAESD).")
    var decoder: String?

    @Option(name: .long, help: "The prompt (encoded once, before timing).")
    var prompt = "seamless mossy cobblestone texture"

    @Option(name: .long, help: "Image width.")
    var width = 128

    @Option(name: .long, help: "Image height.")
    var height = 128

    @Option(name: .long, parsing: .upToNextOption, help: "Step counts to measure, e.g. --steps 1 2 4.")
    var steps: [Int] = [1, 4]

    @Option(name: .long, help: "Guidance scale (default: the model's tessera.json, else 0).")
    var guidance: Float?

    @Option(name: .long, help: "Seamless tiling: none, x, y or xy.")
    var tiling = "xy"

    @Option(name: .long, help: "Timed runs per step count.")
    var runs = 20

    @Option(name: .long, help: "Untimed warm-up runs per step count.")
    var warmup = 3

    @OptionGroup var compute: ComputeChoice

    func validate() throws {
        // Medians of nothing would index an empty list.
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be at least 1 and --warmup at least 0") }
    }

    func run() throws {
        try compute.apply()
        let folder = try ModelChoice.folder(model)
        let tiling = try ModelChoice.tiling(tiling, recommended: ModelRecommendations())
        let guidance = try guidance ?? ModelRecommendations(folder: folder).guidance ?? 0
        let store = MemoryPromptStore()
        let loaded = try DiffusionModel(folder: folder, decoderFolder: decoder.map { URL(fileURLWithPath: $0) })
        let pipeline = TextToImagePipeline(model: loaded, store: store)
        _ = try pipeline.prompts.encode(prompt)
        if guidance > 1 { _ = try pipeline.prompts.encode("") }
        print("model \(loaded.name), \(width)x\(height), tiling \(tiling.name), guidance \(guidance), backend \(Compute.backend.name), \(runs) runs")
        print("steps   total p50   total p90   unet/step p50   decode p50   rgba8 p50   (ms)")
        for k in steps {
            var total: [Double] = [], unet: [Double] = [], decode: [Double] = [], convert: [Double] = []
            for i in 0..<(warmup + runs) {
                let params = GenerationParameters(prompt: prompt, seed: UInt64(i), steps: k, width: width, height: height,
                                                  guidance: guidance, tiling: tiling)
                let start = Date()
                let result = try pipeline.generate(params)
                let c = Date()
                _ = try ImageConversion.rgba8(fromDecoded: result.image)
                let end = Date()
                guard i >= warmup else { continue }
                total.append(end.timeIntervalSince(start) * 1000)
                unet.append(result.timings.steps.reduce(0, +) * 1000 / Double(k))
                decode.append(result.timings.decode * 1000)
                convert.append(end.timeIntervalSince(c) * 1000)
            }
            func pct(_ v: [Double], _ p: Double) -> Double { let s = v.sorted(); return s[min(s.count - 1, Int(p * Double(s.count - 1)))] }
            print(String(format: "%5d   %9.2f   %9.2f   %13.2f   %10.2f   %9.2f", k, pct(total, 0.5), pct(total, 0.9),
                         pct(unet, 0.5), pct(decode, 0.5), pct(convert, 0.5)))
        }
        // The text encoder, which the runs above skip (a daemon caches prompt embeddings).
        let ids = pipeline.prompts.tokens(prompt)
        var encode: [Double] = []
        for i in 0..<(warmup + runs) {
            let start = Date()
            _ = try loaded.textEncoder.encode([ids])
            if i >= warmup { encode.append(Date().timeIntervalSince(start) * 1000) }
        }
        print(String(format: "text encoder p50 %.2f ms (%d tokens, uncached)", encode.sorted()[(encode.count - 1) / 2], ids.count))
        if Compute.backend is DNNLBackend { print("oneDNN primitives: \(DNNLBackend.kernelSummary)") }
    }
}

/// An in-process prompt store, so timed runs skip the text encoder as a daemon's cache would.
final class MemoryPromptStore: PromptEmbeddingStore, @unchecked Sendable {
    private var entries: [[Int32]: Tensor] = [:]
    private let lock = NSLock()
    func embedding(model: String, tokens: [Int32]) -> Tensor? { lock.lock(); defer { lock.unlock() }; return entries[tokens] }
    func store(_ embedding: Tensor, model: String, tokens: [Int32]) { lock.lock(); entries[tokens] = embedding; lock.unlock() }
}
