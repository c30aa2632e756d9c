import ArgumentParser
import Foundation
import TesseraTensor

/// `tesserad`: the texture daemon.
///
/// The ZeroMQ transport, protocol and scheduler are not built yet (the daemon issue).
/// Until then this executable says so and exits with EX_UNAVAILABLE instead of
/// pretending to serve.
@main
struct TesseraDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tesserad",
        abstract: "Tessera texture daemon (serving is not implemented yet).")

    @Option(name: .long, help: "Control endpoint (ROUTER).")
    var control = "tcp://127.0.0.1:5555"

    func run() throws {
        FileHandle.standardError.write(Data("""
        tesserad: the numerical core (tensor kernels, safetensors, CLIP tokenizer and text encoder) is built,
        but serving over ZeroMQ (\(control)) is not implemented yet, so the daemon cannot start.
        Try `swift run tessera --help` for the local tools that work today.

        """.utf8))
        throw ExitCode(69) // EX_UNAVAILABLE
    }
}
