import CDNNL
import Foundation

/// One oneDNN convolution primitive for one band of output rows, with the reorders between
/// Tessera's plain NCHW tensors (viewed through strides, so a band is read and written in
/// place) and the blocked layout the primitive chose. Its blocked and staging buffers come
/// from `BufferPool` for the duration of a call, so idle primitives hold no activations.
///
/// Every call runs on the calling thread: oneDNN's OpenMP team is held to one thread, and
/// `DNNLBackend` runs the bands of one convolution on Tessera's own workers instead. Two
/// thread pools spinning on two cores cost a third of all CPU time in libgomp's barrier.
final class DNNLConvolution: @unchecked Sendable {
    /// One band's problem. `padTop`/`padBottom`/`padLeft`/`padRight` are zero padding;
    /// `sourcePlane` and `outputPlane` are the element counts of a whole channel plane of
    /// the tensors the band lives in. A `staged` band reads its input from the primitive's
    /// own dense buffer, which the caller fills (with circular padding already applied).
    struct Geometry: Hashable {
        var n, c, h, w, oc, kh, kw, strideY, strideX: Int
        var padTop, padBottom, padLeft, padRight: Int
        var bias: Bool
        var sourcePlane, outputPlane: Int
        var staged: Bool
        /// Bands of equal shape get their own primitive: each owns buffers used while it runs.
        var band: Int
        var precision: ComputePrecision = .fp32
        /// Fused epilogue (`ConvEpilogue`): a sum post-op adds the residual the band's
        /// blocked output is preloaded with, then an eltwise post-op applies ReLU.
        var residual = false
        var relu = false
        /// Channels-last activations: the band is [n, h, w, c] in memory (planes are then
        /// pixel counts), and the primitive is asked for that layout so that no reorder
        /// transposes it (bf16 still converts the input).
        var channelsLast = false
        /// Channels-last only: floats from one output pixel to the next when the band
        /// writes `oc` channels of a wider output (0: `oc`, dense).
        var outputStride = 0
        /// Channels-last only: floats from one output row to the next when the band's
        /// rows are not adjacent (0: output width x pixel stride). With more than one
        /// image, `outputPlane` x the pixel stride is the image stride.
        var outputRowStride = 0

        var outputHeight: Int { (h + padTop + padBottom - kh) / strideY + 1 }
        var outputWidth: Int { (w + padLeft + padRight - kw) / strideX + 1 }
    }

    /// Narrowest plane (band input width) `mixed` runs as Winograd. Measured on the
    /// AVX-512 machine on 2026-12-05 (docs/BENCHMARKS.md), one thread: Winograd on every
    /// 3x3 stride-1 convolution with channel counts that are multiples of 16 made the
    /// SD-size UNet 18 to 21% faster than direct fp32 at 256x256 and 512x512 (planes down to
    /// 8 wide; down to 4 wide it was no faster: 6.44 s against 6.24 s at 512x512, one run
    /// each), and was neutral on the embedded model. Its transformed weights are four times
    /// the size of 3x3 ones and cannot be turned back into plain values, so the plain copies
    /// stay too: the SD-size UNet's process peaks at 9.1 GB at 256x256 and 13.7 GB at
    /// 512x512 on two workers, against 4.8 and 5.2 GB in fp32. (Until then `mixed` was
    /// limited to 16 to 128 channels on planes at least 32 wide, from a 2026-11-28
    /// measurement that found the UNet 22% slower with Winograd everywhere.) Raised from 8
    /// to 16 on 2026-12-06: per conv, 8x8 planes took longer in Winograd than direct (1,280
    /// channels: 18.0 against 8.3 ms; 2,560 to 1,280: 34.2 against 16.1 ms), and the UNet
    /// in `mixed` went from 781 to 795 to 730 to 752 ms at 256x256.
    static let winogradMinWidth = 16

    /// Whether `mixed` asks oneDNN for Winograd on a stride-1 convolution with this shape
    /// (band input `width`, padding included where it is staged).
    static func winogradCandidate(channels c: Int, outputs oc: Int, kh: Int, kw: Int, width: Int) -> Bool {
        kh == 3 && kw == 3 && c % 16 == 0 && oc % 16 == 0 && width >= winogradMinWidth
    }

