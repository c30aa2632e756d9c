import ArgumentParser
import Foundation
import TesseraWire

/// `tessera latency`: round-trip times of one repeated request, measured from a native client.
/// The first `generate` computes the image; every repeat is a result-cache hit.
struct Latency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure request round trips (ping, or repeated generate = result-cache hits).")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "Round trips to time.")
    var count = 5000

    @Option(name: .long, help: "What to repeat: cache-hit or ping.")
    var mode = "cache-hit"

    @Option(name: .long, help: "Image size for cache-hit mode.")
    var size = 32

    func run() throws {
        let client = try connection.connect()
        defer { client.close() }
        func request(_ i: Int) -> Request {
            mode == "ping" ? .ping(id: "p\(i)")
                : .generate(GenerateRequest(id: "l\(i)", prompt: "latency probe", seed: 1, width: size, height: size,
                                            steps: 1, format: OutputFormat(type: .rgba8)))
        }
        _ = try client.call(request(-1))  // computes the result once
        var rtts: [Double] = []
        rtts.reserveCapacity(count)
        var hits = 0
        for i in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            let answer = try client.call(request(i))
            rtts.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if case .generate(let g) = answer.reply, g.delivered.cache == .hit { hits += 1 }
            if case .error(let e) = answer.reply { DaemonClient.report(e); throw ClientError.errorReplies(1) }
        }
        rtts.sort()
        func pct(_ p: Double) -> Double { rtts[min(rtts.count - 1, Int(p * Double(rtts.count - 1)))] }
        print(String(format: "%@ x %d: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms%@",
                     mode, count, pct(0.5), pct(0.9), pct(0.99), pct(0.999), rtts.last ?? 0,
                     mode == "ping" ? "" : "  (cache hits: \(hits))"))
    }
}
