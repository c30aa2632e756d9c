import Foundation

/// A thread-safe least-recently-used cache bounded by a byte budget, with hit and miss
/// counters. Entries larger than the whole budget are not kept.
public final class LRUCache<Key: Hashable & Sendable, Value>: @unchecked Sendable {
    private final class Node {
        let key: Key
        var value: Value
        var cost: Int
        var prev: Node?
        var next: Node?
        init(key: Key, value: Value, cost: Int) { self.key = key; self.value = value; self.cost = cost }
    }

    /// Most bytes the cache holds.
    public let budget: Int
    private var nodes: [Key: Node] = [:]
    private var head: Node?  // most recent
    private var tail: Node?  // least recent
    private var used = 0
    private var hitCount = 0, missCount = 0, evictionCount = 0
    private let lock = NSLock()

    /// A cache holding at most `budget` bytes, as measured by the cost given to `insert`.
    public init(budget: Int) { self.budget = max(0, budget) }

    /// The value for `key`, marking it most recently used; counts a hit or a miss.
    public func value(for key: Key) -> Value? {
        lock.lock(); defer { lock.unlock() }
        guard let node = nodes[key] else { missCount += 1; return nil }
        hitCount += 1
        moveToFront(node)
        return node.value
    }

    /// Whether `key` is present, without touching recency or counters.
    public func contains(_ key: Key) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return nodes[key] != nil
    }

    /// Stores `value` at `cost` bytes, evicting least-recently-used entries to fit.
    public func insert(_ value: Value, for key: Key, cost: Int) {
        lock.lock(); defer { lock.unlock() }
        if let old = nodes[key] { unlink(old); nodes[key] = nil; used -= old.cost }
        guard cost <= budget else { return }
        while used + cost > budget, let victim = tail {
            unlink(victim)
            nodes[victim.key] = nil
            used -= victim.cost
            evictionCount += 1
        }
        let node = Node(key: key, value: value, cost: cost)
        nodes[key] = node
        used += cost
        moveToFront(node)
    }

    /// Removes `key`.
    public func remove(_ key: Key) {
        lock.lock(); defer { lock.unlock() }
        if let node = nodes[key] { unlink(node); nodes[key] = nil; used -= node.cost }
    }

    /// Counters and occupancy.
    public var statistics: CacheStatistics {
        lock.lock(); defer { lock.unlock() }
        return CacheStatistics(hits: hitCount, misses: missCount, evictions: evictionCount, entries: nodes.count, bytes: used, budget: budget)
    }

    /// Counts a hit or miss served from elsewhere (e.g. disk), so statistics stay whole.
    public func record(hit: Bool) {
        lock.lock(); defer { lock.unlock() }
        if hit { hitCount += 1 } else { missCount += 1 }
    }

    private func moveToFront(_ node: Node) {
        if head === node { return }
        unlink(node)
        node.next = head
        head?.prev = node
        head = node
        if tail == nil { tail = node }
    }

    private func unlink(_ node: Node) {
        if let p = node.prev { p.next = node.next } else if head === node { head = node.next }
        if let n = node.next { n.prev = node.prev } else if tail === node { tail = node.prev }
        node.prev = nil
        node.next = nil
    }
}

/// A cache's counters, as `stats` reports them.
public struct CacheStatistics: Sendable, Equatable, Codable {
    public var hits: Int
    public var misses: Int
    public var evictions: Int
    public var entries: Int
    public var bytes: Int
    public var budget: Int
}
