import ArgumentParser
import Foundation
import TesseraModels

/// `tessera tokenize`: CLIP token ids for a prompt, as transformers' CLIPTokenizer gives them.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print CLIP token ids for a prompt.")

    @Option(name: .long, help: "A diffusers tokenizer/ folder, or a model folder containing one.")
    var tokenizer: String

    @Flag(name: .long, help: "Pad and truncate to model_max_length, as pipelines do.")
    var padded = false

    @Argument(help: "The prompt.")
    var prompt: String

    func run() throws {
        let tok = try CLIPTokenizer(folder: ModelFolder.component(tokenizer, "tokenizer"))
        let ids = padded ? tok.encodePadded(prompt) : tok.encode(prompt)
        print(ids.map(String.init).joined(separator: " "))
    }
}

/// Resolves a component folder: the path itself, or `path/<name>` in a diffusers model folder.
enum ModelFolder {
    static func component(_ path: String, _ name: String) -> URL {
        let url = URL(fileURLWithPath: path)
        let nested = url.appendingPathComponent(name)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDir), isDir.boolValue { return nested }
        return url
    }
}
