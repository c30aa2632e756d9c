/// Why a backend or precision named on a command line cannot be used.
public struct ComputeChoiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
