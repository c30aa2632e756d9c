import Foundation
import XCTest
import TesseraServer
import TesseraWire
import TesseraZMQ

/// A running server on OS-chosen loopback ports plus real ZeroMQ clients.
final class DaemonHarness {
    let server: TesseraServer
    let context: ZMQContext
    /// What `TesseraServer.warmUp` reported, when the harness was asked to warm up.
    var warmUps: [(model: String, milliseconds: Double)] = []

    init(cacheDirectory: URL? = nil, maxBatch: Int = 4, warmUp: Bool = false,
         configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var config = ServerConfiguration()
        config.controlEndpoint = "tcp://127.0.0.1:*"
        config.streamEndpoint = "tcp://127.0.0.1:*"
        config.models = [.init(name: "tiny", folder: Fixtures.url("pipelines/sd1_tiny"), defaultSteps: 2)]
        config.cacheDirectory = cacheDirectory
        config.maxBatch = maxBatch
        configure(&config)
        server = try TesseraServer(configuration: config)
        if warmUp { warmUps = try server.warmUp() }
        try server.start()
        context = try ZMQContext()
    }

    func dealer() throws -> Client {
        let s = try ZMQSocket(context: context, type: .dealer)
        try s.connect(server.controlEndpoint)
        return Client(socket: s)
    }

    func subscriber(topic: String) throws -> ZMQSocket {
        let s = try ZMQSocket(context: context, type: .sub)
        try s.set(.subscribe(Array(topic.utf8)))
        try s.connect(server.streamEndpoint)
        return s
    }

    func stop() {
        server.shutdown()
        context.terminate()
    }

    /// A DEALER client; every wait polls with a timeout so a test can fail but never hang.
    struct Client {
        let socket: ZMQSocket

        func send(_ request: Request) throws { try socket.send(WireCodec.encodeRequest(request)) }
        func sendRaw(_ frames: [[UInt8]]) throws { try socket.send(frames) }

        func receive(timeout: Double = 30) throws -> Reply {
            var poller = ZMQPoller()
            _ = poller.register(socket)
            guard try poller.poll(seconds: timeout).first?.contains(.readable) == true,
                  let frames = try socket.tryReceive() else {
                throw NoReply(seconds: timeout)
            }
            return try WireCodec.decodeReply(frames).get()
        }

        func call(_ request: Request, timeout: Double = 30) throws -> Reply {
            try send(request)
            return try receive(timeout: timeout)
        }
    }
}

extension Reply {
    var generated: GenerateReply? { if case .generate(let g) = self { return g }; return nil }
    var failure: ErrorReply? { if case .error(let e) = self { return e }; return nil }
}

/// A reply that did not come: a test failure, never a hang.
struct NoReply: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "no reply within \(seconds) s" }
}