    let geometry: Geometry
    /// oneDNN's name for the chosen implementation, e.g. "jit:avx2".
    let implementation: String
    /// Whether the primitive uses the Winograd algorithm (`mixed` on 3x3 stride-1 shapes
    /// oneDNN supports; other shapes fall back to direct convolution).
    let winograd: Bool
    private let lock = NSLock()
    private let stream: dnnl_stream_t
    private let primitive: dnnl_primitive_t
    private let srcPlain: dnnl_memory_t, dstPlain: dnnl_memory_t, biasMemory: dnnl_memory_t?
    private let srcBlocked: dnnl_memory_t, dstBlocked: dnnl_memory_t
    /// nil where the plain layout is the primitive's own.
    private let srcReorder: dnnl_primitive_t?, dstReorder: dnnl_primitive_t?
    /// The residual's plain band and its reorder into the blocked output (fused sum only).
    private let residualPlain: dnnl_memory_t?, residualReorder: dnnl_primitive_t?
    /// This primitive's own scratchpad (`DNNLMemory.userScratchpad`).
    private let scratchpad: dnnl_memory_t
    private let weightsLayout: dnnl_memory_desc_t
    /// Floats of the blocked source and destination buffers (blocked layouts pad channels).
    private let srcBlockedCount: Int, dstBlockedCount: Int
    /// Floats of a staged band's dense [n, c, h, w] input.
    var stagingCount: Int { geometry.n * geometry.c * geometry.h * geometry.w }

