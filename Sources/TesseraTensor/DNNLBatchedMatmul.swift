import CDNNL
import Foundation

/// One oneDNN matmul primitive over a batch of independent products with bf16 operands:
/// out[b] = src[b] · W[b] for b in 0..<batch, src [batch, m, k] bf16 (already converted by
/// the caller), W [batch, k, n] (fp32 plain values, packed to bf16 once by
/// `DNNLWeightCache`), out [batch, m, n] fp32. Winograd's 16 element-wise products
/// (`WinogradConvolution`) are such a batch. Like `DNNLMatmul`, every call runs on the
/// calling thread, one primitive per band.
final class DNNLBatchedMatmul: @unchecked Sendable {
    /// One band's problem.
    struct Geometry: Hashable {
        var batch, m, k, n: Int
        /// Bands of equal shape get their own primitive: each owns buffers used while it runs.
        var band: Int
    }

    let geometry: Geometry
    /// oneDNN's name for the chosen implementation, e.g. "brg:avx512_core_bf16".
    let implementation: String
    private let lock = NSLock()
    private let stream: dnnl_stream_t
    private let primitive: dnnl_primitive_t
    private let src: dnnl_memory_t, dst: dnnl_memory_t
    private let weightsLayout: dnnl_memory_desc_t, weightsPlain: dnnl_memory_desc_t
    private let scratchpad: dnnl_memory_t

    init(_ g: Geometry) {
        DNNLEngine.singleThreaded()
        geometry = g
        stream = DNNLEngine.shared.makeStream()
        var source = DNNLMemory.descriptor([g.batch, g.m, g.k], dnnl_abc, dnnl_bf16)
        var wei = DNNLMemory.descriptor([g.batch, g.k, g.n], dnnl_format_tag_any, dnnl_bf16)
        var out = DNNLMemory.descriptor([g.batch, g.m, g.n], dnnl_abc)
        var desc = dnnl_matmul_desc_t()
        DNNLEngine.check(dnnl_matmul_desc_init(&desc, &source, &wei, nil, &out), "batched matmul descriptor \(g)")
        let built = DNNLMemory.primitive(&desc, "batched matmul \(g)") { dnnl_primitive_desc_query_md($0, dnnl_query_weights_md, 0)!.pointee }
        (primitive, implementation, scratchpad) = (built.primitive, built.implementation, built.scratchpad)
        weightsLayout = built.extra
        weightsPlain = DNNLMemory.descriptor([g.batch, g.k, g.n], dnnl_abc)
        src = DNNLMemory.unbound(&source)
        dst = DNNLMemory.unbound(&out)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        for m in [src, dst, scratchpad] { dnnl_memory_destroy(m) }
        dnnl_stream_destroy(stream)
    }

    /// Multiplies the bf16 batch at `source` by `weight` (fp32 [batch, k, n]) into `out`.
    /// `releasePlain`: see `DNNLWeightCache`.
    func run(source: UnsafeRawPointer, weight: Tensor, out: UnsafeMutablePointer<Float>, releasePlain: Bool) {
        DNNLEngine.singleThreaded()
        let w = DNNLWeightCache.shared.weights(weight, plain: weightsPlain, layout: weightsLayout, stream: stream,
                                               releasePlain: releasePlain)
        lock.lock()
        defer { lock.unlock() }
        DNNLEngine.check(dnnl_memory_set_data_handle(src, UnsafeMutableRawPointer(mutating: source)), "source handle")
        DNNLEngine.check(dnnl_memory_set_data_handle(dst, out), "destination handle")
        DNNLMemory.execute(primitive, [(DNNL_ARG_SRC, src), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DST, dst),
                                       (DNNL_ARG_SCRATCHPAD, scratchpad)], stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "stream wait")
    }
}
