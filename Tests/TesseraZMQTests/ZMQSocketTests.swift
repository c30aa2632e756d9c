import TesseraZMQ
import XCTest

#if canImport(Glibc)
import Glibc
#endif

final class ZMQSocketTests: XCTestCase {
    func testRequestReplyRoundTripOnOSChosenPort() throws {
        let context = try ZMQContext()
        let rep = try ZMQSocket(context: context, type: .rep)
        try rep.bind("tcp://127.0.0.1:*")
        let endpoint = try rep.lastEndpoint
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"))
        XCTAssertFalse(endpoint.hasSuffix("*"), "wildcard port must be resolved: \(endpoint)")

        let req = try ZMQSocket(context: context, type: .req)
        try req.connect(endpoint)
        try req.send([bytes("ping"), bytes("two")])

        let request = try XCTUnwrap(try receive(rep))
        XCTAssertEqual(request, [bytes("ping"), bytes("two")])
        try rep.send([bytes("pong")])
        XCTAssertEqual(try receive(req), [bytes("pong")])

        req.close()
        rep.close()
        context.terminate()
        XCTAssertEqual(context.openSocketCount, 0)
    }

    func testRouterDealerMultipartWithEmptyAndLargeFrames() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        let big = 5 * 1024 * 1024
        let requests = (0..<3).map { pattern(count: big, seed: UInt8($0)) }
        let replies = (0..<3).map { pattern(count: big, seed: UInt8($0 + 7)) }
        var dealers: [ZMQSocket] = []
        for index in 0..<3 {
            let dealer = try ZMQSocket(context: context, type: .dealer)
            try dealer.set(.routingID(bytes("dealer-\(index)")))
            XCTAssertEqual(try dealer.routingID, bytes("dealer-\(index)"))
            try dealer.connect(endpoint)
            try dealer.send([bytes("head-\(index)"), [], requests[index]])
            dealers.append(dealer)
        }

        var seen = Set<[UInt8]>()
        for _ in 0..<3 {
            let message = try XCTUnwrap(try receive(router))
            XCTAssertEqual(message.count, 4, "routing id + 3 frames")
            let id = message[0]
            let index = Int(String(decoding: id, as: UTF8.self).dropFirst("dealer-".count))!
            XCTAssertEqual(message[1], bytes("head-\(index)"))
            XCTAssertEqual(message[2], [], "a 0-byte frame survives")
            XCTAssertEqual(message[3].count, big, "no truncation")
            XCTAssertTrue(sameBytes(message[3], requests[index]))
            seen.insert(id)
            try router.send([id, bytes("reply-\(index)"), [], replies[index]])
        }
        XCTAssertEqual(seen.count, 3)

