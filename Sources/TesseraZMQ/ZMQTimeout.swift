/// Converts Swift durations to the millisecond integers libzmq takes.
public enum ZMQTimeout {
    /// Whole milliseconds for `duration`, as `zmq_poll` and the timeout options expect.
    ///
    /// `nil` is infinite (−1). Negative durations become 0 (do not wait). A positive
    /// duration below one millisecond rounds up to 1, so a short wait never turns
    /// into a busy poll. Values beyond `Int32.max` milliseconds are clamped.
    public static func milliseconds(_ duration: Duration?) -> Int {
        guard let duration else { return -1 }
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let limit = Int64(Int32.max)
        if seconds >= limit / 1000 { return Int(limit) }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let partial = (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond
        return Int(min(limit, seconds * 1000 + partial))
    }

    /// Whole milliseconds for a number of seconds (`nil` = infinite), with the rules
    /// of `milliseconds(_:)`.
    public static func milliseconds(seconds: Double?) -> Int {
        guard let seconds else { return -1 }
        guard seconds.isFinite else { return seconds > 0 ? Int(Int32.max) : 0 }
        if seconds <= 0 { return 0 }
        let ms = (seconds * 1000).rounded(.up)
        return ms >= Double(Int32.max) ? Int(Int32.max) : max(1, Int(ms))
    }
}
