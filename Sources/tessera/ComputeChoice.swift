import ArgumentParser
import TesseraDiffusion

/// The compute options shared by the local commands: backend and thread count.
struct ComputeChoice: ParsableArguments {
    @Option(name: .long, help: "Compute backend: onednn (oneDNN convolutions) or openblas (the fp32 reference).")
    var backend = "onednn"

    @Option(name: .long, help: "Numerics of the onednn backend: fp32, mixed (Winograd 3x3 convs) or bf16 (bf16 convs).")
    var precision = "fp32"

    @Option(name: .long, help: "Compute threads (0: all cores).")
    var threads = 0

    /// Installs the chosen backend process-wide; call before loading a model.
    func apply() throws {
        do {
            Compute.backend = try Compute.backend(named: backend, precisionNamed: precision)
        } catch let e as ComputeChoiceError {
            throw ValidationError(e.description)
        }
        if threads > 0 { Compute.setThreads(threads) }
    }
}
