import ArgumentParser
import TesseraDiffusion

/// The compute options shared by the local commands: backend and thread count.
struct ComputeChoice: ParsableArguments {
    @Option(name: .long, help: "Compute backend: onednn (oneDNN convolutions) or openblas (the fp32 reference).")
    var backend = "onednn"

    @Option(name: .long, help: "Compute threads (0: all cores).")
    var threads = 0

    /// Installs the chosen backend process-wide; call before loading a model.
    func apply() throws {
        guard let chosen = Compute.backend(named: backend) else {
            throw ValidationError("--backend must be one of \(Compute.backendNames.joined(separator: ", "))")
        }
        Compute.backend = chosen
        if threads > 0 { Compute.setThreads(threads) }
    }
}
