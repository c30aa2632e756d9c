import TesseraTensor

/// A view of an archive under a name prefix, so model components load their
/// parameters by local names ("q_proj.weight") while errors name the full tensor.
public struct Weights: Sendable {
    /// The archive the tensors come from.
    public let archive: SafeTensorsArchive
    /// Prefix joined to every name, without a trailing dot.
    public let prefix: String

    /// A view of `archive` under `prefix` ("" for the root).
    public init(_ archive: SafeTensorsArchive, prefix: String = "") {
        self.archive = archive
        self.prefix = prefix
    }

    /// The full tensor name for a local `name`.
    public func fullName(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    /// A view one level deeper.
    public func scoped(_ name: String) -> Weights { Weights(archive, prefix: fullName(name)) }

    /// Loads a required tensor, checking its shape.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try archive.tensor(fullName(name), shape: shape)
    }

    /// Whether the tensor exists (for optional biases).
    public func has(_ name: String) -> Bool { archive.contains(fullName(name)) }
}
