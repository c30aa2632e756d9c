import CDNNL
import Foundation

/// Convolution weights reordered into the layouts oneDNN's primitives chose, once per
/// weight tensor and layout, shared by every primitive (and band) that uses them.
///
/// Entries are keyed by the weight tensor's storage and hold it weakly: when a model is
/// released its prepared weights go at the next insertion. Model weights are immutable
/// once loaded; a tensor changed in place after its first convolution keeps its old copy.
///
/// With `releasePlain`, the first blocked copy of a large heap-allocated weight becomes its
/// only resident copy: the plain buffer's pages are handed back to the kernel (the pointer
/// stays valid), which saves a second copy of every conv weight, about 2 GB for an SD-size
/// UNet in fp32, and in bf16 mode of the linear weights too (the bf16 copy is half the
/// size). A backend that reads plain weights calls `restorePlain` first, which reorders
/// the values back (from an fp32 copy exactly; from a bf16 one rounded to bf16, which is
/// what the bf16 mode computed with anyway); inside Tessera that is `OpenBLASBackend`'s
/// conv2d and linear. Code that reads a released weight's `data` directly would see
/// zeros, so only the backend named on a command line (`Compute.backend(named: "onednn")`)
/// releases. A weight that oneDNN only holds in a form it cannot reorder back (Winograd's
/// transformed weights, `WinogradWeights`) can still be released with a `restore` function
/// of its own (`release(_:restoringWith:)`).
final class DNNLWeightCache: @unchecked Sendable {
    static let shared = DNNLWeightCache()

    /// Weights under this many floats keep their plain copy: the saving would be small.
    static let releaseMinimum = 1 << 16

    private final class Prepared {
        weak var source: TensorStorage?
        /// How the plain values lie in the tensor's buffer, as the first requester described them.
        let plain: dnnl_memory_desc_t
        var layouts: [(dnnl_memory_desc_t, dnnl_memory_t)] = []
        /// Writes the plain values back when no layout holds them (`release(_:restoringWith:)`).
        var restore: ((UnsafeMutablePointer<Float>) -> Void)?
        init(source: TensorStorage, plain: dnnl_memory_desc_t) { self.source = source; self.plain = plain }

        /// The copy to restore or reorder from: an exact fp32 one when there is one.
        var valueCopy: (dnnl_memory_desc_t, dnnl_memory_t)? {
            layouts.first { $0.0.data_type == dnnl_f32 && DNNLWeightCache.holdsValues($0.0) }
                ?? layouts.first { DNNLWeightCache.holdsValues($0.0) }
        }
        deinit { for (_, m) in layouts { dnnl_memory_destroy(m) } }
    }

    // Recursive: a `restore` function may restore or request other weights.
    private let lock = NSRecursiveLock()
    private var entries: [ObjectIdentifier: Prepared] = [:]
    private lazy var stream = DNNLEngine.shared.makeStream()

    /// `weight` in `layout`, reordered on first request (from the plain values, described
    /// by `plain`, default a conv weight [O, C, kh, kw]; or from an earlier layout when the
    /// plain copy was released).
    func weights(_ weight: Tensor, plain plainLayout: dnnl_memory_desc_t? = nil, layout: dnnl_memory_desc_t,
                 stream: dnnl_stream_t, releasePlain: Bool = false) -> dnnl_memory_t {
        lock.lock()
        defer { lock.unlock() }
        let entry = self.entry(weight, plain: plainLayout)
        if let hit = entry.layouts.first(where: { DNNLMemory.equal($0.0, layout) }) { return hit.1 }
        var target = layout
        let to = DNNLMemory.allocated(&target)
        if weight.storage.pagesReleased, entry.valueCopy == nil, let restore = entry.restore {
            restore(weight.data)
            weight.storage.pagesReleased = false
        }
        if weight.storage.pagesReleased, let first = entry.valueCopy {
            var from = first.0
            reorder(from: &from, first.1, to: &target, to, stream: stream)
        } else {
            var plain = entry.plain
            let from = DNNLMemory.unbound(&plain)
            defer { dnnl_memory_destroy(from) }
            DNNLEngine.check(dnnl_memory_set_data_handle(from, weight.data), "weights handle")
            reorder(from: &plain, from, to: &target, to, stream: stream)
        }
        entry.layouts.append((layout, to))
        if releasePlain && Self.holdsValues(layout) && !weight.storage.pagesReleased && weight.storage.isHeap
            && weight.count >= Self.releaseMinimum {
            weight.storage.releasePages()
        }
        return to
    }

