/// A min-heap of pending work ordered by absolute deadline (earliest deadline first),
/// ties broken by arrival order so equal deadlines stay FIFO.
public struct DeadlineQueue<Element> {
    private var heap: [(deadline: UInt64, seq: UInt64, element: Element)] = []
    private var counter: UInt64 = 0

    public init() {}

    /// Number of queued elements.
    public var count: Int { heap.count }
    public var isEmpty: Bool { heap.isEmpty }

    /// Adds `element` due at `deadline` (any monotonic clock unit, e.g. nanoseconds).
    public mutating func push(_ element: Element, deadline: UInt64) {
        counter += 1
        heap.append((deadline, counter, element))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    /// The earliest-deadline element, without removing it.
    public var first: (deadline: UInt64, element: Element)? { heap.first.map { ($0.deadline, $0.element) } }

    /// Removes and returns the earliest-deadline element.
    public mutating func pop() -> (deadline: UInt64, element: Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(l, m) { m = l }
            if r < heap.count && less(r, m) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return (top.deadline, top.element)
    }

    /// Removes every element matching `predicate` and returns them (used by cancel and shutdown).
    public mutating func removeAll(where predicate: (Element) -> Bool) -> [Element] {
        // Visit in deadline order and call the predicate exactly once per element: callers
        // may count inside it (e.g. to cap a batch).
        let sorted = heap.sorted { ($0.deadline, $0.seq) < ($1.deadline, $1.seq) }
        var removed: [Element] = []
        var kept: [(deadline: UInt64, seq: UInt64, element: Element)] = []
        for entry in sorted {
            if predicate(entry.element) { removed.append(entry.element) } else { kept.append(entry) }
        }
        guard !removed.isEmpty else { return [] }
        heap = kept  // a sorted array is a valid heap
        return removed
    }

    /// Elements in deadline order (for inspection and stats).
    public var ordered: [Element] { heap.sorted { ($0.deadline, $0.seq) < ($1.deadline, $1.seq) }.map(\.element) }

    private func less(_ a: Int, _ b: Int) -> Bool {
        (heap[a].deadline, heap[a].seq) < (heap[b].deadline, heap[b].seq)
    }
}
