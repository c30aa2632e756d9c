import Foundation
import Synchronization

/// Persistent worker threads that pick up parallel work within a microsecond or two.
///
/// A 128x128 tile runs hundreds of small kernels per UNet evaluation, each worth splitting
/// across cores only if the hand-off is cheap. libdispatch parks idle workers on a futex,
/// and waking one costs tens of microseconds; these workers spin for a short while after
/// each job (about 100 µs) before they sleep, so back-to-back kernels reach them at once.
/// One job runs at a time; a job started while another runs (from inside a task, or from a
/// second thread) runs serially on its caller.
final class SpinPool: @unchecked Sendable {
    /// The pool the parallel kernels use: one worker fewer than the cores, since the caller works too.
    static let shared = SpinPool(workers: Parallel.defaultWorkers - 1)

    /// The current job and its next task: generation (16 bits) | task count (24) | next index (24).
    /// Workers claim a task by compare-and-swap on the whole word, so a late worker can never
    /// claim a task of a newer job with an older job's closure.
    private let ticket = Atomic<UInt64>(0)
    private let done = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let wake = NSCondition()
    private var generation: UInt64 = 0
    // Written before the ticket is published (release); read only by a thread that has
    // claimed a task of this job, which keeps the job (and the closure) alive until it ends.
    private var body: ((Int) -> Void)?
    /// Threads besides the caller.
    let workers: Int
    static let maxTasks = 1 << 24

    init(workers: Int) {
        self.workers = max(0, workers)
        for i in 0..<self.workers {
            let thread = Thread { [unowned self] in self.workerLoop() }
            thread.name = "tessera-compute-\(i + 1)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs `body(i)` for every i in `0..<count`, on the caller and the workers. Returns when all are done.
    func run(_ count: Int, _ body: (Int) -> Void) {
        guard workers > 0, count > 1, count < Self.maxTasks,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            generation = (generation + 1) & 0xFFFF
            done.store(0, ordering: .relaxed)
            ticket.store(generation << 48 | UInt64(count) << 24, ordering: .releasing)
            wake.lock()
            wake.broadcast()
            wake.unlock()
            claimAll(generation)
            // A worker preempted mid-task (a busy machine) must not cost a whole time slice
            // of spinning here, so the wait yields after a short spin.
            var spins = 0
            while done.load(ordering: .acquiring) < count {
                spins += 1
                if spins > 20_000 { sched_yield() }
            }
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs tasks of job `gen` until none are left.
    private func claimAll(_ gen: UInt64) {
        var v = ticket.load(ordering: .acquiring)
        while v >> 48 == gen && v & 0xFF_FFFF < (v >> 24) & 0xFF_FFFF {
            let (exchanged, original) = ticket.compareExchange(expected: v, desired: v + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                body!(Int(v & 0xFF_FFFF))
                done.wrappingAdd(1, ordering: .releasing)
                v = ticket.load(ordering: .acquiring)
            } else {
                v = original
            }
        }
    }

    private func workerLoop() {
        var seen = ticket.load(ordering: .acquiring) >> 48
        while true {
            var spins = 0
            var current = ticket.load(ordering: .acquiring) >> 48
            while current == seen && spins < 200_000 {
                spins += 1
                current = ticket.load(ordering: .acquiring) >> 48
            }
            if current == seen {
                wake.lock()
                while ticket.load(ordering: .acquiring) >> 48 == seen { wake.wait() }
                wake.unlock()
                current = ticket.load(ordering: .acquiring) >> 48
            }
            seen = current
            claimAll(current)
        }
    }
}
