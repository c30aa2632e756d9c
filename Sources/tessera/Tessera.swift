import ArgumentParser
import Foundation
import TesseraModels
import TesseraTensor

/// `tessera`: the command-line client and local tools.
@main
struct Tessera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Tessera command-line tools.",
        discussion: """
        Available now: local tools over the numerical core (tokenizer, text encoder, \
        safetensors inspection). Rendering, daemon clients and benchmarks arrive with \
        the diffusion-core and daemon issues.
        """,
        subcommands: [Render.self, Tokenize.self, EncodeText.self, Inspect.self, Ping.self, Hello.self, Stats.self, Generate.self, Watch.self]
    )
}
