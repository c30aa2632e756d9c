import TesseraDiffusion
import TesseraWire

/// Everything that determines the bytes of a result: equal keys give equal images.
struct ResultKey: Hashable, Sendable {
    let model: String
    let prompt: String
    let negativePrompt: String?
    let seed: UInt64
    let width: Int, height: Int, steps: Int
    let guidance: Float
    let scheduler: String?
    let tiling: UInt8
    let format: String
    let mips: Bool
    let srgb: Bool

    init(model: String, parameters p: GenerationParameters, format: OutputFormat) {
        self.model = model
        prompt = p.prompt
        negativePrompt = p.guidance > 1 ? p.negativePrompt : nil
        seed = p.seed
        width = p.width; height = p.height; steps = p.steps
        guidance = p.guidance
        scheduler = p.scheduler?.rawValue
        tiling = p.tiling.rawValue
        self.format = format.type.rawValue
        mips = format.mips
        srgb = format.srgb
    }
}

/// An encoded result as it goes on the wire, minus the per-request header fields.
struct EncodedResult: Sendable {
    let image: ImageDescription
    let payload: [[UInt8]]
    var byteCount: Int { payload.reduce(0) { $0 + $1.count } }
}
