import Foundation

/// The training noise schedule: βₜ and ᾱₜ = ∏(1 − βₛ) for t in 0..<trainSteps, computed
/// in float32 the way diffusers computes them with torch on CPU.
public struct NoiseSchedule: Sendable {
    /// βₜ per training step.
    public let betas: [Float]
    /// ᾱₜ per training step.
    public let alphasCumprod: [Float]

    /// Builds the schedule from `config`, using the given class defaults for missing keys.
    init(config: SchedulerConfig, defaultBetaStart: Double, defaultBetaEnd: Double, defaultSchedule: String) throws {
        let trainSteps = config.numTrainTimesteps ?? 1000
        guard trainSteps >= 2 else {
            throw SchedulerError.invalid(key: "num_train_timesteps", reason: "must be at least 2, got \(trainSteps)")
        }
        if config.rescaleBetasZeroSnr ?? false {
            throw SchedulerError.unsupported(key: "rescale_betas_zero_snr", value: "true")
        }
        let start = config.betaStart ?? defaultBetaStart
        let end = config.betaEnd ?? defaultBetaEnd
        var betas: [Float]
        if let trained = config.trainedBetas {
            guard trained.count == trainSteps else {
                throw SchedulerError.invalid(key: "trained_betas",
                                             reason: "has \(trained.count) values, num_train_timesteps is \(trainSteps)")
            }
            betas = trained.map { Float($0) }
        } else {
            switch config.betaSchedule ?? defaultSchedule {
            case "linear":
                betas = Self.torchLinspace(from: Float(start), to: Float(end), count: trainSteps)
            case "scaled_linear":
                // Python's `x ** 0.5` is C pow(), not sqrt; the difference can reach the float cast.
                betas = Self.torchLinspace(from: Float(pow(start, 0.5)), to: Float(pow(end, 0.5)), count: trainSteps)
                    .map { $0 * $0 }
            case "squaredcos_cap_v2":
                betas = Self.cosineBetas(count: trainSteps)
            case let other:
                throw SchedulerError.unsupported(key: "beta_schedule", value: "\"\(other)\"")
            }
        }
        self.betas = betas
        // torch.cumprod on CPU accumulates float32 factors in double.
        var product = 1.0
        alphasCumprod = betas.map { beta in
            product *= Double(1 - beta)
            return Float(product)
        }
    }

    /// `torch.linspace(start, end, count, dtype=torch.float32)` on CPU: each half is
    /// measured from its own end point, with the multiply-add fused as torch's build does.
    static func torchLinspace(from start: Float, to end: Float, count: Int) -> [Float] {
        if count == 1 { return [start] }
        let step = (end - start) / Float(count - 1)
        let halfway = count / 2
        return (0..<count).map { i in
            i < halfway ? start.addingProduct(step, Float(i)) : end.addingProduct(-step, Float(count - i - 1))
        }
    }

    /// diffusers' `betas_for_alpha_bar` with the cosine ᾱ of Nichol & Dhariwal, in float64.
    static func cosineBetas(count: Int) -> [Float] {
        func alphaBar(_ t: Double) -> Double {
            let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
            return c * c
        }
        return (0..<count).map { i in
            let t1 = Double(i) / Double(count)
            let t2 = Double(i + 1) / Double(count)
            return Float(min(1 - alphaBar(t2) / alphaBar(t1), 0.999))
        }
    }

    /// σₜ = √((1 − ᾱₜ) / ᾱₜ) per training step, in float32.
    var sigmas: [Float] {
        alphasCumprod.map { ((1 - $0) / $0).squareRoot() }
    }
}
