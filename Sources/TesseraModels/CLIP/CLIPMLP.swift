import TesseraTensor

/// CLIP's feed-forward block: fc1, activation, fc2.
struct CLIPMLP: Sendable {
    let fc1, fc2: Linear
    let activation: Activation

    init(_ w: Weights, dim: Int, hidden: Int, activation: Activation) throws {
        fc1 = try Linear(w.scoped("fc1"), inFeatures: dim, outFeatures: hidden)
        fc2 = try Linear(w.scoped("fc2"), inFeatures: hidden, outFeatures: dim)
        self.activation = activation
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let h = fc1(x)
        activation.apply(h.data, count: h.count)
        return fc2(h)
    }
}
