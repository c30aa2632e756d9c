import CDNNL
import Foundation

/// One oneDNN matmul primitive for a band of rows of a linear layer:
/// out[m, n] = x[m, k] · W[n, k]ᵀ + b[n], with fp32 accumulation and output, then an
/// optional `Epilogue`. In bf16 the band's rows are converted to bf16 into a pooled buffer
/// first (once for several layers over the same rows, `withConvertedSource`); in fp32 the
/// primitive reads them in place. The weights are reordered once (`DNNLWeightCache`) into the
/// primitive's packed layout, which is what makes it faster than sgemm on the few-row
/// bands of a UNet: OpenBLAS packs the whole weight matrix again on every call.
/// Like `DNNLConvolution`, every call runs on the calling thread.
final class DNNLMatmul: @unchecked Sendable {
    /// What the primitive does to its output before writing it, as oneDNN post-ops: GEGLU
    /// runs as a gate matmul with `.gelu` and a value matmul with `.multiply` by the gate.
    enum Epilogue: Hashable {
        case none
        /// The exact (erf) GELU.
        case gelu
        /// Times an fp32 tensor of the output's shape (`run`'s `multiplier`).
        case multiply
    }

    /// One band's problem.
    struct Geometry: Hashable {
        var m, k, n: Int
        var bias: Bool
        /// Bands of equal shape get their own primitive: each owns buffers used while it runs.
        var band: Int
        /// bf16 operands (true) or fp32 throughout.
        var bf16 = true
        var epilogue = Epilogue.none
    }

    let geometry: Geometry
    /// oneDNN's name for the chosen implementation, e.g. "brg:avx512_core_bf16".
    let implementation: String
    private let lock = NSLock()
    private let stream: dnnl_stream_t
    private let primitive: dnnl_primitive_t
    /// The band's conversion to bf16 (nil in fp32, where the primitive reads `srcPlain`).
    private let srcReorder: dnnl_primitive_t?
    private let srcPlain: dnnl_memory_t, srcHalf: dnnl_memory_t, dst: dnnl_memory_t, biasMemory: dnnl_memory_t?
    /// The `.multiply` epilogue's other factor (nil for other epilogues).
    private let multiplier: dnnl_memory_t?
    private let weightsLayout: dnnl_memory_desc_t, weightsPlain: dnnl_memory_desc_t
    /// This primitive's own scratchpad (`DNNLMemory.userScratchpad`).
    private let scratchpad: dnnl_memory_t
    /// bf16 elements of the converted band, counted in floats (two per float).
    private let halfCount: Int

    init(_ g: Geometry) {
        DNNLEngine.singleThreaded()
        geometry = g
        stream = DNNLEngine.shared.makeStream()
        let operands = g.bf16 ? dnnl_bf16 : dnnl_f32
        var src = DNNLMemory.descriptor([g.m, g.k], dnnl_ab, operands)
        var wei = DNNLMemory.descriptor([g.k, g.n], dnnl_format_tag_any, operands)
        var out = DNNLMemory.descriptor([g.m, g.n], dnnl_ab)
        var bias = DNNLMemory.descriptor([1, g.n], dnnl_ab)
        var desc = dnnl_matmul_desc_t()
        DNNLEngine.check(withUnsafeMutablePointer(to: &bias) { b in
            dnnl_matmul_desc_init(&desc, &src, &wei, g.bias ? b : nil, &out)
        }, "matmul descriptor \(g)")
        var factor = DNNLMemory.descriptor([g.m, g.n], dnnl_ab)
        let postOps: [(dnnl_post_ops_t) -> dnnl_status_t] = switch g.epilogue {
        case .none: []
        case .gelu: [{ dnnl_post_ops_append_eltwise($0, 1, dnnl_eltwise_gelu_erf, 0, 0) }]
        case .multiply: [{ ops in withUnsafePointer(to: factor) { dnnl_post_ops_append_binary(ops, dnnl_binary_mul, $0) } }]
        }
        let built = DNNLMemory.primitive(&desc, "matmul \(g)", postOps: postOps) {
            dnnl_primitive_desc_query_md($0, dnnl_query_weights_md, 0)!.pointee
        }
        (primitive, implementation, scratchpad) = (built.primitive, built.implementation, built.scratchpad)
        weightsLayout = built.extra
        // W is stored [n, k] row-major: as the [k, n] operand it has strides (1, k).
        weightsPlain = DNNLMemory.descriptor([g.k, g.n], strides: [1, g.k])
        var plain = DNNLMemory.descriptor([g.m, g.k], dnnl_ab)
        srcPlain = DNNLMemory.unbound(&plain)
        srcHalf = DNNLMemory.unbound(&src)
        dst = DNNLMemory.unbound(&out)
        biasMemory = g.bias ? DNNLMemory.unbound(&bias) : nil
        multiplier = g.epilogue == .multiply ? DNNLMemory.unbound(&factor) : nil
        srcReorder = g.bf16 ? DNNLMemory.reorder(from: &plain, to: &src) : nil
        halfCount = g.bf16 ? (g.m * g.k + 1) / 2 : 0
    }

