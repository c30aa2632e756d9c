import Foundation
import TesseraZMQ
import XCTest

final class ZMQShutdownTests: XCTestCase {
    func testClosingWithPendingOutgoingMessagesDoesNotHang() throws {
        let context = try ZMQContext()
        // Learn a port, then free it, so the dealer's connection can never complete.
        let probe = try ZMQSocket(context: context, type: .router)
        try probe.bind("tcp://127.0.0.1:*")
        let endpoint = try probe.lastEndpoint
        probe.close()

        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(.linger(nil))  // close must override even an infinite linger
        try dealer.connect(endpoint)
        var queued = 0
        for _ in 0..<10 where try dealer.trySend([pattern(count: 1024, seed: 9)]) { queued += 1 }
        XCTAssertGreaterThan(queued, 0, "messages queue while the connection is pending")

        dealer.close()
        XCTAssertTrue(dealer.isClosed)
        context.terminate()
        XCTAssertEqual(context.openSocketCount, 0)
    }

    func testTerminateWithOpenSocketUnblocksItAndDoesNotWait() throws {
        let context = try ZMQContext()
        let pair = try ZMQSocket(context: context, type: .pair)
        try pair.bind("inproc://terminate")
        context.terminate()
        XCTAssertTrue(context.isTerminating)
        XCTAssertEqual(context.openSocketCount, 1)
        XCTAssertThrowsError(try pair.receive()) { error in
            XCTAssertEqual((error as? ZMQError)?.isTerminated, true)
        }
        XCTAssertThrowsError(try ZMQSocket(context: context, type: .pair)) { error in
            XCTAssertEqual((error as? ZMQError)?.isTerminated, true)
        }
        pair.close()
        XCTAssertEqual(context.openSocketCount, 0)
        context.terminate()  // idempotent
    }

    func testWakeupFromAnotherThreadMakesPollReturn() throws {
        let context = try ZMQContext()
        let wakeup = try ZMQWakeup(context: context)
        var poller = ZMQPoller()
        let index = poller.register(wakeup.socket)

        let thread = Thread { wakeup.wake() }
        thread.start()
        let ready = try poller.poll(timeout: arrivalTimeout)
        XCTAssertEqual(ready[index], .readable)
        XCTAssertGreaterThanOrEqual(wakeup.drain(), 1)
        XCTAssertEqual(try poller.poll(timeout: .zero)[index], [], "drained")

        // Wake-ups coalesce instead of piling up or blocking the waker.
        for _ in 0..<100 { wakeup.wake() }
        XCTAssertEqual(try poller.poll(timeout: arrivalTimeout)[index], .readable)
        let tokens = wakeup.drain()
        XCTAssertGreaterThanOrEqual(tokens, 1)
        XCTAssertLessThan(tokens, 100)

        wakeup.close()
        wakeup.wake()  // harmless after close
        XCTAssertEqual(context.openSocketCount, 0)
    }
}
