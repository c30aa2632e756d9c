import TesseraTensor

/// Why an autoencoder refused a call. Loading problems are `ModelError`s; these are
/// problems with what was passed to `encode` / `decode`.
public enum AutoencoderError: Error, CustomStringConvertible, Equatable {
    /// The input tensor's shape does not fit the model.
    case badInput(String)
    /// The call needs a half of the model that was not loaded (see `AutoencoderParts`).
    case notLoaded(AutoencoderParts)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .badInput(let why): return "autoencoder input: \(why)"
        case .notLoaded(let parts): return "autoencoder \(parts == .encoder ? "encoder" : "decoder") was not loaded"
        }
    }

    /// Checks `x` is [N, channels, H, W] with N, H, W positive and H, W multiples of `multiple`.
    static func check(_ x: Tensor, channels: Int, multiple: Int, what: String) throws {
        guard x.rank == 4, x.shape[0] > 0, x.shape[1] == channels, x.shape[2] > 0, x.shape[3] > 0 else {
            throw AutoencoderError.badInput("\(what) must be [N, \(channels), H, W], got \(x.shape)")
        }
        guard x.shape[2] % multiple == 0, x.shape[3] % multiple == 0 else {
            throw AutoencoderError.badInput("\(what) height and width must be multiples of \(multiple), got \(x.shape)")
        }
    }
}
