import ArgumentParser
import Foundation
import TesseraWire

/// `tessera stats`: the daemon's counters, caches, deadlines and latencies.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's counters: queue, caches, deadline outcomes, latency percentiles, stream drops.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print the reply's JSON header as received instead of a table.")
    var json = false

    func run() throws {
        let client = try connection.connect()
        defer { client.close() }
        let answer = try client.call(.stats(id: client.makeID("stats")))
        switch answer.reply {
        case .stats(let stats):
            if json {
                print(String(decoding: answer.frames.count > 1 ? answer.frames[1] : [], as: UTF8.self))
            } else {
                print(Self.describe(stats))
            }
        case .error(let error):
            DaemonClient.report(error)
            throw ClientError.errorReplies(1)
        default:
            throw ClientError.unexpectedReply("stats answered with \(answer.reply)")
        }
    }

    /// The stats reply as readable text.
    static func describe(_ s: StatsReply) -> String {
        var lines = [
            String(format: "uptime      %.1f s", Double(s.uptimeMilliseconds) / 1000),
            "queue       \(s.queueDepth) waiting, \(s.inFlight) in flight",
            "requests    \(s.requests) received, \(s.errors) errors",
            "stream      \(s.streamPublished) published, \(s.streamDropped) dropped",
        ]
        if !s.caches.isEmpty {
            lines.append("caches      " + row(["hits", "misses", "hit rate", "entries", "bytes"]))
            for (name, c) in s.caches.sorted(by: { $0.key < $1.key }) {
                let lookups = c.hits + c.misses
                let rate = lookups == 0 ? "-" : String(format: "%.1f%%", 100 * Double(c.hits) / Double(lookups))
                lines.append("  " + pad(name, 10) + row(["\(c.hits)", "\(c.misses)", rate, "\(c.entries)", bytes(c.bytes)]))
            }
        }
        if !s.deadlines.isEmpty {
            lines.append("deadlines   " + row(["met", "degraded", "missed", "late"]))
            for (kind, d) in s.deadlines.sorted(by: { $0.key < $1.key }) {
                lines.append("  " + pad(kind, 10) + row(["\(d.met)", "\(d.degraded)", "\(d.missed)", "\(d.late)"]))
            }
        }
        if !s.latency.isEmpty {
            lines.append("latency ms  " + row(["count", "p50", "p90", "p99", "max"]))
            for (kind, l) in s.latency.sorted(by: { $0.key < $1.key }) {
                let ms = [l.p50, l.p90, l.p99, l.max].map { String(format: "%.2f", $0) }
                lines.append("  " + pad(kind, 10) + row(["\(l.count)"] + ms))
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ cells: [String]) -> String {
        cells.map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    private static func bytes(_ n: Int) -> String {
        n < 1 << 20 ? (n < 1 << 10 ? "\(n) B" : String(format: "%.1f KiB", Double(n) / 1024))
            : String(format: "%.1f MiB", Double(n) / 1_048_576)
    }
}
