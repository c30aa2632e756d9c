import Foundation

/// A thread-safe pool of float buffers keyed by exact element count.
///
/// Diffusion forward passes allocate the same activation shapes step after step, so
/// exact-size reuse catches nearly every allocation after the first step. Buffers
/// beyond `maxBytes` of idle memory are freed instead of kept.
public final class BufferPool: @unchecked Sendable {
    /// The pool every `Tensor` allocation uses.
    public static let shared = BufferPool(maxBytes: 1 << 30)

    /// Upper bound on idle bytes retained.
    public let maxBytes: Int
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var idleBytes = 0
    private let lock = NSLock()
    private var hits = 0
    private var misses = 0

    /// Creates a pool retaining at most `maxBytes` of idle buffers.
    public init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// A buffer of `count` floats, reused when one of that size is idle. Contents are undefined.
    public func acquire(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if var list = free[count], let p = list.popLast() {
            free[count] = list.isEmpty ? nil : list
            idleBytes -= count * 4
            hits += 1
            lock.unlock()
            return p
        }
        misses += 1
        lock.unlock()
        return .allocate(capacity: max(count, 1))
    }

    /// Returns a buffer obtained from `acquire(count)`.
    public func release(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        if idleBytes + count * 4 <= maxBytes {
            free[count, default: []].append(pointer)
            idleBytes += count * 4
            lock.unlock()
        } else {
            lock.unlock()
            pointer.deallocate()
        }
    }

    /// Frees every idle buffer.
    public func trim() {
        lock.lock()
        let lists = free
        free = [:]
        idleBytes = 0
        lock.unlock()
        for list in lists.values { for p in list { p.deallocate() } }
    }

    /// Allocation statistics: reuses, fresh allocations and idle bytes held.
    public var statistics: (hits: Int, misses: Int, idleBytes: Int) {
        lock.lock(); defer { lock.unlock() }
        return (hits, misses, idleBytes)
    }
}
