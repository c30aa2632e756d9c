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
        Daemon clients (ping, hello, stats, generate, watch) talk to a running tesserad; \
        render, tokenize, encode-text and inspect run locally on a model folder.
        """,
        subcommands: [Render.self, Batch.self, Bench.self, Latency.self, Tokenize.self, EncodeText.self, Inspect.self, Ping.self, Hello.self, Stats.self, Generate.self, Watch.self]
    )
}
