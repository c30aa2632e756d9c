import Foundation
import TesseraModels

/// Settings a model folder recommends in its optional `tessera.json`
/// (`{"resolution": 128, "tiling": "xy", "default_steps": 4, "guidance_scale": 1.5}`).
public struct ModelRecommendations: Sendable, Equatable {
    /// Side of the square image the model was trained at.
    public var resolution: Int?
    /// Steps to use when a caller gives none.
    public var steps: Int?
    /// Guidance scale to use when a caller gives none.
    public var guidance: Float?
    /// Tiling to use when a caller gives none.
    public var tiling: Tiling?

    public init(resolution: Int? = nil, steps: Int? = nil, guidance: Float? = nil, tiling: Tiling? = nil) {
        self.resolution = resolution
        self.steps = steps
        self.guidance = guidance
        self.tiling = tiling
    }

    /// Reads `folder/tessera.json`; a folder without one recommends nothing.
    public init(folder: URL) throws {
        self.init()
        let file = folder.appendingPathComponent("tessera.json")
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        struct Raw: Decodable {
            var resolution: Int?
            var tiling: String?
            var default_steps: Int?
            var guidance_scale: Double?
        }
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(contentsOf: file))
        } catch {
            throw ModelError.malformed(path: file.path, reason: "\(error)")
        }
        resolution = raw.resolution
        steps = raw.default_steps
        guidance = raw.guidance_scale.map { Float($0) }
        tiling = raw.tiling.flatMap(Tiling.init(name:))
    }
}
