import Foundation

/// The model folders that ship inside a Tessera checkout, and the settings a folder
/// recommends for itself.
public enum BundledModels {
    /// Where the embedded texture model lives, relative to the checkout.
    public static let embeddedPath = "models/tessera-tex-v1"
    /// Where the tiny random-weight SD1-like test model lives, relative to the checkout.
    public static let fixturePath = "Tests/Fixtures/pipelines/sd1_tiny"

    /// A model folder at `relative`, found from the working directory or from the checkout
    /// that the running executable was built in (`.build/<config>/<executable>`).
    public static func find(_ relative: String) -> URL? {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [URL(fileURLWithPath: relative),
                          exe.appendingPathComponent("../../../\(relative)").standardizedFileURL,
                          exe.appendingPathComponent("../../../../\(relative)").standardizedFileURL]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model_index.json").path) }
    }

    /// The embedded texture model, when this checkout has it.
    public static var embedded: URL? { find(embeddedPath) }

    /// The random-weight fixture model (its images are noise).
    public static var fixture: URL? { find(fixturePath) }
}
