import CDNNL
import Foundation

/// One oneDNN softmax primitive over the rows of an attention score block: fp32 scores in,
/// probabilities out as bf16 (ready for the PV matmul) or fp32 in place. oneDNN's kernel
/// does max, exp, sum and scale in one AVX-512 pass per row where Tessera's own softmax
/// (built for AVX2) makes four, then the bf16 conversion a fifth. Like `DNNLConvolution`,
/// every call runs on the calling thread.
final class DNNLSoftmax: @unchecked Sendable {
    /// One problem: `rows` x `cols` row-major scores.
    struct Geometry: Hashable {
        var rows, cols: Int
        /// bf16 probabilities into a separate buffer (true) or fp32 in place.
        var bf16: Bool
        /// Workers running equal shapes at once get their own primitive (and scratchpad).
        var band: Int
    }

    let geometry: Geometry
    /// oneDNN's name for the chosen implementation, e.g. "jit:avx512_core".
    let implementation: String
    private let lock = NSLock()
    private let stream: dnnl_stream_t
    private let primitive: dnnl_primitive_t
    private let src: dnnl_memory_t, dst: dnnl_memory_t
    /// This primitive's own scratchpad (`DNNLMemory.userScratchpad`).
    private let scratchpad: dnnl_memory_t

    init(_ g: Geometry) {
        DNNLEngine.singleThreaded()
        geometry = g
        stream = DNNLEngine.shared.makeStream()
        var srcDesc = DNNLMemory.descriptor([g.rows, g.cols], dnnl_ab)
        var dstDesc = DNNLMemory.descriptor([g.rows, g.cols], dnnl_ab, g.bf16 ? dnnl_bf16 : dnnl_f32)
        var desc = dnnl_softmax_v2_desc_t()
        DNNLEngine.check(dnnl_softmax_v2_forward_desc_init(&desc, dnnl_forward_inference, dnnl_softmax_accurate,
                                                           &srcDesc, &dstDesc, 1), "softmax descriptor \(g)")
        let built = DNNLMemory.primitive(&desc, "softmax \(g)") { _ in () }
        (primitive, implementation, scratchpad) = (built.primitive, built.implementation, built.scratchpad)
        src = DNNLMemory.unbound(&srcDesc)
        dst = DNNLMemory.unbound(&dstDesc)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        for m in [src, dst, scratchpad] { dnnl_memory_destroy(m) }
        dnnl_stream_destroy(stream)
    }

    /// Softmax of each row of `scores` into `probabilities` (bf16 values, or fp32, which
    /// may be `scores` itself). Rows must not be entirely -inf.
    func run(scores: UnsafePointer<Float>, probabilities: UnsafeMutableRawPointer) {
        DNNLEngine.singleThreaded()
        lock.lock()
        defer { lock.unlock() }
        DNNLEngine.check(dnnl_memory_set_data_handle(src, UnsafeMutableRawPointer(mutating: scores)), "scores handle")
        DNNLEngine.check(dnnl_memory_set_data_handle(dst, probabilities), "probabilities handle")
        DNNLMemory.execute(primitive, [(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst), (DNNL_ARG_SCRATCHPAD, scratchpad)], stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "stream wait")
    }
}