    init(_ g: Geometry) {
        DNNLEngine.singleThreaded()
        geometry = g
        let e = DNNLEngine.shared.engine
        stream = DNNLEngine.shared.makeStream()
        let (ho, wo) = (g.outputHeight, g.outputWidth)
        // bf16 mode: activations and weights enter as bf16, the output stays fp32.
        let input = g.precision == .bf16 ? dnnl_bf16 : dnnl_f32
        let tryWinograd = g.precision == .mixed && g.strideY == 1 && g.strideX == 1
            && Self.winogradCandidate(channels: g.c, outputs: g.oc, kh: g.kh, kw: g.kw, width: g.w)
        // Channels-last direct convolutions read and write NHWC; Winograd's kernel wants
        // its blocked layout (nChw16c), reordered to and from the tensors below.
        func operands(_ layout: dnnl_format_tag_t) -> (dnnl_memory_desc_t, dnnl_memory_desc_t) {
            (DNNLMemory.descriptor([g.n, g.c, g.h, g.w], layout, input), DNNLMemory.descriptor([g.n, g.oc, ho, wo], layout))
        }
        let directLayout = g.channelsLast ? dnnl_acdb : dnnl_format_tag_any
        var wei = DNNLMemory.descriptor([g.oc, g.c, g.kh, g.kw], dnnl_format_tag_any, input)
        var bias = DNNLMemory.descriptor([g.oc], dnnl_x)
        let strides: [Int64] = [Int64(g.strideY), Int64(g.strideX)]
        let padL: [Int64] = [Int64(g.padTop), Int64(g.padLeft)], padR: [Int64] = [Int64(g.padBottom), Int64(g.padRight)]
        var postOps: [(dnnl_post_ops_t) -> dnnl_status_t] = []
        if g.residual { postOps.append { dnnl_post_ops_append_sum($0, 1) } }
        if g.relu { postOps.append { dnnl_post_ops_append_eltwise($0, 1, dnnl_eltwise_relu, 0, 0) } }
        let attr = DNNLMemory.attributes(postOps: postOps)
        defer { dnnl_primitive_attr_destroy(attr) }
        func descriptor(_ algorithm: dnnl_alg_kind_t, layout: dnnl_format_tag_t) -> dnnl_primitive_desc_t? {
            var (src, dst) = operands(layout)
            var conv = dnnl_convolution_desc_t()
            let status = withUnsafeMutablePointer(to: &bias) { b in
                dnnl_convolution_forward_desc_init(&conv, dnnl_forward_inference, algorithm,
                                                   &src, &wei, g.bias ? b : nil, &dst, strides, padL, padR)
            }
            guard status == dnnl_success else { return nil }
            var pd: dnnl_primitive_desc_t?
            return dnnl_primitive_desc_create(&pd, &conv, attr, e, nil) == dnnl_success ? pd : nil
        }
        let wino = tryWinograd ? descriptor(dnnl_convolution_winograd, layout: dnnl_format_tag_any) : nil
        winograd = wino != nil
        guard let pd = wino ?? descriptor(dnnl_convolution_direct, layout: directLayout) else {
            preconditionFailure("oneDNN: no convolution for \(g)")
        }
        defer { dnnl_primitive_desc_destroy(pd) }
        implementation = String(cString: tessera_dnnl_implementation(pd))
        scratchpad = DNNLMemory.scratchpad(of: pd)
        var srcChosen = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0)!.pointee
        var dstChosen = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0)!.pointee
        weightsLayout = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0)!.pointee
        var p: dnnl_primitive_t?
        DNNLEngine.check(dnnl_primitive_create(&p, pd), "convolution primitive \(g)")
        primitive = p!

        let plane = g.staged ? g.h * g.w : g.sourcePlane
        var plainSrc: dnnl_memory_desc_t, plainDst: dnnl_memory_desc_t
        if g.channelsLast {
            // A single image's band is dense whatever the whole tensor's size: say so, so
            // that it compares equal to the primitive's own layout.
            let pixel = g.outputStride > 0 ? g.outputStride : g.oc
            let images = (g.n == 1 ? g.h * g.w : plane) * g.c, outImages = (g.n == 1 ? ho * wo : g.outputPlane) * pixel
            plainSrc = DNNLMemory.descriptor([g.n, g.c, g.h, g.w], strides: [images, 1, g.w * g.c, g.c])
            plainDst = DNNLMemory.descriptor([g.n, g.oc, ho, wo],
                                             strides: [outImages, 1, g.outputRowStride > 0 ? g.outputRowStride : wo * pixel, pixel])
        } else {
            plainSrc = DNNLMemory.descriptor([g.n, g.c, g.h, g.w], strides: [g.c * plane, plane, g.w, 1])
            plainDst = DNNLMemory.descriptor([g.n, g.oc, ho, wo], strides: [g.oc * g.outputPlane, g.outputPlane, wo, 1])
        }
        srcPlain = DNNLMemory.unbound(&plainSrc)
        dstPlain = DNNLMemory.unbound(&plainDst)
        biasMemory = g.bias ? DNNLMemory.unbound(&bias) : nil
        srcBlocked = DNNLMemory.unbound(&srcChosen)
        dstBlocked = DNNLMemory.unbound(&dstChosen)
        // Where the primitive's layout is Tensor's own, it reads or writes the tensor directly.
        let directSrc = DNNLMemory.equal(plainSrc, srcChosen), directDst = DNNLMemory.equal(plainDst, dstChosen)
        srcBlockedCount = directSrc ? 0 : (dnnl_memory_desc_get_size(&srcChosen) + 3) / 4
        dstBlockedCount = directDst ? 0 : (dnnl_memory_desc_get_size(&dstChosen) + 3) / 4
        srcReorder = directSrc ? nil : DNNLMemory.reorder(from: &plainSrc, to: &srcChosen)
        dstReorder = directDst ? nil : DNNLMemory.reorder(from: &dstChosen, to: &plainDst)
        residualPlain = g.residual ? DNNLMemory.unbound(&plainDst) : nil
        residualReorder = g.residual ? DNNLMemory.reorder(from: &plainDst, to: &dstChosen) : nil
    }

    /// Whether the primitive reads the input band in place (no reorder).
    var readsDirectly: Bool { srcReorder == nil }
    /// Whether the primitive writes the output band in place (no reorder).
    var writesDirectly: Bool { dstReorder == nil }

    deinit {
        for p in [primitive, srcReorder, dstReorder, residualReorder].compactMap({ $0 }) { dnnl_primitive_destroy(p) }
        for m in [srcPlain, dstPlain, biasMemory, srcBlocked, dstBlocked, scratchpad, residualPlain].compactMap({ $0 }) {
            dnnl_memory_destroy(m)
        }
        dnnl_stream_destroy(stream)
    }

    /// Convolves a staged band: `fill` writes the dense [n, c, h, w] input first.
    func run(fill: (UnsafeMutablePointer<Float>) -> Void, weight: Tensor, bias: Tensor?, residual: UnsafePointer<Float>?,
             dst: UnsafeMutablePointer<Float>, releasePlain: Bool) {
        precondition(geometry.staged, "run(fill:) needs a staged geometry")
        let staging = BufferPool.shared.acquire(stagingCount)
        defer { BufferPool.shared.release(staging, count: stagingCount) }
        fill(staging)
        run(src: staging, weight: weight, bias: bias, residual: residual, dst: dst, releasePlain: releasePlain)
    }

    /// Convolves the band whose first input row is at `src` into the band at `dst`;
    /// `residual` (laid out as `dst`) is the fused sum's addend when the geometry has one.
    /// `releasePlain`: see `DNNLWeightCache`.
    func run(src: UnsafePointer<Float>, weight: Tensor, bias: Tensor?, residual: UnsafePointer<Float>?,
             dst: UnsafeMutablePointer<Float>, releasePlain: Bool) {
        precondition((residual != nil) == geometry.residual, "residual band given to a primitive built \(geometry.residual ? "with" : "without") one")
        DNNLEngine.singleThreaded()
        let w = DNNLWeightCache.shared.weights(weight, layout: weightsLayout, stream: stream, releasePlain: releasePlain)
        let srcBuffer = srcReorder == nil ? nil : BufferPool.shared.acquire(srcBlockedCount)
        let dstBuffer = dstReorder == nil ? nil : BufferPool.shared.acquire(dstBlockedCount)
        lock.lock()
        defer {
            lock.unlock()
            if let srcBuffer { BufferPool.shared.release(srcBuffer, count: srcBlockedCount) }
            if let dstBuffer { BufferPool.shared.release(dstBuffer, count: dstBlockedCount) }
        }
        DNNLEngine.check(dnnl_memory_set_data_handle(srcPlain, UnsafeMutableRawPointer(mutating: src)), "source handle")
        DNNLEngine.check(dnnl_memory_set_data_handle(dstPlain, dst), "destination handle")
        var (srcArg, dstArg) = (srcPlain, dstPlain)
        if let srcReorder, let srcBuffer {
            DNNLEngine.check(dnnl_memory_set_data_handle(srcBlocked, srcBuffer), "blocked source handle")
            DNNLMemory.execute(srcReorder, [(DNNL_ARG_FROM, srcPlain), (DNNL_ARG_TO, srcBlocked)], stream)
            srcArg = srcBlocked
        }
        if let dstBuffer {
            DNNLEngine.check(dnnl_memory_set_data_handle(dstBlocked, dstBuffer), "blocked destination handle")
            dstArg = dstBlocked
        }
        if let residual, let residualPlain, let residualReorder {
            DNNLEngine.check(dnnl_memory_set_data_handle(residualPlain, UnsafeMutableRawPointer(mutating: residual)), "residual handle")
            DNNLMemory.execute(residualReorder, [(DNNL_ARG_FROM, residualPlain), (DNNL_ARG_TO, dstArg)], stream)
        }
        var args = [(DNNL_ARG_SRC, srcArg), (DNNL_ARG_WEIGHTS, w), (DNNL_ARG_DST, dstArg), (DNNL_ARG_SCRATCHPAD, scratchpad)]
        if let biasMemory, let bias {
            DNNLEngine.check(dnnl_memory_set_data_handle(biasMemory, bias.data), "bias handle")
            args.append((DNNL_ARG_BIAS, biasMemory))
        }
        DNNLMemory.execute(primitive, args, stream)
        if let dstReorder { DNNLMemory.execute(dstReorder, [(DNNL_ARG_FROM, dstBlocked), (DNNL_ARG_TO, dstPlain)], stream) }
        DNNLEngine.check(dnnl_stream_wait(stream), "stream wait")
    }
}
