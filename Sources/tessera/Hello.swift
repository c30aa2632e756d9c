import ArgumentParser
import Foundation
import TesseraWire

/// `tessera hello`: shows what a daemon speaks, runs and accepts.
struct Hello: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the daemon's protocol and server version, models, formats and limits.")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try connection.connect()
        defer { client.close() }
        let answer = try client.call(.hello(id: client.makeID("hello")))
        switch answer.reply {
        case .hello(let hello):
            print(Self.describe(hello))
        case .error(let error):
            DaemonClient.report(error)
            throw ClientError.errorReplies(1)
        default:
            throw ClientError.unexpectedReply("hello answered with \(answer.reply)")
        }
    }

    /// The hello reply as readable text.
    static func describe(_ hello: HelloReply) -> String {
        var lines = ["server:   \(hello.server)", "protocol: \(hello.protocolVersion)"]
        if let stream = hello.streamEndpoint { lines.append("stream:   \(stream)") }
        lines.append("formats:  \(hello.formats.map(\.rawValue).joined(separator: ", "))")
        lines.append("models:")
        if hello.models.isEmpty { lines.append("  (none)") }
        for model in hello.models {
            var line = "  \(model.name)  \(model.nativeWidth)x\(model.nativeHeight)"
            if let steps = model.defaultSteps { line += "  steps \(steps)" }
            if let guidance = model.defaultGuidance { line += "  guidance \(Self.number(guidance))" }
            if model.name == hello.defaultModel { line += "  (default)" }
            lines.append(line)
        }
        let l = hello.limits
        let limits: [(String, String)] = [
            ("max_width", "\(l.maxWidth)"), ("max_height", "\(l.maxHeight)"), ("max_pixels", "\(l.maxPixels)"),
            ("max_steps", "\(l.maxSteps)"), ("max_guidance", number(l.maxGuidance)),
            ("max_prompt_bytes", "\(l.maxPromptBytes)"), ("max_header_bytes", "\(l.maxHeaderBytes)"),
            ("max_frames", "\(l.maxFrames)"), ("max_frame_bytes", "\(l.maxFrameBytes)"),
            ("max_id_bytes", "\(l.maxIDBytes)"), ("max_name_bytes", "\(l.maxNameBytes)"),
            ("max_deadline_ms", "\(l.maxDeadlineMilliseconds)"), ("max_json_depth", "\(l.maxJSONDepth)"),
        ]
        lines.append("limits:")
        for (name, value) in limits { lines.append("  " + name.padding(toLength: 18, withPad: " ", startingAt: 0) + value) }
        return lines.joined(separator: "\n")
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