    deinit {
        for p in [primitive, srcReorder].compactMap({ $0 }) { dnnl_primitive_destroy(p) }
        for m in [srcPlain, srcHalf, dst, biasMemory, multiplier, scratchpad].compactMap({ $0 }) { dnnl_memory_destroy(m) }
        dnnl_stream_destroy(stream)
    }

    /// Runs `body` with the band at `src` converted to bf16 by this primitive's reorder, in a
    /// pooled buffer (nil in fp32, where primitives read the fp32 rows in place): several
    /// matmuls over the same rows (Q, K and V; GEGLU's halves) share one conversion.
    func withConvertedSource<R>(_ src: UnsafePointer<Float>, _ body: (UnsafeRawPointer?) -> R) -> R {
        guard let srcReorder else { return body(nil) }
        let half = BufferPool.shared.acquire(halfCount)
        defer { BufferPool.shared.release(half, count: halfCount) }
        DNNLEngine.singleThreaded()
        lock.lock()
        DNNLEngine.check(dnnl_memory_set_data_handle(srcPlain, UnsafeMutableRawPointer(mutating: src)), "source handle")
        DNNLEngine.check(dnnl_memory_set_data_handle(srcHalf, half), "bf16 source handle")
        DNNLMemory.execute(srcReorder, [(DNNL_ARG_FROM, srcPlain), (DNNL_ARG_TO, srcHalf)], stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "stream wait")
        lock.unlock()
        return body(UnsafeRawPointer(half))
    }

    /// Computes the band whose first input row is at `src` into the rows at `out`; in bf16,
    /// from `converted` when given (`withConvertedSource` of a primitive with the same rows
    /// and inner size), else from its own conversion. `releasePlain`: see `DNNLWeightCache`.
    /// `multiplier`: the band's rows of the `.multiply` epilogue's other factor, laid out
    /// like `out`.
    func run(src: UnsafePointer<Float>, converted: UnsafeRawPointer? = nil, weight: Tensor, bias: Tensor?,
             out: UnsafeMutablePointer<Float>, multiplier factor: UnsafePointer<Float>? = nil, releasePlain: Bool) {
        precondition((factor != nil) == (multiplier != nil), "a multiplier goes with the .multiply epilogue only")
        guard srcReorder == nil || converted != nil else {
            return withConvertedSource(src) { run(src: src, converted: $0, weight: weight, bias: bias, out: out,
                                                  multiplier: factor, releasePlain: releasePlain) }
        }
        DNNLEngine.singleThreaded()
        let w = DNNLWeightCache.shared.weights(weight, plain: weightsPlain, layout: weightsLayout, stream: stream,
                                               releasePlain: releasePlain)
        lock.lock()
        defer { lock.unlock() }
        DNNLEngine.check(dnnl_memory_set_data_handle(dst, out), "destination handle")
        var source = srcPlain
        if let converted {
            DNNLEngine.check(dnnl_memory_set_data_handle(srcHalf, UnsafeMutableRawPointer(mutating: converted)), "bf16 source handle")
            source = srcHalf
        } else {
            DNNLEngine.check(dnnl_memory_set_data_handle(srcPlain, UnsafeMutableRawPointer(mutating: src)), "source handle")
        }
        var args = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DST, dst), (DNNL_ARG_SCRATCHPAD, scratchpad)]
        if let biasMemory, let bias {
            DNNLEngine.check(dnnl_memory_set_data_handle(biasMemory, bias.data), "bias handle")
            args.append((DNNL_ARG_BIAS, biasMemory))
        }
        if let multiplier, let factor {
            DNNLEngine.check(dnnl_memory_set_data_handle(multiplier, UnsafeMutableRawPointer(mutating: factor)), "multiplier handle")
            args.append((tessera_dnnl_post_op_src1(0), multiplier))
        }
        DNNLMemory.execute(primitive, args, stream)
        DNNLEngine.check(dnnl_stream_wait(stream), "stream wait")
    }
}
