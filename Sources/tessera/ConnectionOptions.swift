import ArgumentParser

/// Options shared by the subcommands that talk to a running `tesserad` over its control
/// endpoint: where it is, and how long to wait for it.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's control endpoint (ROUTER).")
    var endpoint: String = "tcp://127.0.0.1:5555"

    @Option(name: .long, help: "Seconds to wait for all replies before giving up with an error.")
    var timeout: Double = 30

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 1_000_000 else { throw ValidationError("--timeout must be a positive number of seconds (at most 1000000)") }
    }

    /// Connects a client with these options.
    func connect() throws -> DaemonClient {
        try DaemonClient(endpoint: endpoint, timeout: timeout)
    }
}
