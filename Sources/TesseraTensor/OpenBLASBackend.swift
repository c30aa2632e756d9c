import COpenBLAS

/// The reference fp32 backend: im2col + `cblas_sgemm` for convolutions, sgemm for
/// linear layers and per-head attention. Parity tests run on this backend.
public struct OpenBLASBackend: ComputeBackend {
    public let name = "openblas-fp32"

    /// Floats per im2col band; the default (1 MB) keeps each band's column buffer in L2,
    /// where the GEMM reads it back, instead of streaming it through memory.
    public let columnBudget: Int

    /// Multiply-adds below which a GEMM runs on the calling thread: splitting smaller
    /// ones costs more in thread hand-off than it saves.
    static let parallelFlops = 1 << 19

    /// A backend whose im2col bands hold at most `columnBudget` floats.
    ///
    /// OpenBLAS runs single-threaded: Tessera splits the work across cores itself (bands
    /// of output rows, blocks of GEMM rows, attention heads). OpenBLAS's own pool would
    /// otherwise spin in `sched_yield` between calls, and on the small GEMMs of a
    /// 128x128 tile that spinning cost more than the threads gained.
    public init(columnBudget: Int = 1 << 18) {
        self.columnBudget = max(1, columnBudget)
        OpenBLASThreads.singleThreaded
    }

    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, options o: Conv2dOptions) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4, "conv2d expects x [N,C,H,W] and weight [O,C,kh,kw], got \(x.shape), \(weight.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oc, kc, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        precondition(kc == c, "conv2d: input has \(c) channels, weight expects \(kc)")
        if let bias { precondition(bias.count == oc, "conv2d: bias has \(bias.count) values for \(oc) outputs") }
        DNNLWeightCache.shared.restorePlain(weight)  // a no-op unless oneDNN released it
        let (ho, wo) = o.outputSize(height: h, width: w, kh: kh, kw: kw)
        precondition(ho > 0 && wo > 0, "conv2d: empty output for input \(x.shape), kernel \(kh)x\(kw)")
        let out = Tensor(uninitialized: [n, oc, ho, wo])
        let pixels = ho * wo
        let kdim = c * kh * kw
        let direct = kh == 1 && kw == 1 && o.stride == (1, 1) && o.padding == (0, 0)
        // Bands of output rows: one per worker when the GEMM is big enough to share, and
        // small enough that each band's im2col buffer stays near cache size.
        let workers = oc * pixels * kdim >= Self.parallelFlops ? min(Parallel.workers, ho) : 1
        let fitRows = direct ? ho : max(1, columnBudget / max(kdim * wo, 1))
        let rowsPerBand = max(1, min(fitRows, (ho + workers - 1) / workers))
        let bands = (ho + rowsPerBand - 1) / rowsPerBand
        for b in 0..<n {
            let src = x.data + b * c * h * w
            let dst = out.data + b * oc * pixels
            Parallel.tasks(bands, workers: workers) { band in
                let r0 = band * rowsPerBand
                let rows = min(rowsPerBand, ho - r0)
                if let bias {
                    for ch in 0..<oc { (dst + ch * pixels + r0 * wo).update(repeating: bias.data[ch], count: rows * wo) }
                }
                let col = direct ? nil : BufferPool.shared.acquire(kdim * rows * wo)
                defer { if let col { BufferPool.shared.release(col, count: kdim * rows * wo) } }
                let rhs: UnsafePointer<Float>
                let ldb: Int
                if let col {
                    Im2col.fill(col, src: src, channels: c, height: h, width: w, kh: kh, kw: kw,
                                outRows: r0..<(r0 + rows), outW: wo, options: o, parallel: workers == 1)
                    rhs = UnsafePointer(col)
                    ldb = rows * wo
                } else {
                    rhs = UnsafePointer(src + r0 * wo)
                    ldb = pixels
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                            Int32(oc), Int32(rows * wo), Int32(kdim),
                            1, weight.data, Int32(kdim), rhs, Int32(ldb),
                            bias == nil ? 0 : 1, dst + r0 * wo, Int32(pixels))
            }
        }
        return out
    }

    /// Checks attention's operands; returns batch, query and key lengths, model and head width.
    static func attentionShape(q: Tensor, k: Tensor, v: Tensor, heads: Int) -> (bsz: Int, lq: Int, lk: Int, dim: Int, dh: Int) {
        precondition(q.rank == 3 && k.rank == 3 && v.rank == 3, "attention expects [B, L, D] tensors")
        let (bsz, lq, dim) = (q.shape[0], q.shape[1], q.shape[2])
        precondition(k.shape[0] == bsz && v.shape[0] == bsz && k.shape[2] == dim && v.shape == k.shape,
                     "attention: shapes q \(q.shape), k \(k.shape), v \(v.shape) disagree")
        precondition(heads > 0 && dim % heads == 0, "attention: \(dim) not divisible by \(heads) heads")
        return (bsz, lq, k.shape[1], dim, dim / heads)
    }

    /// Checks a linear layer's operands; returns its rows (all leading dims), outputs and inputs.
    static func linearShape(_ x: Tensor, weight: Tensor, bias: Tensor?) -> (rows: Int, outF: Int, inF: Int) {
        precondition(weight.rank == 2, "linear: weight must be [out, in], got \(weight.shape)")
        let (outF, inF) = (weight.shape[0], weight.shape[1])
        precondition(x.shape.last == inF, "linear: input \(x.shape) does not end in \(inF)")
        if let bias { precondition(bias.count == outF, "linear: bias has \(bias.count) values for \(outF) outputs") }
        return (x.count / max(inF, 1), outF, inF)
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let (rows, outF, inF) = Self.linearShape(x, weight: weight, bias: bias)
        DNNLWeightCache.shared.restorePlain(weight)  // a no-op unless oneDNN released it
        let out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outF])
        Self.rowBlocks(rows, flopsPerRow: outF * inF) { r in
            if let bias {
                for i in r { (out.data + i * outF).update(from: bias.data, count: outF) }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        Int32(r.count), Int32(outF), Int32(inF),
                        1, x.data + r.lowerBound * inF, Int32(inF), weight.data, Int32(inF),
                        bias == nil ? 0 : 1, out.data + r.lowerBound * outF, Int32(outF))
        }
        return out
    }

    public func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool) -> Tensor {
        precondition(a.rank >= 2 && a.rank == b.rank, "matmul: ranks differ or < 2: \(a.shape), \(b.shape)")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        precondition(batchA == batchB, "matmul: batch dims differ: \(a.shape), \(b.shape)")
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let (kb, nn) = transposeB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
        precondition(k == kb, "matmul: inner dims differ: \(a.shape) x \(b.shape)\(transposeB ? "ᵀ" : "")")
        let batch = batchA.reduce(1, *)
        let out = Tensor(uninitialized: batchA + [m, nn])
        for i in 0..<batch {
            Self.rowBlocks(m, flopsPerRow: k * nn) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(r.count), Int32(nn), Int32(k),
                            1, a.data + i * m * k + r.lowerBound * k, Int32(k), b.data + i * k * nn, Int32(transposeB ? k : nn),
                            0, out.data + i * m * nn + r.lowerBound * nn, Int32(nn))
            }
        }
        return out
    }

    public func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Bool) -> Tensor {
        let (bsz, lq, lk, dim, dh) = Self.attentionShape(q: q, k: k, v: v, heads: heads)
        let scale = 1 / Float(dh).squareRoot()
        let out = Tensor(uninitialized: [bsz, lq, dim])
        let ld = Int32(dim)
        // Tasks are (batch, head, block of query rows); each holds one score block [rows, Lk].
        let units = bsz * heads
        let flops = 2 * lq * lk * dh
        let workers = flops * units >= Self.parallelFlops ? Parallel.workers : 1
        let blocks = Self.queryBlocks(lq: lq, lk: lk, units: units, workers: workers)
        let rowsPerBlock = (lq + blocks - 1) / blocks
        Parallel.tasks(units * blocks, workers: workers) { task in
            let unit = task / blocks
            let (b, hd) = (unit / heads, unit % heads)
            let r0 = (task % blocks) * rowsPerBlock
            let rows = min(rowsPerBlock, lq - r0)
            guard rows > 0 else { return }
            let scores = BufferPool.shared.acquire(rows * lk)
            defer { BufferPool.shared.release(scores, count: rows * lk) }
            let off = b * lq * dim + r0 * dim + hd * dh
            let koff = b * lk * dim + hd * dh
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                        Int32(rows), Int32(lk), Int32(dh),
                        scale, q.data + off, ld, k.data + koff, ld,
                        0, scores, Int32(lk))
            if causal {
                for i in 0..<rows where r0 + i + 1 < lk {
                    (scores + i * lk + r0 + i + 1).update(repeating: -.infinity, count: lk - r0 - i - 1)
                }
            }
            Softmax.rowsSerial(scores, rows: 0..<rows, cols: lk)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                        Int32(rows), Int32(dh), Int32(lk),
                        1, scores, Int32(lk), v.data + koff, ld,
                        0, out.data + off, ld)
        }
        return out
    }

    /// Score-block budget of one attention task, in floats (2 MiB). Each task computes a
    /// block of query rows completely (scores, softmax, times V) while its scores are still
    /// in cache, so the full [Lq, Lk] matrix never goes through memory: at 512² one head's
    /// scores would be 64 MiB, written, read and rewritten by softmax, then read again.
    /// Measured on 2 cores at Lq = Lk = 4096, head dim 64: 191 ms unbounded, 148 ms at
    /// 1 MiB, 140 ms at 2 MiB, 137 ms at 4 MiB; at 1024 tokens 2 MiB was the best (8.3 ms
    /// against 10.5). Tests lower it to force many blocks.
    nonisolated(unsafe) static var attentionBlockFloats = 1 << 19

    /// Query-row blocks per (batch, head): enough for every worker to have a task, and small
    /// enough that one block's scores fit `attentionBlockFloats` (never under 16 rows, where
    /// the GEMMs get too thin to run at speed).
    static func queryBlocks(lq: Int, lk: Int, units: Int, workers: Int) -> Int {
        let forWorkers = units >= workers ? 1 : (workers + units - 1) / units
        let rows = max(16, attentionBlockFloats / max(lk, 1))
        let forCache = (lq + rows - 1) / rows
        return max(1, min(lq, max(forWorkers, forCache)))
    }

    /// Runs `body` over blocks of `rows` GEMM rows, one block per worker when the product
    /// (`flopsPerRow` multiply-adds per row) is big enough to share.
    static func rowBlocks(_ rows: Int, flopsPerRow: Int, _ body: (Range<Int>) -> Void) {
        let workers = rows * flopsPerRow >= parallelFlops ? min(Parallel.workers, rows) : 1
        let per = (rows + workers - 1) / max(workers, 1)
        Parallel.tasks(workers, workers: workers) { t in
            let r = (t * per)..<min(rows, (t + 1) * per)
            if !r.isEmpty { body(r) }
        }
    }
}

