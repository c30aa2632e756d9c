import CDNNL
import Foundation

/// Convolution weights reordered into the layouts oneDNN's primitives chose, once per
/// weight tensor and layout, shared by every primitive (and band) that uses them.
///
/// Entries are keyed by the weight tensor's storage and hold it weakly: when a model is
/// released its prepared weights go at the next insertion. Model weights are immutable
/// once loaded; a tensor changed in place after its first convolution keeps its old copy.
final class DNNLWeightCache: @unchecked Sendable {
    static let shared = DNNLWeightCache()

    private final class Prepared {
        weak var source: TensorStorage?
        var layouts: [(dnnl_memory_desc_t, dnnl_memory_t)] = []
        init(source: TensorStorage) { self.source = source }
        deinit { for (_, m) in layouts { dnnl_memory_destroy(m) } }
    }

    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Prepared] = [:]

    /// `weight` [O, C, kh, kw] in `layout`, reordered on first request.
    func weights(_ weight: Tensor, layout: dnnl_memory_desc_t, stream: dnnl_stream_t) -> dnnl_memory_t {
        lock.lock()
        defer { lock.unlock() }
        let id = ObjectIdentifier(weight.storage)
        let entry: Prepared
        if let e = entries[id], e.source === weight.storage {
            if let hit = e.layouts.first(where: { DNNLMemory.equal($0.0, layout) }) { return hit.1 }
            entry = e
        } else {
            entries = entries.filter { $0.value.source != nil }
            entry = Prepared(source: weight.storage)
            entries[id] = entry
        }
        var plain = DNNLMemory.descriptor(weight.shape, dnnl_oihw)
        var target = layout
        let from = DNNLMemory.unbound(&plain)
        defer { dnnl_memory_destroy(from) }
        DNNLEngine.check(dnnl_memory_set_data_handle(from, weight.data), "weights handle")
        let to = DNNLMemory.allocated(&target)
        let r = DNNLMemory.reorder(from: &plain, to: &target)
        defer { dnnl_primitive_destroy(r) }
        DNNLMemory.execute(r, [(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)], stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "weights reorder")
        entry.layouts.append((layout, to))
        return to
    }
}
