import Foundation

/// Pointwise nonlinearities, matching PyTorch's definitions.
public enum Activation: String, Sendable, Codable {
    /// x * sigmoid(x).
    case silu
    /// Exact GELU, x * Φ(x) via erf.
    case gelu
    /// GELU with the tanh approximation.
    case geluTanh = "gelu_tanh"
    /// CLIP's x * sigmoid(1.702 x).
    case quickGelu = "quick_gelu"
    /// Hyperbolic tangent.
    case tanh
    /// Logistic sigmoid.
    case sigmoid
    /// Identity.
    case identity

    /// Applies the activation to `n` floats in place, using every core for large buffers.
    public func apply(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        if self == .identity { return }
        Parallel.forEach(n, costPerItem: 8) { range in
            applySerial(p + range.lowerBound, count: range.count)
        }
    }

    func applySerial(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        switch self {
        case .identity: return
        case .silu: VectorMath.swish(p, count: n, k: 1)
        case .sigmoid: for i in 0..<n { p[i] = 1 / (1 + expf(-p[i])) }
        case .quickGelu: VectorMath.swish(p, count: n, k: 1.702)
        case .tanh: for i in 0..<n { p[i] = tanhf(p[i]) }
        case .gelu: VectorMath.gelu(p, count: n)
        case .geluTanh:
            let k: Float = 0.7978845608028654 // sqrt(2/pi)
            for i in 0..<n {
                let x = p[i]
                p[i] = 0.5 * x * (1 + tanhf(k * (x + 0.044715 * x * x * x)))
            }
        }
    }

    /// Parses Hugging Face `hidden_act` / `act_fn` names ("quick_gelu", "gelu", "gelu_new", "silu", "swish", ...).
    public init?(huggingFaceName name: String) {
        switch name {
        case "quick_gelu": self = .quickGelu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh": self = .geluTanh
        case "silu", "swish": self = .silu
        case "tanh": self = .tanh
        case "sigmoid": self = .sigmoid
        case "linear", "identity": self = .identity
        default: return nil
        }
    }
}

extension Ops {
    /// `activation` applied elementwise, into a new tensor.
    public static func activate(_ x: Tensor, _ activation: Activation) -> Tensor {
        let out = x.copy()
        activation.apply(out.data, count: out.count)
        return out
    }

    /// Elementwise clamp to [lower, upper].
    public static func clamp(_ x: Tensor, min lower: Float, max upper: Float) -> Tensor {
        let out = Tensor(uninitialized: x.shape)
        let src = x.data, dst = out.data
        Parallel.forEach(x.count) { r in for i in r { dst[i] = Swift.min(Swift.max(src[i], lower), upper) } }
        return out
    }
}