    /// The entry for `weight`, made on first request (called with the lock held).
    private func entry(_ weight: Tensor, plain plainLayout: dnnl_memory_desc_t?) -> Prepared {
        let id = ObjectIdentifier(weight.storage)
        if let e = entries[id], e.source === weight.storage { return e }
        entries = entries.filter { $0.value.source != nil }
        let e = Prepared(source: weight.storage, plain: plainLayout ?? DNNLMemory.descriptor(weight.shape, dnnl_oihw))
        entries[id] = e
        return e
    }

    /// Releases a large heap weight's plain pages although no oneDNN layout keeps its values:
    /// `restore` writes them back into the buffer it is given when a backend needs them.
    func release(_ weight: Tensor, restoringWith restore: @escaping (UnsafeMutablePointer<Float>) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        let e = entry(weight, plain: nil)
        if e.restore == nil { e.restore = restore }
        if !weight.storage.pagesReleased && weight.storage.isHeap && weight.count >= Self.releaseMinimum {
            weight.storage.releasePages()
        }
    }

    /// Writes the values of a weight whose plain pages were released back into its buffer.
    /// A no-op for every other tensor.
    func restorePlain(_ weight: Tensor) {
        guard weight.storage.pagesReleased else { return }
        lock.lock()
        defer { lock.unlock() }
        guard weight.storage.pagesReleased else { return }
        guard let e = entries[ObjectIdentifier(weight.storage)], e.source === weight.storage else {
            preconditionFailure("weights \(weight.shape) were released without a reordered copy")
        }
        guard let first = e.valueCopy else {
            guard let restore = e.restore else { preconditionFailure("weights \(weight.shape) were released without a reordered copy") }
            restore(weight.data)
            weight.storage.pagesReleased = false
            return
        }
        var from = first.0
        var plain = e.plain
        let to = DNNLMemory.unbound(&plain)
        defer { dnnl_memory_destroy(to) }
        DNNLEngine.check(dnnl_memory_set_data_handle(to, weight.data), "weights handle")
        DNNLEngine.singleThreaded()
        reorder(from: &from, first.1, to: &plain, to, stream: stream)
        weight.storage.pagesReleased = false
    }

    /// Whether a layout keeps the values in a form oneDNN can reorder back to plain: fp32
    /// (exact) or bf16 (rounded) and blocked, not Winograd's one-way transformed format.
    static func holdsValues(_ md: dnnl_memory_desc_t) -> Bool {
        (md.data_type == dnnl_f32 || md.data_type == dnnl_bf16) && md.format_kind == dnnl_blocked
    }

    private func reorder(from: inout dnnl_memory_desc_t, _ source: dnnl_memory_t,
                         to: inout dnnl_memory_desc_t, _ target: dnnl_memory_t, stream: dnnl_stream_t) {
        let r = DNNLMemory.reorder(from: &from, to: &to)
        defer { dnnl_primitive_destroy(r) }
        // Once per weight, while every other band waits on this cache's lock: let the
        // reorder use all the cores (Winograd's weight transform is the slow one).
        omp_set_num_threads(Int32(Parallel.workers))
        defer { DNNLEngine.singleThreaded() }
        DNNLMemory.execute(r, [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, target)], stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "weights reorder")
    }
}

extension Tensor {
    /// Makes `data` hold this weight's values again where oneDNN released its plain pages
    /// (`DNNLWeightCache`, `releasingPlainWeights`). Model code that reads a weight's values
    /// itself, after the weight may have run on oneDNN, calls this first. A no-op otherwise.
    public func restoreReleasedValues() {
        DNNLWeightCache.shared.restorePlain(self)
    }
}
