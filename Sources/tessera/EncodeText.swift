import ArgumentParser
import Foundation
import TesseraModels
import TesseraTensor

/// `tessera encode-text`: runs the CLIP text encoder of a model folder on a prompt.
struct EncodeText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode-text",
        abstract: "Encode a prompt with a model's CLIP text encoder and report the result and timing.")

    @Option(name: .long, help: "A diffusers model folder (with tokenizer/ and text_encoder/).")
    var model: String

    @Option(name: .long, help: "Tokenizer folder, when it is not <model>/tokenizer.")
    var tokenizer: String?

    @Option(name: .long, help: "The prompt.")
    var prompt: String

    @Option(name: .long, help: "Write last_hidden_state to this .npy file.")
    var save: String?

    func run() throws {
        let t0 = Date()
        let tok = try CLIPTokenizer(folder: ModelFolder.component(tokenizer ?? model, "tokenizer"))
        let encoder = try CLIPTextModel(folder: ModelFolder.component(model, "text_encoder"))
        let loaded = Date()
        let ids = tok.encodePadded(prompt, length: min(tok.modelMaxLength, encoder.config.maxPositionEmbeddings))
        let out = try encoder.encode([ids])
        let done = Date()
        let h = out.lastHiddenState
        let values = h.scalars
        let n = Float(values.count)
        let mean: Float = values.reduce(0, +) / n
        var sq: Float = 0
        for v in values { sq += (v - mean) * (v - mean) }
        let std = (sq / n).squareRoot()
        let used = (ids.firstIndex(of: tok.eosTokenID) ?? ids.count - 1) + 1
        print("tokens: \(used) of \(ids.count)")
        print("last_hidden_state: \(h.shape) mean \(mean) std \(std)")
        if let te = out.textEmbeds { print("text_embeds: \(te.shape)") }
        print(String(format: "load %.1f ms, encode %.1f ms (backend %@)",
                     loaded.timeIntervalSince(t0) * 1000, done.timeIntervalSince(loaded) * 1000, Compute.backend.name))
        if let save { try NpyFile.write(h, to: URL(fileURLWithPath: save)) }
    }
}
