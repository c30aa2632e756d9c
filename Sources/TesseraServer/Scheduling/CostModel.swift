import Foundation

/// Predicts how long a generation takes, learned online per shape.
///
/// A run costs a fixed part (text encoding, decode, encode) plus a part per UNet step.
/// Both are exponentially weighted moving averages of observed runs of the same model
/// and size; an unseen shape is estimated from the nearest seen one, scaled by pixel count,
/// or from a conservative prior.
public final class CostModel: @unchecked Sendable {
    /// The shape a cost is learned for.
    public struct Shape: Hashable, Sendable {
        public let model: String
        public let width: Int
        public let height: Int
        public init(model: String, width: Int, height: Int) { self.model = model; self.width = width; self.height = height }
    }

    /// Means and mean absolute deviations, so predictions can carry a safety margin.
    struct Estimate {
        var fixedMs: Double, perStepMs: Double
        var fixedDev: Double = 0, perStepDev: Double = 0
        var samples: Int
    }

    private var table: [Shape: Estimate] = [:]
    private let lock = NSLock()
    /// Weight of a new observation.
    public let alpha: Double
    /// Prior per-step cost per megapixel, and fixed cost, before anything is observed.
    public let priorPerStepMsPerMegapixel: Double
    public let priorFixedMs: Double

    public init(alpha: Double = 0.3, priorPerStepMsPerMegapixel: Double = 20_000, priorFixedMs: Double = 200) {
        self.alpha = alpha
        self.priorPerStepMsPerMegapixel = priorPerStepMsPerMegapixel
        self.priorFixedMs = priorFixedMs
    }

    /// Records a finished run: its fixed time and the per-step times.
    public func observe(_ shape: Shape, fixedMs: Double, stepMs: [Double]) {
        guard !stepMs.isEmpty else { return }
        let perStep = stepMs.reduce(0, +) / Double(stepMs.count)
        lock.lock(); defer { lock.unlock() }
        if var e = table[shape] {
            e.fixedDev += alpha * (abs(fixedMs - e.fixedMs) - e.fixedDev)
            e.perStepDev += alpha * (abs(perStep - e.perStepMs) - e.perStepDev)
            e.fixedMs += alpha * (fixedMs - e.fixedMs)
            e.perStepMs += alpha * (perStep - e.perStepMs)
            e.samples += 1
            table[shape] = e
        } else {
            table[shape] = Estimate(fixedMs: fixedMs, perStepMs: perStep, samples: 1)
        }
    }

    /// How many mean absolute deviations predictions add to the mean: runtimes on shared
    /// cores vary, and a deadline is better refused early than missed.
    public var margin: Double = 2

    /// Predicted (fixed, per-step) milliseconds for `shape`, with the safety margin.
    public func predict(_ shape: Shape) -> (fixedMs: Double, perStepMs: Double) {
        lock.lock(); defer { lock.unlock() }
        if let e = table[shape] { return (e.fixedMs + margin * e.fixedDev, e.perStepMs + margin * e.perStepDev) }
        let pixels = Double(shape.width * shape.height)
        // Nearest observed size of the same model, scaled by pixel count.
        if let (s, e) = table.filter({ $0.key.model == shape.model })
            .min(by: { abs(Double($0.key.width * $0.key.height) - pixels) < abs(Double($1.key.width * $1.key.height) - pixels) }) {
            let ratio = pixels / Double(s.width * s.height)
            return (e.fixedMs * max(1, ratio), e.perStepMs * ratio)
        }
        return (priorFixedMs, priorPerStepMsPerMegapixel * pixels / 1_000_000)
    }

    /// Predicted total milliseconds for `steps` steps.
    public func predictTotal(_ shape: Shape, steps: Int) -> Double {
        let p = predict(shape)
        return p.fixedMs + Double(steps) * p.perStepMs
    }

    /// Number of shapes observed so far.
    public var observedShapes: Int {
        lock.lock(); defer { lock.unlock() }
        return table.count
    }
}
