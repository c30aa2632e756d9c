/// What the server does when a `generate` cannot be finished in full before its deadline.
public enum MissPolicy: String, Sendable, CaseIterable {
    /// Answer by the deadline with the best result possible (fewer steps, a cached or
    /// preview result), flagged `degraded`; `deadline_unmet` if there is nothing at all.
    case degrade
    /// Answer `deadline_unmet` (known at admission) or `dropped` (at the deadline) and
    /// do no further work.
    case drop
    /// Finish in full even after the deadline; the reply says `late: true`.
    case late
}
