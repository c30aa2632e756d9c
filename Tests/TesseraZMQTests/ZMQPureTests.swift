import TesseraZMQ
import XCTest

/// Tests of the socket-free helpers.
final class ZMQPureTests: XCTestCase {
    func testTimeoutConversionToMilliseconds() {
        XCTAssertEqual(ZMQTimeout.milliseconds(nil), -1)
        XCTAssertEqual(ZMQTimeout.milliseconds(.zero), 0)
        XCTAssertEqual(ZMQTimeout.milliseconds(.seconds(-5)), 0)
        XCTAssertEqual(ZMQTimeout.milliseconds(.microseconds(1)), 1, "short waits round up, never busy-poll")
        XCTAssertEqual(ZMQTimeout.milliseconds(.milliseconds(1500)), 1500)
        XCTAssertEqual(ZMQTimeout.milliseconds(.microseconds(2001)), 3)
        XCTAssertEqual(ZMQTimeout.milliseconds(.seconds(10_000_000)), Int(Int32.max))
        XCTAssertEqual(ZMQTimeout.milliseconds(seconds: nil), -1)
        XCTAssertEqual(ZMQTimeout.milliseconds(seconds: 0), 0)
        XCTAssertEqual(ZMQTimeout.milliseconds(seconds: 0.0015), 2)
        XCTAssertEqual(ZMQTimeout.milliseconds(seconds: 2.5), 2500)
        XCTAssertEqual(ZMQTimeout.milliseconds(seconds: .infinity), Int(Int32.max))
        XCTAssertEqual(ZMQTimeout.milliseconds(seconds: -.infinity), 0)
    }

    func testRouterEnvelopeFromReqKeepsDelimiter() throws {
        let (envelope, body) = try XCTUnwrap(ZMQRouterEnvelope.split([[7, 7], [], [1], [2]]))
        XCTAssertEqual(envelope, ZMQRouterEnvelope(routingID: [7, 7], hasDelimiter: true))
        XCTAssertEqual(body, [[1], [2]])
        XCTAssertEqual(envelope.wrap([[9]]), [[7, 7], [], [9]])
    }

    func testRouterEnvelopeFromDealerHasNoDelimiter() throws {
        let (envelope, body) = try XCTUnwrap(ZMQRouterEnvelope.split([[5], [1], [], [2]]))
        XCTAssertFalse(envelope.hasDelimiter)
        XCTAssertEqual(body, [[1], [], [2]], "empty frames after the first body frame stay in the body")
        XCTAssertEqual(envelope.wrap([[9], []]), [[5], [9], []])
    }

    func testRouterEnvelopeEdgeCases() throws {
        XCTAssertNil(ZMQRouterEnvelope.split([]))
        let onlyID = try XCTUnwrap(ZMQRouterEnvelope.split([[1]]))
        XCTAssertEqual(onlyID.body, [])
        let onlyDelimiter = try XCTUnwrap(ZMQRouterEnvelope.split([[1], []]))
        XCTAssertTrue(onlyDelimiter.envelope.hasDelimiter)
        XCTAssertEqual(onlyDelimiter.body, [])
    }

    func testVersionIsAtLeastFourDotTwo() {
        let (major, minor, _) = ZMQVersion.current
        XCTAssertTrue(major > 4 || (major == 4 && minor >= 2), "heartbeats and XPUB_NODROP need libzmq 4.2+")
    }
}
