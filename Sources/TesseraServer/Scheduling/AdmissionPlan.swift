import TesseraWire

/// What the scheduler decides to deliver for a request, given its deadline.
public enum AdmissionPlan: Equatable, Sendable {
    /// Run all requested steps.
    case full(steps: Int)
    /// Run fewer steps so the answer is ready in time (marked degraded).
    case reduced(steps: Int)
    /// Serve an encoded result from the cache.
    case cached
    /// Nothing fits: answer `deadline_unmet` now.
    case unmet(predictedMs: Double)

    /// Picks the best plan that fits `budgetMs`.
    /// - Parameters:
    ///   - requestedSteps: the steps asked for.
    ///   - cached: whether the exact result is in the cache.
    ///   - budgetMs: time left until the deadline, minus time already queued ahead.
    ///   - fixedMs, perStepMs: the cost model's prediction.
    ///   - policy: what the client wants when the full request cannot make it.
    public static func choose(requestedSteps: Int, cached: Bool, budgetMs: Double, fixedMs: Double, perStepMs: Double,
                              policy: MissPolicy) -> AdmissionPlan {
        if cached { return .cached }
        let full = fixedMs + Double(requestedSteps) * perStepMs
        if full <= budgetMs { return .full(steps: requestedSteps) }
        switch policy {
        case .late:
            return .full(steps: requestedSteps)
        case .drop:
            return .unmet(predictedMs: full)
        case .degrade:
            let affordable = Int(((budgetMs - fixedMs) / max(perStepMs, 1e-6)).rounded(.down))
            if affordable >= 1 { return .reduced(steps: min(affordable, requestedSteps)) }
            return .unmet(predictedMs: fixedMs + perStepMs)
        }
    }
}

