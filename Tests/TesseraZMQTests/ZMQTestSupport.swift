import TesseraZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Upper bound for anything expected to arrive; only reached when a test is failing.
let arrivalTimeout: Duration = .seconds(10)

/// Receives one message from `socket`, polling so a missing message fails instead of hanging.
func receive(_ socket: ZMQSocket, within timeout: Duration = arrivalTimeout,
             file: StaticString = #filePath, line: UInt = #line) throws -> [[UInt8]]? {
    var poller = ZMQPoller()
    poller.register(socket)
    let ready = try poller.poll(timeout: timeout)
    guard ready[0].contains(.readable) else {
        XCTFail("nothing arrived on \(socket.type) within \(timeout)", file: file, line: line)
        return nil
    }
    let message = try socket.tryReceive()
    XCTAssertNotNil(message, "readable socket had no message", file: file, line: line)
    return message
}

/// Whether a message arrives within `timeout`, without consuming it.
func isReadable(_ socket: ZMQSocket, within timeout: Duration) throws -> Bool {
    var poller = ZMQPoller()
    poller.register(socket)
    return try poller.poll(timeout: timeout)[0].contains(.readable)
}

/// Bytes of a string, for short frames.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A deterministic byte pattern, varying with position and `seed`, so that misplaced or
/// missing bytes are caught. Written through a raw buffer: debug builds are slow per element.
func pattern(count: Int, seed: UInt8) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        var value = UInt32(seed) &* 2_654_435_761 | 1
        for index in 0..<count {
            value ^= value << 13; value ^= value >> 17; value ^= value << 5
            buffer[index] = UInt8(truncatingIfNeeded: value)
        }
        initialized = count
    }
}

/// Byte equality through memcmp, fast even in debug builds for multi-megabyte frames.
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.count == b.count && a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
    }
}
