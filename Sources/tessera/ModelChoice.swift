import ArgumentParser
import Foundation
import TesseraDiffusion
import TesseraModels

/// Resolves the local commands' model options: an explicit folder, else the embedded model.
enum ModelChoice {
    /// `--model` if given, else the embedded texture model of this checkout.
    static func folder(_ option: String?) throws -> URL {
        if let option { return URL(fileURLWithPath: option) }
        guard let embedded = BundledModels.embedded else {
            throw ValidationError("no --model given and the embedded model \(BundledModels.embeddedPath) was not found")
        }
        return embedded
    }

    /// `--tiling` if given, else the model's recommendation, else none.
    static func tiling(_ option: String?, recommended: ModelRecommendations) throws -> Tiling {
        guard let option else { return recommended.tiling ?? .none }
        guard let tiling = Tiling(name: option) else { throw ValidationError("--tiling must be none, x, y or xy") }
        return tiling
    }
}
