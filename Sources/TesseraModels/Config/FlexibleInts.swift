/// A config value diffusers accepts either as one integer for every block or as a per-block list.
public enum PerBlockInt: Decodable, Sendable, Equatable {
    case uniform(Int)
    case perBlock([Int])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) { self = .uniform(v) } else { self = .perBlock(try c.decode([Int].self)) }
    }

    /// Values for `count` blocks; nil when a list has the wrong length.
    public func expanded(_ count: Int) -> [Int]? {
        switch self {
        case .uniform(let v): return Array(repeating: v, count: count)
        case .perBlock(let list): return list.count == count ? list : nil
        }
    }
}
