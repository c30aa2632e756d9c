import TesseraTensor

/// A lookup table, `torch.nn.Embedding`.
public struct Embedding: Sendable {
    /// Table [count, dim].
    public let table: Tensor

    /// Loads `<prefix>.weight` of shape [count, dim].
    public init(_ w: Weights, count: Int, dim: Int) throws {
        table = try w.tensor("weight", shape: [count, dim])
    }

    /// Rows for `ids` as [ids.count, dim]. Ids must be in range (callers validate).
    public func lookup(_ ids: [Int]) -> Tensor {
        let dim = table.shape[1]
        let out = Tensor(uninitialized: [ids.count, dim])
        for (i, id) in ids.enumerated() {
            precondition(id >= 0 && id < table.shape[0], "embedding id \(id) outside [0, \(table.shape[0]))")
            (out.data + i * dim).update(from: table.data + id * dim, count: dim)
        }
        return out
    }
}
