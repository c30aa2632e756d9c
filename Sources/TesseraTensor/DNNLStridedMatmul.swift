import CDNNL
import Foundation

/// One oneDNN matmul over operands the caller owns and lays out:
/// c[m, n] = a[m, k] · b[k, n], a and b (bf16 or fp32) given by their strides (so Kᵀ is
/// K read column-wise, with no copy), c fp32, or with `exponential` c = exp(a · b) in the
/// operands' type (an eltwise post-op). Attention runs QKᵀ and PV through it, block by block of
/// query rows. Like `DNNLConvolution`, every call runs on the calling thread.
final class DNNLStridedMatmul: @unchecked Sendable {
    /// One problem. Strides are in elements: a's rows, b's along k and along n, c's rows.
    struct Geometry: Hashable {
        var m, k, n: Int
        var lda, bStrideK, bStrideN, ldc: Int
        /// Workers running equal shapes at once get their own primitive (and scratchpad).
        var band: Int
        /// bf16 operands (true) or fp32.
        var bf16 = true
        /// c = exp(a · b), stored in the operands' type: attention's unnormalised
        /// probabilities where the scores are known to be bounded.
        var exponential = false
    }

    let geometry: Geometry
    /// oneDNN's name for the chosen implementation, e.g. "brg:avx512_core_bf16".
    let implementation: String
    private let lock = NSLock()
    private let stream: dnnl_stream_t
    private let primitive: dnnl_primitive_t
    private let a: dnnl_memory_t, b: dnnl_memory_t, c: dnnl_memory_t
    /// This primitive's own scratchpad (`DNNLMemory.userScratchpad`).
    private let scratchpad: dnnl_memory_t

    init(_ g: Geometry) {
        DNNLEngine.singleThreaded()
        geometry = g
        stream = DNNLEngine.shared.makeStream()
        let operands = g.bf16 ? dnnl_bf16 : dnnl_f32
        var aDesc = DNNLMemory.descriptor([g.m, g.k], strides: [g.lda, 1], operands)
        var bDesc = DNNLMemory.descriptor([g.k, g.n], strides: [g.bStrideK, g.bStrideN], operands)
        var cDesc = DNNLMemory.descriptor([g.m, g.n], strides: [g.ldc, 1], g.exponential ? operands : dnnl_f32)
        var desc = dnnl_matmul_desc_t()
        DNNLEngine.check(dnnl_matmul_desc_init(&desc, &aDesc, &bDesc, nil, &cDesc), "matmul descriptor \(g)")
        let exp: [(dnnl_post_ops_t) -> dnnl_status_t] = g.exponential ? [{ dnnl_post_ops_append_eltwise($0, 1, dnnl_eltwise_exp, 0, 0) }] : []
        let built = DNNLMemory.primitive(&desc, "matmul \(g)", postOps: exp) { _ in () }
        (primitive, implementation, scratchpad) = (built.primitive, built.implementation, built.scratchpad)
        a = DNNLMemory.unbound(&aDesc)
        b = DNNLMemory.unbound(&bDesc)
        c = DNNLMemory.unbound(&cDesc)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        for m in [a, b, c, scratchpad] { dnnl_memory_destroy(m) }
        dnnl_stream_destroy(stream)
    }

    /// Computes c = a · b (or its exponential) on the operands at these addresses (`a` and
    /// `b` of the geometry's type, `c` fp32 or, when exponential, of the operands' type).
    func run(a aData: UnsafeRawPointer, b bData: UnsafeRawPointer, c cData: UnsafeMutableRawPointer) {
        DNNLEngine.singleThreaded()
        lock.lock()
        defer { lock.unlock() }
        DNNLEngine.check(dnnl_memory_set_data_handle(a, UnsafeMutableRawPointer(mutating: aData)), "a handle")
        DNNLEngine.check(dnnl_memory_set_data_handle(b, UnsafeMutableRawPointer(mutating: bData)), "b handle")
        DNNLEngine.check(dnnl_memory_set_data_handle(c, cData), "c handle")
        DNNLMemory.execute(primitive, [(DNNL_ARG_SRC, a), (DNNL_ARG_WEIGHTS, b), (DNNL_ARG_DST, c), (DNNL_ARG_SCRATCHPAD, scratchpad)], stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "stream wait")
    }
}
