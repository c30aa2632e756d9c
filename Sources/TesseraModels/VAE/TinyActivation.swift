import TesseraTensor

/// The activations diffusers' `get_activation` offers that TAESD's blocks can use.
/// ReLU is not an `Activation` case, so it is a clamp at zero here.
enum TinyActivation: Sendable {
    case relu
    case other(Activation)

    /// Parses diffusers' `act_fn` names ("mish" is not supported).
    init?(name: String) {
        switch name {
        case "relu": self = .relu
        case "silu", "swish": self = .other(.silu)
        case "gelu": self = .other(.gelu)
        default: return nil
        }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return Ops.clamp(x, min: 0, max: .infinity)
        case .other(let a): return Ops.activate(x, a)
        }
    }

    /// `self(conv(x))`, with ReLU as the conv's fused epilogue.
    func conv(_ conv: Conv2d, _ x: Tensor, tiling: Tiling, channelsLast: Bool = false) -> Tensor {
        switch self {
        case .relu: return conv(x, tiling: tiling, epilogue: .relu, channelsLast: channelsLast)
        case .other: return self(conv(x, tiling: tiling, channelsLast: channelsLast))
        }
    }
}
