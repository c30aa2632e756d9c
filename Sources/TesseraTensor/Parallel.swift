import Foundation

/// Splits loops across the machine's cores for the memory-bound kernels (norms,
/// activations, elementwise, im2col). Small loops stay on the calling thread, where
/// dispatch overhead would exceed the work.
public enum Parallel {
    /// Worker count: one per active core, unless `Compute.setThreads` chose fewer.
    public static var workers: Int { workerOverride ?? defaultWorkers }
    static let defaultWorkers = max(1, System.activeCores)
    nonisolated(unsafe) static var workerOverride: Int?
    /// Below this many elements a loop runs serially.
    public static let grain = 1 << 18

    /// Runs `body(range)` over `0..<count` in contiguous chunks, in parallel when `count`
    /// times `costPerItem` is large enough to pay for it.
    public static func forEach(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        if workers == 1 || count * costPerItem < grain || count < 2 {
            body(0..<count)
            return
        }
        let chunks = min(count, workers * 4)
        let size = (count + chunks - 1) / chunks
        // Chunks touch disjoint ranges; the pool returns only when all are done.
        SpinPool.shared.run(chunks) { c in
            let lo = c * size
            let hi = min(count, lo + size)
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(task)` for every task in `0..<count`, on up to `workers` threads
    /// (the calling thread alone when `workers` is 1). Tasks must touch disjoint memory.
    public static func tasks(_ count: Int, workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 || count < 2 {
            for t in 0..<count { body(t) }
            return
        }
        SpinPool.shared.run(count, body)
    }
}

/// Facts about the host used to size parallel work.
public enum System {
    /// Cores this process may run on.
    public static var activeCores: Int {
        #if os(Linux)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}
