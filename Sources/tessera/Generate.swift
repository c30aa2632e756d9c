import ArgumentParser
import Foundation
import TesseraImage
import TesseraWire

/// `tessera generate`: asks a running daemon for one or more images and writes them.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate textures through a running tesserad and write them to files.",
        discussion: """
        Requests go out on one DEALER socket; with --count N all N are sent at once (seeds \
        S, S+1, ... or random ones) and replies are matched by id as they arrive. A PNG \
        payload is written as is; an rgba8 payload is converted to PNG (level 0), or \
        written as raw bytes with --raw. With N > 1 the index is added to each file name \
        (out.png -> out-0.png, out-1.png, ...).
        """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The prompt.")
    var prompt: String

    @Option(name: .long, help: "Negative prompt (models run with guidance only).")
    var negative: String?

    @Option(name: .long, help: "Seed (0 ... 2^64-1); default: the daemon picks one (random ones with --count).")
    var seed: UInt64?

    @Option(name: .long, help: "tile (tileable material) or backdrop (wide sky or panorama).")
    var kind: String = "tile"

    @Option(name: .long, help: "Model name (see `tessera hello`); default: the daemon's default model.")
    var model: String?

    @Option(name: .long, help: "Width in pixels, a multiple of 8; default: the model's native width (x2 for backdrops).")
    var width: Int?

    @Option(name: .long, help: "Height in pixels, a multiple of 8; default: the model's native height.")
    var height: Int?

    @Option(name: .long, help: "Denoising steps; default: the model's.")
    var steps: Int?

    @Option(name: .long, help: "Guidance scale; default: the model's.")
    var guidance: Double?

    @Option(name: .long, help: "Seamless wrapping: none, x, y or xy (default: xy for tiles, x for backdrops).")
    var tiling: String?

    @Option(name: .long, help: "Payload format: png or rgba8 (default: png, or rgba8 with --mips).")
    var format: String?

    @Flag(name: .long, help: "Ask for the full mip chain (rgba8 only); the levels are listed, level 0 is written.")
    var mips = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Pixels are sRGB colour (mips averaged in linear light); --no-srgb for linear data.")
    var srgb = true

    @Option(name: .customLong("deadline-ms"), help: "Deadline in milliseconds after the daemon receives the request.")
    var deadlineMilliseconds: Int?

    @Option(name: .customLong("on-miss"), help: "When the deadline cannot be met: degrade, drop or late.")
    var onMiss: String = "degrade"

    @Option(name: .long, help: "Publish progressive previews on this stream topic (see `tessera watch`).")
    var preview: String?

    @Option(name: .long, help: "Number of requests, sent concurrently with different seeds.")
    var count: Int = 1

    @Flag(name: .long, help: "With rgba8, write the raw level-0 bytes instead of converting to PNG.")
    var raw = false

    @Option(name: .shortAndLong, help: "Output file (default: tessera.png, or tessera.rgba with --raw).")
    var output: String?

    func validate() throws {
        guard GenerateKind(rawValue: kind) != nil else { throw ValidationError("--kind must be tile or backdrop") }
        if let tiling, TesseraWire.Tiling(rawValue: tiling) == nil { throw ValidationError("--tiling must be none, x, y or xy") }
        if let format, PixelFormat(rawValue: format) == nil { throw ValidationError("--format must be png or rgba8") }
        guard MissPolicy(rawValue: onMiss) != nil else { throw ValidationError("--on-miss must be degrade, drop or late") }
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        if mips && format == "png" { throw ValidationError("--mips needs --format rgba8") }
        if raw && format == "png" { throw ValidationError("--raw needs --format rgba8") }
    }

    func run() throws {
        let pixelFormat = format.flatMap(PixelFormat.init(rawValue:)) ?? (mips || raw ? .rgba8 : .png)
        let kind = GenerateKind(rawValue: kind)!
        let output = output ?? (raw ? "tessera.rgba" : "tessera.png")

        let directory = URL(fileURLWithPath: output).deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ClientError.badOutput("the output directory \(directory.path) does not exist")
        }

        let client = try connection.connect()
        defer { client.close() }
        var requests: [GenerateRequest] = []
        for index in 0..<count {
            let requestSeed: UInt64?
            if let seed { requestSeed = seed &+ UInt64(index) } else { requestSeed = count > 1 ? UInt64.random(in: 0...(1 << 53)) : nil }
            requests.append(GenerateRequest(
                id: client.makeID("gen"), kind: kind, model: model, prompt: prompt, negativePrompt: negative,
                seed: requestSeed, width: width, height: height, steps: steps, guidance: guidance,
                tiling: tiling.flatMap(TesseraWire.Tiling.init(rawValue:)),
                format: OutputFormat(type: pixelFormat, mips: mips, srgb: srgb),
                deadlineMilliseconds: deadlineMilliseconds, onMiss: MissPolicy(rawValue: onMiss)!,
                preview: preview.map(PreviewRequest.init(topic:))))
        }
        let start = Date()
        for request in requests { try client.send(.generate(request)) }

        let indexOf = Dictionary(uniqueKeysWithValues: requests.enumerated().map { ($1.id, $0) })
        var failures = 0
        try client.awaitReplies(to: requests.map(\.id)) { id, answer in
            let index = indexOf[id]!
            let tag = count > 1 ? "[\(index)] " : ""
            let elapsed = Date().timeIntervalSince(start) * 1000
            switch answer.reply {
            case .generate(let result):
                print(tag + Self.describe(result, roundTrip: elapsed))
                let path = count > 1 ? Self.indexed(output, index) : output
                do {
                    try write(result, to: path)
                    print(tag + "wrote \(path)")
                } catch {
                    // Keep collecting the other replies; the exit status reports the failure.
                    FileHandle.standardError.write(Data("\(tag)could not write \(path): \(error)\n".utf8))
                    failures += 1
                }
            case .error(let error):
                DaemonClient.report(error, prefix: tag)
                failures += 1
            default:
                FileHandle.standardError.write(Data("\(tag)unexpected reply: \(answer.reply)\n".utf8))
                failures += 1
            }
        }
        if failures > 0 { throw ClientError.errorReplies(failures) }
    }

    /// Writes a result's level 0: PNG as is, rgba8 as PNG or (`--raw`) raw bytes.
    private func write(_ result: GenerateReply, to path: String) throws {
        guard let level0 = result.payload.first, let description = result.image.mips.first else {
            throw ClientError.brokenReply("result \(result.id) has no payload")
        }
        let url = URL(fileURLWithPath: path)
        switch result.image.format {
        case .png:
            try Data(level0).write(to: url, options: .atomic)
        case .rgba8:
            if raw {
                try Data(level0).write(to: url, options: .atomic)
            } else {
                guard description.width > 0, description.height > 0,
                      level0.count == description.width * description.height * 4 else {
                    throw ClientError.brokenReply("level 0 of \(result.id) is \(level0.count) bytes for \(description.width)x\(description.height)")
                }
                try PNGCodec.write(RGBAImage(width: description.width, height: description.height, pixels: level0), to: url)
            }
        }
    }

    /// One line (two with timings) saying what was delivered.
    static func describe(_ result: GenerateReply, roundTrip: Double) -> String {
        let d = result.delivered
        var quality = d.degraded ? "DEGRADED" + (d.reason.map { " (\($0))" } ?? "") : "full"
        if d.late { quality += ", LATE" }
        let image = result.image
        let levels = image.mips.count > 1 ? ", \(image.mips.count) mip levels" : ""
        let bytes = image.mips.reduce(0) { $0 + $1.bytes }
        let t = result.timings
        return "\(result.id): \(image.width)x\(image.height) \(image.format.rawValue)\(levels) (\(bytes) bytes), "
            + "model \(d.model), seed \(d.seed), \(d.steps) steps, \(quality), cache \(d.cache.rawValue)\n"
            + String(format: "  timings ms: queue %.1f, text %.1f, unet %.1f, decode %.1f, encode %.1f, total %.1f; round trip %.1f",
                     t.queue, t.encodeText, t.unet, t.decode, t.encode, t.total, roundTrip)
    }

    /// `out.png` -> `out-3.png`; `out` -> `out-3`.
    static func indexed(_ path: String, _ index: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let name = ext.isEmpty ? "\(stem)-\(index)" : "\(stem)-\(index).\(ext)"
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }
}
