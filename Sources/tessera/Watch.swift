import ArgumentParser
import Foundation
import TesseraImage
import TesseraWire
import TesseraZMQ

/// `tessera watch`: subscribes to the daemon's stream endpoint and shows previews.
struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Subscribe to tesserad's stream endpoint and print (and optionally save) preview images.",
        discussion: """
        Previews are published for `generate` requests that name a topic \
        (`tessera generate --preview TOPIC`). Topics match by prefix. Stops after --count \
        messages, or when nothing arrives for --timeout seconds (an error if fewer than \
        --count, or none at all, arrived).
        """)

    @Option(name: .long, help: "The daemon's stream endpoint (XPUB).")
    var endpoint: String = "tcp://127.0.0.1:5556"

    @Option(name: .long, help: "Topic prefix to subscribe to (default: every topic).")
    var topic: String = ""

    @Option(name: .long, help: "Stop after this many messages.")
    var count: Int?

    @Option(name: .long, help: "Seconds to wait for the next message before stopping.")
    var timeout: Double = 30

    @Option(name: .shortAndLong, help: "Directory to write each preview to as a PNG.")
    var output: String?

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 1_000_000 else { throw ValidationError("--timeout must be a positive number of seconds (at most 1000000)") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() throws {
        let directory = output.map { URL(fileURLWithPath: $0, isDirectory: true) }
        if let directory { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) }

        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .sub)
        defer {
            socket.close()
            context.terminate()
        }
        try socket.set(.linger(.zero))
        try socket.set(.subscribe(Array(topic.utf8)))
        try socket.connect(endpoint)
        var poller = ZMQPoller()
        poller.register(socket)

        var received = 0
        print("watching \(endpoint), topic \(topic.isEmpty ? "(all)" : "\"\(topic)\"")")
        while count.map({ received < $0 }) ?? true {
            let ready = try poller.poll(seconds: timeout)
            guard ready[0].contains(.readable) else {
                // A poll that returns early (a signal) counts as idle too: never hang.
                if received == 0 || count != nil {
                    throw ClientError.streamIdle(endpoint: endpoint, seconds: timeout, received: received)
                }
                print("no message for \(timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)) s; stopping after \(received)")
                return
            }
            while let frames = try socket.tryReceive() {
                received += 1
                switch WireCodec.decodePreview(frames) {
                case .success(let (topic, preview)):
                    let image = preview.image
                    print("[\(topic)] \(preview.id) step \(preview.step)/\(preview.steps)\(preview.final ? " final" : "") "
                          + "\(image.width)x\(image.height) \(image.format.rawValue)")
                    if let directory { try save(preview, topic: topic, in: directory) }
                case .failure(let error):
                    FileHandle.standardError.write(Data("warning: undecodable stream message: \(error)\n".utf8))
                }
                if let count, received >= count { break }
            }
        }
    }

    private func save(_ preview: PreviewMessage, topic: String, in directory: URL) throws {
        let image = preview.image
        guard image.format == .rgba8, let pixels = preview.payload.first, image.width > 0, image.height > 0,
              pixels.count == image.width * image.height * 4 else {
            FileHandle.standardError.write(Data("warning: preview \(preview.id) step \(preview.step) has no rgba8 level 0; not saved\n".utf8))
            return
        }
        let name = Self.safeName("\(topic)-\(preview.id)-step\(preview.step)") + ".png"
        let url = directory.appendingPathComponent(name)
        try PNGCodec.write(RGBAImage(width: image.width, height: image.height, pixels: pixels), to: url)
        print("  wrote \(url.path)")
    }

    /// Keeps letters, digits, `-`, `_` and `.`; anything else (e.g. `/` in topics) becomes `_`.
    static func safeName(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar -> Character in
            let ok = CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "-_.".unicodeScalars.contains(scalar)
            return ok ? Character(scalar) : "_"
        })
    }
}
