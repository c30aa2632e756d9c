import TesseraTensor

/// diffusers' `FeedForward` with the GEGLU activation: `proj` to twice the inner width,
/// value * GELU(gate), then back down.
struct FeedForward: Sendable {
    /// `proj`'s two halves: its first `inner` outputs are the value, the rest the gate.
    /// Kept apart so that a backend can fuse GELU and the product into the two matmuls.
    let value, gate: Linear
    let out: Linear

    init(_ w: Weights, dim: Int, mult: Int = 4) throws {
        let inner = dim * mult
        let proj = try Linear(w.scoped("net.0.proj"), inFeatures: dim, outFeatures: inner * 2)
        (value, gate) = (proj.rows(0..<inner), proj.rows(inner..<(2 * inner)))
        out = try Linear(w.scoped("net.2"), inFeatures: inner, outFeatures: dim)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let gated = Ops.gatedLinear(x, value: value.weight, valueBias: value.bias, gate: gate.weight, gateBias: gate.bias)
        return out(gated)
    }
}
