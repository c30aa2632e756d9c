/// The reply to `stats`: counters since start and latency percentiles.
public struct StatsReply: Sendable, Equatable {
    /// Hit and miss counters of one cache (`caches` member, keyed by cache name:
    /// `prompt`, `latent`, `result`).
    public struct Cache: Sendable, Equatable {
        /// Lookups that found an entry.
        public var hits: Int
        /// Lookups that found none.
        public var misses: Int
        /// Entries held now.
        public var entries: Int
        /// Bytes held now.
        public var bytes: Int
        /// Creates counters.
        public init(hits: Int = 0, misses: Int = 0, entries: Int = 0, bytes: Int = 0) {
            self.hits = hits; self.misses = misses; self.entries = entries; self.bytes = bytes
        }
    }

    /// Deadline outcomes of one request kind (`deadlines` member, keyed by kind).
    public struct Deadlines: Sendable, Equatable {
        /// Full results before the deadline.
        public var met: Int
        /// Degraded results before the deadline.
        public var degraded: Int
        /// `deadline_unmet` and `dropped` answers.
        public var missed: Int
        /// Results sent after the deadline (`on_miss: "late"`).
        public var late: Int
        /// Creates counters.
        public init(met: Int = 0, degraded: Int = 0, missed: Int = 0, late: Int = 0) {
            self.met = met; self.degraded = degraded; self.missed = missed; self.late = late
        }
    }

    /// Server-side latency, receipt to reply, of one request kind (`latency_ms`, keyed by kind).
    public struct Latency: Sendable, Equatable {
        /// Requests measured.
        public var count: Int
        /// Median, in milliseconds.
        public var p50: Double
        /// 90th percentile, in milliseconds.
        public var p90: Double
        /// 99th percentile, in milliseconds.
        public var p99: Double
        /// Largest, in milliseconds.
        public var max: Double
        /// Creates a summary.
        public init(count: Int = 0, p50: Double = 0, p90: Double = 0, p99: Double = 0, max: Double = 0) {
            self.count = count; self.p50 = p50; self.p90 = p90; self.p99 = p99; self.max = max
        }
    }

    /// The request's id, if it had one.
    public var id: String?
    /// Milliseconds since the server started.
    public var uptimeMilliseconds: Int
    /// Requests admitted and waiting.
    public var queueDepth: Int
    /// Requests being computed now.
    public var inFlight: Int
    /// Requests received.
    public var requests: Int
    /// Requests answered with an error reply.
    public var errors: Int
    /// Per cache.
    public var caches: [String: Cache]
    /// Per request kind (`tile`, `backdrop`).
    public var deadlines: [String: Deadlines]
    /// Per request kind.
    public var latency: [String: Latency]
    /// Stream messages published.
    public var streamPublished: Int
    /// Stream messages dropped because a subscriber was at its high-water mark.
    public var streamDropped: Int

    /// Creates a stats reply.
    public init(id: String?, uptimeMilliseconds: Int = 0, queueDepth: Int = 0, inFlight: Int = 0,
                requests: Int = 0, errors: Int = 0, caches: [String: Cache] = [:],
                deadlines: [String: Deadlines] = [:], latency: [String: Latency] = [:],
                streamPublished: Int = 0, streamDropped: Int = 0) {
        self.id = id
        self.uptimeMilliseconds = uptimeMilliseconds
        self.queueDepth = queueDepth
        self.inFlight = inFlight
        self.requests = requests
        self.errors = errors
        self.caches = caches
        self.deadlines = deadlines
        self.latency = latency
        self.streamPublished = streamPublished
        self.streamDropped = streamDropped
    }

    var members: [String: WireJSON] {
        func int(_ n: Int) -> WireJSON { .integer(Int64(n)) }
        return [
            "uptime_ms": int(uptimeMilliseconds),
            "queue_depth": int(queueDepth),
            "in_flight": int(inFlight),
            "requests": .object(["received": int(requests), "errors": int(errors)]),
            "caches": .object(caches.mapValues {
                .object(["hits": int($0.hits), "misses": int($0.misses), "entries": int($0.entries), "bytes": int($0.bytes)])
            }),
            "deadlines": .object(deadlines.mapValues {
                .object(["met": int($0.met), "degraded": int($0.degraded), "missed": int($0.missed), "late": int($0.late)])
            }),
            "latency_ms": .object(latency.mapValues {
                .object(["count": int($0.count), "p50": .double($0.p50), "p90": .double($0.p90),
                         "p99": .double($0.p99), "max": .double($0.max)])
            }),
            "stream": .object(["published": int(streamPublished), "dropped": int(streamDropped)]),
        ]
    }

    init(id: String?, reading fields: FieldReader) throws(WireError) {
        self.id = id
        uptimeMilliseconds = try fields.int("uptime_ms") ?? 0
        queueDepth = try fields.int("queue_depth") ?? 0
        inFlight = try fields.int("in_flight") ?? 0
        let requests = try fields.object("requests")
        self.requests = try requests?.int("received") ?? 0
        errors = try requests?.int("errors") ?? 0
        caches = try Self.map(fields, "caches") { r throws(WireError) in
            Cache(hits: try r.int("hits") ?? 0, misses: try r.int("misses") ?? 0,
                  entries: try r.int("entries") ?? 0, bytes: try r.int("bytes") ?? 0)
        }
        deadlines = try Self.map(fields, "deadlines") { r throws(WireError) in
            Deadlines(met: try r.int("met") ?? 0, degraded: try r.int("degraded") ?? 0,
                      missed: try r.int("missed") ?? 0, late: try r.int("late") ?? 0)
        }
        latency = try Self.map(fields, "latency_ms") { r throws(WireError) in
            Latency(count: try r.int("count") ?? 0, p50: try r.double("p50") ?? 0, p90: try r.double("p90") ?? 0,
                    p99: try r.double("p99") ?? 0, max: try r.double("max") ?? 0)
        }
        let stream = try fields.object("stream")
        streamPublished = try stream?.int("published") ?? 0
        streamDropped = try stream?.int("dropped") ?? 0
    }

    private static func map<T>(_ fields: FieldReader, _ key: String,
                               _ read: (FieldReader) throws(WireError) -> T) throws(WireError) -> [String: T] {
        guard let object = try fields.object(key) else { return [:] }
        var result: [String: T] = [:]
        for name in object.members.keys {
            if let entry = try object.object(name) { result[name] = try read(entry) }
        }
        return result
    }
}
