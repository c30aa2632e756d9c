import ArgumentParser
import Foundation
import TesseraWire

/// `tessera ping`: checks that a daemon answers, and how fast.
struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check that tesserad answers on its control endpoint.")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try connection.connect()
        defer { client.close() }
        let start = Date()
        let answer = try client.call(.ping(id: client.makeID("ping")))
        switch answer.reply {
        case .ping:
            print(String(format: "pong from %@ in %.2f ms", connection.endpoint, Date().timeIntervalSince(start) * 1000))
        case .error(let error):
            DaemonClient.report(error)
            throw ClientError.errorReplies(1)
        default:
            throw ClientError.unexpectedReply("ping answered with \(answer.reply)")
        }
    }
}