/// Puts OpenBLAS in single-threaded mode once per process.
enum OpenBLASThreads {
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()
}

/// Unfolds image patches into columns so a convolution becomes one GEMM.
enum Im2col {
    /// Writes `[C*kh*kw, rows*outW]` columns for output rows `outRows` of one image.
    /// Padding follows `options` per axis; circular padding wraps indices modulo the size.
    static func fill(_ col: UnsafeMutablePointer<Float>, src: UnsafePointer<Float>,
                     channels c: Int, height h: Int, width w: Int, kh: Int, kw: Int,
                     outRows: Range<Int>, outW wo: Int, options o: Conv2dOptions, parallel: Bool = true) {
        let ho = outRows.count
        if o.stride == (1, 1) && o.padding.0 < h && o.padding.1 < w {
            fillStride1(col, src: src, channels: c, height: h, width: w, kh: kh, kw: kw,
                        outRows: outRows, outW: wo, options: o, parallel: parallel)
            return
        }
        // Source column for each (kx, ox), -1 where it reads padding zeros.
        var xIndex = [Int](repeating: -1, count: kw * wo)
        for kx in 0..<kw {
            for ox in 0..<wo {
                var ix = ox * o.stride.1 - o.padding.1 + kx
                if o.paddingModeX == .circular { ix = ((ix % w) + w) % w }
                xIndex[kx * wo + ox] = (ix >= 0 && ix < w) ? ix : -1
            }
        }
        var yIndex = [Int](repeating: -1, count: kh * ho)
        for ky in 0..<kh {
            for (r, oy) in outRows.enumerated() {
                var iy = oy * o.stride.0 - o.padding.0 + ky
                if o.paddingModeY == .circular { iy = ((iy % h) + h) % h }
                yIndex[ky * ho + r] = (iy >= 0 && iy < h) ? iy : -1
            }
        }
        // Interior columns of a stride-1 row read a contiguous run, copied in one go.
        let contiguous = o.stride.1 == 1
        xIndex.withUnsafeBufferPointer { xi in
            yIndex.withUnsafeBufferPointer { yi in
                let xBase = xi.baseAddress!, yBase = yi.baseAddress!
                Parallel.forEach(c, costPerItem: parallel ? kh * kw * ho * wo : 0) { channels in
                    for ch in channels {
                        let plane = src + ch * h * w
                        var row = col + ch * kh * kw * ho * wo
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let xmap = xBase + kx * wo
                                // First and last output columns whose source is in range without wrapping.
                                var lo = 0, hi = wo
                                if contiguous {
                                    while lo < wo && (xmap[lo] < 0 || xmap[lo] != lo - o.padding.1 + kx) { lo += 1 }
                                    while hi > lo && (xmap[hi - 1] < 0 || xmap[hi - 1] != hi - 1 - o.padding.1 + kx) { hi -= 1 }
                                }
                                for r in 0..<ho {
                                    let iy = yBase[ky * ho + r]
                                    let dst = row + r * wo
                                    if iy < 0 {
                                        dst.update(repeating: 0, count: wo)
                                        continue
                                    }
                                    let line = plane + iy * w
                                    if contiguous && hi > lo {
                                        for ox in 0..<lo { let ix = xmap[ox]; dst[ox] = ix >= 0 ? line[ix] : 0 }
                                        (dst + lo).update(from: line + (lo - o.padding.1 + kx), count: hi - lo)
                                        for ox in hi..<wo { let ix = xmap[ox]; dst[ox] = ix >= 0 ? line[ix] : 0 }
                                    } else {
                                        for ox in 0..<wo { let ix = xmap[ox]; dst[ox] = ix >= 0 ? line[ix] : 0 }
                                    }
                                }
                                row += ho * wo
                            }
                        }
                    }
                }
            }
        }
    }

    /// Stride-1 convolutions: each channel's rows are first copied into a padded plane
    /// (wrapped or zero-filled borders), so every column row is then one straight copy with
    /// no per-element bounds checks. At 16 to 64 pixel widths this beats the general path,
    /// whose short `memmove`s and edge branches cost as much as the copying.
    static func fillStride1(_ col: UnsafeMutablePointer<Float>, src: UnsafePointer<Float>,
                            channels c: Int, height h: Int, width w: Int, kh: Int, kw: Int,
                            outRows: Range<Int>, outW wo: Int, options o: Conv2dOptions, parallel: Bool) {
        let ho = outRows.count
        let (py, px) = o.padding
        let pw = w + 2 * px
        // Padded rows needed for these output rows: r0 - py + ky for ky < kh, shifted by py.
        let rowsNeeded = ho + kh - 1
        let planeCount = rowsNeeded * pw
        Parallel.forEach(c, costPerItem: parallel ? kh * kw * ho * wo : 0) { channels in
            let plane = BufferPool.shared.acquire(planeCount)
            defer { BufferPool.shared.release(plane, count: planeCount) }
            for ch in channels {
                let input = src + ch * h * w
                // Padded row j holds input row (outRows.lowerBound - py + j), wrapped or zero.
                for j in 0..<rowsNeeded {
                    var iy = outRows.lowerBound - py + j
                    let dst = plane + j * pw
                    if o.paddingModeY == .circular { iy = ((iy % h) + h) % h }
                    guard iy >= 0 && iy < h else { dst.update(repeating: 0, count: pw); continue }
                    PaddedRow.copy(input + iy * w, width: w, pad: px, mode: o.paddingModeX, into: dst)
                }
                var row = col + ch * kh * kw * ho * wo
                for ky in 0..<kh {
                    for kx in 0..<kw {
                        for r in 0..<ho {
                            let from = plane + (r + ky) * pw + kx
                            let to = row + r * wo
                            for ox in 0..<wo { to[ox] = from[ox] }
                        }
                        row += ho * wo
                    }
                }
            }
        }
    }
}