        for (index, dealer) in dealers.enumerated() {
            let reply = try XCTUnwrap(try receive(dealer))
            XCTAssertEqual(reply.count, 3)
            XCTAssertEqual(reply[0], bytes("reply-\(index)"), "each dealer gets its own reply")
            XCTAssertEqual(reply[1], [])
            XCTAssertTrue(sameBytes(reply[2], replies[index]))
        }
    }

    func testMaxMessageSizeDisconnectsInsteadOfDelivering() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(.maxMessageSize(1024))
        XCTAssertEqual(try router.option(.maxMessageSize), 1024)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint

        let oversized = try ZMQSocket(context: context, type: .dealer)
        try oversized.set(.routingID(bytes("big")))
        try oversized.connect(endpoint)
        try oversized.send([pattern(count: 4096, seed: 1)])

        let small = try ZMQSocket(context: context, type: .dealer)
        try small.set(.routingID(bytes("small")))
        try small.connect(endpoint)
        for n in 0..<3 {
            try small.send([bytes("ok-\(n)")])
            let message = try XCTUnwrap(try receive(router))
            XCTAssertEqual(message, [bytes("small"), bytes("ok-\(n)")],
                           "only frames within MAXMSGSIZE are delivered")
        }
        XCTAssertFalse(try isReadable(router, within: .milliseconds(200)),
                       "the oversized message must never be delivered")
    }

    func testRouterMandatoryRejectsUnknownRoutingID() throws {
        let context = try ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(.routerMandatory(true))
        try router.bind("inproc://mandatory")
        XCTAssertThrowsError(try router.trySend([bytes("nobody"), [], bytes("lost")])) { error in
            let zmq = error as? ZMQError
            XCTAssertEqual(zmq?.code, EHOSTUNREACH)
            XCTAssertEqual(zmq?.isHostUnreachable, true)
            XCTAssertFalse(zmq?.message.isEmpty ?? true)
        }
    }

    func testXPubDropsForSlowSubscriberWithoutBlocking() throws {
        let context = try ZMQContext()
        let xpub = try ZMQSocket(context: context, type: .xpub)
        try xpub.set(.sendHighWaterMark(4))
        try xpub.set(.xpubNoDrop(true))
        try xpub.set(.xpubVerbose(true))
        try xpub.bind("tcp://127.0.0.1:*")

        let sub = try ZMQSocket(context: context, type: .sub)
        try sub.set(.receiveHighWaterMark(4))
        try sub.set(.subscribe(bytes("preview/")))
        try sub.connect(try xpub.lastEndpoint)

        // The XPUB sees the subscription as a message: 0x01 followed by the prefix.
        let subscription = try XCTUnwrap(try receive(xpub))
        XCTAssertEqual(subscription, [[1] + bytes("preview/")])

        // The subscriber never reads, so queues and kernel buffers fill and sends must
        // start failing rather than block.
        let payload = pattern(count: 64 * 1024, seed: 3)
        var accepted = 0, dropped = 0, attempts = 0
        while dropped < 20 && attempts < 10_000 {
            attempts += 1
            if try xpub.trySend([bytes("preview/a"), payload]) { accepted += 1 } else { dropped += 1 }
        }
        XCTAssertGreaterThan(dropped, 0, "a full subscriber must make sends drop")
        XCTAssertEqual(accepted + dropped, attempts)
        // Topics nobody subscribed to are filtered at the publisher and never back up.
        XCTAssertTrue(try xpub.trySend([bytes("other/a"), payload]))

        var received = 0
        while try isReadable(sub, within: .milliseconds(500)) {
            while let message = try sub.tryReceive() {
                XCTAssertEqual(message.first, bytes("preview/a"), "only the subscribed prefix arrives")
                received += 1
            }
        }
        XCTAssertGreaterThan(received, 0)
        XCTAssertLessThanOrEqual(received, accepted)
    }

    func testPollTimeoutReturnsNothingReady() throws {
        let context = try ZMQContext()
        let rep = try ZMQSocket(context: context, type: .rep)
        try rep.bind("inproc://idle")
        let pair = try ZMQSocket(context: context, type: .pair)
        try pair.bind("inproc://idle-pair")
        var poller = ZMQPoller()
        poller.register(rep)
        poller.register(pair, for: [.readable, .writable])
        let ready = try poller.poll(timeout: .milliseconds(20))
        XCTAssertEqual(ready, [[], []])
        XCTAssertEqual(try poller.poll(seconds: 0), [[], []])
    }

    func testPollReportsWritableAndReadable() throws {
        let context = try ZMQContext()
        let a = try ZMQSocket(context: context, type: .pair)
        try a.bind("inproc://rw")
        let b = try ZMQSocket(context: context, type: .pair)
        try b.connect("inproc://rw")
        var poller = ZMQPoller()
        let ia = poller.register(a, for: [.readable, .writable])
        let ib = poller.register(b)
        XCTAssertEqual(try poller.poll(timeout: .zero)[ia], .writable)
        try a.send([bytes("x")])
        let ready = try poller.poll(timeout: arrivalTimeout)
        XCTAssertEqual(ready[ib], .readable)
        XCTAssertEqual(try b.tryReceive(), [bytes("x")])
        XCTAssertNil(try b.tryReceive(), "non-blocking receive returns nil when empty")
    }

    func testErrorsCarryOperationAndText() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .dealer)
        XCTAssertThrowsError(try socket.connect("not an endpoint")) { error in
            guard let zmq = error as? ZMQError else { return XCTFail("\(error)") }
            XCTAssertEqual(zmq.code, EINVAL)
            XCTAssertEqual(zmq.operation, "zmq_connect(not an endpoint)")
            XCTAssertFalse(zmq.message.isEmpty)
            XCTAssertTrue(zmq.description.contains(zmq.message))
        }
        XCTAssertThrowsError(try socket.bind("nosuchproto://x")) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EPROTONOSUPPORT)
        }
        XCTAssertThrowsError(try socket.send([])) { error in
            XCTAssertEqual((error as? ZMQError)?.code, EINVAL)
        }
        socket.close()
        XCTAssertThrowsError(try socket.send([[1]])) { error in
            XCTAssertEqual((error as? ZMQError)?.code, ENOTSOCK)
        }
    }

    func testFrameLimitDiscardsExtraFramesAndKeepsStreamInStep() throws {
        let context = try ZMQContext()
        let a = try ZMQSocket(context: context, type: .pair)
        try a.bind("inproc://limit")
        let b = try ZMQSocket(context: context, type: .pair)
        try b.connect("inproc://limit")
        try a.send((0..<6).map { [UInt8($0)] })
        try a.send([bytes("next")])
        XCTAssertTrue(try isReadable(b, within: arrivalTimeout))
        XCTAssertEqual(try b.tryReceive(frameLimit: 3), [[0], [1], [2]])
        XCTAssertEqual(try b.tryReceive(frameLimit: 3), [bytes("next")])
    }

    func testOptionsReadBack() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, type: .router)
        XCTAssertEqual(try socket.option(.linger), 0, "context makes linger 0 the default")
        try socket.set(.sendHighWaterMark(7))
        try socket.set(.receiveHighWaterMark(9))
        try socket.set(.linger(.milliseconds(250)))
        try socket.set(.heartbeatInterval(.seconds(2)))
        try socket.set(.heartbeatTimeout(.milliseconds(1500)))
        try socket.set(.heartbeatTTL(.seconds(6)))
        try socket.set(.receiveTimeout(nil))
        try socket.set(.sendTimeout(.milliseconds(10)))
        try socket.set(.maxMessageSize(nil))
        XCTAssertEqual(try socket.option(.sendHighWaterMark), 7)
        XCTAssertEqual(try socket.option(.receiveHighWaterMark), 9)
        XCTAssertEqual(try socket.option(.linger), 250)
        XCTAssertEqual(try socket.option(.heartbeatInterval), 2000)
        XCTAssertEqual(try socket.option(.heartbeatTimeout), 1500)
        XCTAssertEqual(try socket.option(.heartbeatTTL), 6000)
        XCTAssertEqual(try socket.option(.receiveTimeout), -1)
        XCTAssertEqual(try socket.option(.sendTimeout), 10)
        XCTAssertEqual(try socket.option(.maxMessageSize), -1)
        let sub = try ZMQSocket(context: context, type: .sub)
        try sub.set(.subscribe(bytes("a")))
        try sub.set(.unsubscribe(bytes("a")))
        let xsub = try ZMQSocket(context: context, type: .xsub)
        XCTAssertEqual(xsub.type.description, "XSUB")
    }

    func testBlockingReceiveHonoursReceiveTimeout() throws {
        let context = try ZMQContext()
        let pair = try ZMQSocket(context: context, type: .pair)
        try pair.bind("inproc://timeout")
        try pair.set(.receiveTimeout(.milliseconds(10)))
        XCTAssertThrowsError(try pair.receive()) { error in
            XCTAssertEqual((error as? ZMQError)?.isWouldBlock, true)
        }
    }

    func testUnbindAndDisconnect() throws {
        let context = try ZMQContext()
        let rep = try ZMQSocket(context: context, type: .rep)
        try rep.bind("tcp://127.0.0.1:*")
        let endpoint = try rep.lastEndpoint
        let req = try ZMQSocket(context: context, type: .req)
        try req.connect(endpoint)
        try req.disconnect(endpoint)
        try rep.unbind(endpoint)
        XCTAssertThrowsError(try rep.unbind(endpoint), "already unbound")
    }
}
