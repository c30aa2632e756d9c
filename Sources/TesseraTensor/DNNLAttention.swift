/// softmax(QKᵀ / sqrt(dh)) V on oneDNN: QKᵀ and PV as matmuls (`DNNLStridedMatmul`, bf16
/// operands in bf16 mode, fp32 otherwise) on blocks of query rows, as the reference blocks
/// them (`OpenBLASBackend.queryBlocks`), so the whole score matrix never goes through memory.
///
/// Q (scaled by 1/sqrt(dh)), K and V are copied once per call into head-major [batch *
/// heads, tokens, dh] (converted to bf16 in bf16 mode): on dense operands oneDNN picks its
/// brgemm kernels, where strided ones got its older gemm. A block whose scores are bounded
/// (`BoundedScores`) takes exp as the QKᵀ matmul's post-op, straight into the
/// probabilities (bf16 or fp32), and PV's rows are divided by the row sums afterwards: no
/// softmax kernel. Other blocks get fp32 scores and oneDNN's softmax (`DNNLSoftmax`), or
/// Tessera's under a causal mask. At 4,096 tokens and 5 heads of 64 this took bf16
/// attention from 95 to 70 ms and fp32 from 150 to 122 ms (docs/BENCHMARKS.md).
enum DNNLAttention {
    static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Bool, bf16: Bool) -> Tensor {
        let (bsz, lq, lk, dim, dh) = OpenBLASBackend.attentionShape(q: q, k: k, v: v, heads: heads)
        let out = Tensor(uninitialized: [bsz, lq, dim])
        guard lq > 0 && lk > 0 else { return out }
        let operands = Operands(bsz: bsz, heads: heads, dim: dim, dh: dh)
        defer { operands.release() }
        let queryScale = 1 / Float(dh).squareRoot()
        // Every operand head-major and dense, so that oneDNN picks its brgemm kernels.
        let qh = operands.headMajor(q, scale: queryScale, bf16: bf16)
        let kh = operands.headMajor(k, bf16: bf16), vh = operands.headMajor(v, bf16: bf16)
        let size = bf16 ? 2 : 4
        let units = bsz * heads
        // The largest key norm and |value| per (batch, head), for the bounded-scores test.
        let bounds = !causal
        let keyBounds = bounds ? Self.keyBounds(k, v, units: units, heads: heads, lk: lk, dim: dim, dh: dh) : []
        let workers = 2 * lq * lk * dh * units >= OpenBLASBackend.parallelFlops ? Parallel.workers : 1
        let blocks = OpenBLASBackend.queryBlocks(lq: lq, lk: lk, units: units, workers: workers)
        let rowsPerBlock = (lq + blocks - 1) / blocks
        let total = units * blocks
        // Tasks are dealt round-robin so that each worker has its own primitives.
        Parallel.tasks(min(workers, total), workers: workers) { worker in
            let count = rowsPerBlock * lk
            // fp32 probabilities overwrite the scores; bf16 ones go to their own buffer.
            let probsFloats = BFloat16.floats(for: count), blockFloats = rowsPerBlock * dh
            let scores = BufferPool.shared.acquire(count), probsStorage = bf16 ? BufferPool.shared.acquire(probsFloats) : scores
            let block = BufferPool.shared.acquire(blockFloats)
            defer {
                BufferPool.shared.release(scores, count: count)
                BufferPool.shared.release(block, count: blockFloats)
                if bf16 { BufferPool.shared.release(probsStorage, count: probsFloats) }
            }
            let probs = UnsafeMutableRawPointer(probsStorage)
            for task in stride(from: worker, to: total, by: workers) {
                let unit = task / blocks
                let (b, hd) = (unit / heads, unit % heads)
                let r0 = (task % blocks) * rowsPerBlock
                let rows = min(rowsPerBlock, lq - r0)
                guard rows > 0 else { continue }
                let off = b * lq * dim + r0 * dim + hd * dh
                let bounded = bounds && BoundedScores.allows(
                    query: queryScale * BoundedScores.maxNorm(q.data + off, rows: rows, stride: dim, count: dh),
                    key: keyBounds[unit].key, largestValue: keyBounds[unit].value, tokens: lk)
                let qk = DNNLPrimitives.stridedMatmuls.primitive(for: DNNLStridedMatmul.Geometry(
                    m: rows, k: dh, n: lk, lda: dh, bStrideK: 1, bStrideN: dh, ldc: lk, band: worker, bf16: bf16,
                    exponential: bounded))
                qk.run(a: qh + (unit * lq + r0) * dh * size, b: kh + unit * lk * dh * size, c: bounded ? probs : UnsafeMutableRawPointer(scores))
                if bounded {
                    // exp(QKᵀ) is already in `probs`; the output rows are normalised below.
                } else if causal {
                    // Tessera's softmax: oneDNN's would turn a fully masked row into NaNs.
                    for i in 0..<rows where r0 + i + 1 < lk {
                        (scores + i * lk + r0 + i + 1).update(repeating: -.infinity, count: lk - r0 - i - 1)
                    }
                    Softmax.rowsSerial(scores, rows: 0..<rows, cols: lk)
                    if bf16 { BFloat16.run(scores, count: rows * lk, into: probs.bindMemory(to: UInt16.self, capacity: count)) }
                } else {
                    let softmax = DNNLPrimitives.softmaxes.primitive(for: DNNLSoftmax.Geometry(rows: rows, cols: lk, bf16: bf16, band: worker))
                    softmax.run(scores: scores, probabilities: probs)
                }
                let pv = DNNLPrimitives.stridedMatmuls.primitive(for: DNNLStridedMatmul.Geometry(
                    m: rows, k: lk, n: dh, lda: lk, bStrideK: dh, bStrideN: 1, ldc: dh, band: worker, bf16: bf16))
                pv.run(a: probs, b: vh + unit * lk * dh * size, c: UnsafeMutableRawPointer(block))
                // The dense block's rows go to the head's columns.
                for i in 0..<rows { (out.data + off + i * dim).update(from: block + i * dh, count: dh) }
                if bounded {
                    if bf16 {
                        BoundedScores.normalise(out.data + off, rows: rows, stride: dim, count: dh,
                                                probabilities: probs.assumingMemoryBound(to: UInt16.self), cols: lk)
                    } else {
                        BoundedScores.normalise(out.data + off, rows: rows, stride: dim, count: dh,
                                                probabilities: probs.assumingMemoryBound(to: Float.self), cols: lk)
                    }
                }
            }
        }
        return out
    }

    /// The largest norm among each (batch, head)'s keys, and the largest |value|.
    private static func keyBounds(_ k: Tensor, _ v: Tensor, units: Int, heads: Int, lk: Int, dim: Int, dh: Int)
        -> [(key: Float, value: Float)] {
        var bounds = [(key: Float, value: Float)](repeating: (0, 0), count: units)
        let (keys, values) = (UnsafePointer(k.data), UnsafePointer(v.data))
        bounds.withUnsafeMutableBufferPointer { buffer in
            let to = buffer.baseAddress!
            Parallel.forEach(units, costPerItem: 2 * lk * dh) { r in
                for unit in r {
                    let offset = (unit / heads) * lk * dim + (unit % heads) * dh
                    to[unit] = (BoundedScores.maxNorm(keys + offset, rows: lk, stride: dim, count: dh),
                                BoundedScores.largestMagnitude(values + offset, rows: lk, stride: dim, count: dh))
                }
            }
        }
        return bounds
    }

    /// One call's operand copies, in pooled float storage (bf16: two values per float).
    private final class Operands {
        let bsz, heads, dim, dh: Int
        private var pooled: [(UnsafeMutablePointer<Float>, Int)] = []

        init(bsz: Int, heads: Int, dim: Int, dh: Int) { (self.bsz, self.heads, self.dim, self.dh) = (bsz, heads, dim, dh) }

        func release() { for (p, n) in pooled { BufferPool.shared.release(p, count: n) } }

        private func acquire(_ floats: Int) -> UnsafeMutablePointer<Float> {
            let p = BufferPool.shared.acquire(floats)
            pooled.append((p, floats))
            return p
        }

        /// `t` [batch, tokens, heads * dh] times `scale` as [batch * heads, tokens, dh], in bf16 or fp32.
        func headMajor(_ t: Tensor, scale: Float = 1, bf16: Bool) -> UnsafeRawPointer {
            let p = acquire(bf16 ? BFloat16.floats(for: t.count) : t.count)
            let half = UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt16.self)
            let (src, l, heads, dim, dh) = (t.data, t.shape[1], heads, dim, dh)
            Parallel.forEach(bsz * l, costPerItem: dim) { rows in
                for row in rows {
                    let (b, i) = (row / l, row % l)
                    for hd in 0..<heads {
                        let from = src + row * dim + hd * dh, to = ((b * heads + hd) * l + i) * dh
                        if bf16 {
                            BFloat16.run(from, count: dh, scale: scale, into: half + to)
                        } else if scale == 1 {
                            (p + to).update(from: from, count: dh)
                        } else {
                            for j in 0..<dh { p[to + j] = from[j] * scale }
                        }
                    }
                }
            }
            return UnsafeRawPointer(p)
        }
    }
}
