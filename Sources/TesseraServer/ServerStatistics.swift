import Foundation
import TesseraWire

/// Counters and latency samples behind the `stats` reply. Thread-safe.
final class ServerStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private let started = MonotonicClock.now()
    private var received = 0
    private var errors = 0
    private var deadlines: [String: StatsReply.Deadlines] = [:]
    private var latencies: [String: [Double]] = [:]
    private var published = 0
    private var dropped = 0
    /// Latency samples kept per kind (a ring: the newest replace the oldest).
    let window = 4096

    func requestReceived() { lock.lock(); received += 1; lock.unlock() }
    func errorSent() { lock.lock(); errors += 1; lock.unlock() }
    func published(ok: Bool) { lock.lock(); if ok { published += 1 } else { dropped += 1 }; lock.unlock() }

    /// Records a delivered generate: its kind, how the deadline went, and end-to-end latency.
    func delivered(kind: String, outcome: DeadlineOutcome, latencyMs: Double) {
        lock.lock(); defer { lock.unlock() }
        var d = deadlines[kind] ?? StatsReply.Deadlines()
        switch outcome {
        case .met: d.met += 1
        case .degraded: d.degraded += 1
        case .missed: d.missed += 1
        case .late: d.late += 1
        }
        deadlines[kind] = d
        var samples = latencies[kind] ?? []
        if samples.count >= window { samples.removeFirst(samples.count - window + 1) }
        samples.append(latencyMs)
        latencies[kind] = samples
    }

    enum DeadlineOutcome { case met, degraded, missed, late }

    func snapshot(id: String?, queueDepth: Int, inFlight: Int, caches: [String: StatsReply.Cache]) -> StatsReply {
        lock.lock(); defer { lock.unlock() }
        let latency = latencies.mapValues { samples -> StatsReply.Latency in
            let sorted = samples.sorted()
            func pct(_ p: Double) -> Double {
                guard !sorted.isEmpty else { return 0 }
                return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
            }
            return StatsReply.Latency(count: sorted.count, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: sorted.last ?? 0)
        }
        return StatsReply(id: id, uptimeMilliseconds: Int((MonotonicClock.now() - started) / 1_000_000), queueDepth: queueDepth,
                          inFlight: inFlight, requests: received, errors: errors, caches: caches, deadlines: deadlines,
                          latency: latency, streamPublished: published, streamDropped: dropped)
    }
}
