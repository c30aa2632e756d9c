import Foundation
import TesseraZMQ

/// Messages the compute side hands to the transport thread, which alone owns the sockets.
/// Pushing wakes the transport's poll loop through an inproc socket.
final class Outbox: @unchecked Sendable {
    enum Item {
        case reply(ZMQRouterEnvelope, [[UInt8]])
        case publish([[UInt8]])
    }

    private let lock = NSLock()
    private var items: [Item] = []
    private let wakeup: ZMQWakeup

    init(wakeup: ZMQWakeup) { self.wakeup = wakeup }

    func push(_ item: Item) {
        lock.lock(); items.append(item); lock.unlock()
        wakeup.wake()
    }

    func drain() -> [Item] {
        lock.lock(); defer { lock.unlock() }
        let out = items
        items = []
        return out
    }

    var isEmpty: Bool { lock.lock(); defer { lock.unlock() }; return items.isEmpty }
}
