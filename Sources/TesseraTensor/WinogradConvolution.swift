import CTesseraKernels
/// 3x3 stride-1 convolutions in bf16 mode by Winograd F(2x2, 3x3) on channels-last input:
/// each 2x2 block of outputs is computed from a 4x4 input tile with 16 multiplications per
/// input and output channel pair instead of 36, so 2.25 times fewer multiply-adds than the
/// direct convolution oneDNN 2.6 offers in bf16 (it has Winograd for fp32 only).
///
/// The input transform V = Bᵀ d B (additions only, in fp32, rounded to bf16 once), 16 bf16
/// matrix products with fp32 accumulation against the transformed weights
/// (`WinogradWeights`, packed by oneDNN: `DNNLBatchedMatmul`, two batches of 8 positions),
/// then the output transform Y = Aᵀ M A in fp32 with the bias and the epilogue (residual,
/// ReLU) fused. Both transforms run as AVX-512 kernels (`CTesseraKernels`) wherever bf16
/// mode can run, and as Swift loops elsewhere (tests, other CPUs). Workers take bands of
/// tiles on large planes, and on small ones (up to `positionSplitTiles` per worker) one
/// half of the positions each, over all tiles.
/// The transforms of F(2x2, 3x3) only add, subtract and halve, so the extra rounding is
/// the bf16 rounding of sums of up to four inputs and of the halved weights: the error
/// stays of the order of direct bf16's (measured in docs/BENCHMARKS.md and asserted in
/// `WinogradConvolutionTests`). Circular padding wraps indices, so nothing is staged.
enum WinogradConvolution {
    typealias V = VectorMath.V

    /// Fewest 2x2 tiles per image worth transforming (a 16x16 plane): on an 8x8 plane the
    /// products are too short to pay for reading 16/9 as many weight bytes as the direct
    /// convolution (1,280 channels at 8x8: 7.3 against 4.3 ms on this VM).
    static let minTiles = 64
    /// Fewest input channels. With the AVX-512 transforms 64 pays (TAESD's 64-channel
    /// convolutions at 256x256: 8.8 against 11.6 ms direct; 32 channels do not: 0.20
    /// against 0.17 ms at 64x64). With the Swift ones the transforms cost more than the
    /// products save below 256 (64 channels at 256x256: 13.3 against 11.5 ms).
    static var minChannels: Int { usesAVX512Transforms ? 64 : 256 }
    /// Bytes of fp32 products per chunk of tiles, and the fewest tiles per chunk.
    static let chunkBytes = 2 << 20
    static let minChunkTiles = 64
    /// Up to this many tiles per worker, the workers split the 16 tile positions (two
    /// halves of the products over all tiles, each against half of the weights) instead of
    /// the tiles: bands of 32 to 128 tiles (16x16 and 32x32 planes on two workers) made
    /// products too short for the weights each band read in full (1,280 channels at 16x16:
    /// 13.0 against 10.9 ms; 1,920 to 640 at 32x32: 32.3 against 27.8 ms). From 256 tiles
    /// per worker on, bands of tiles in cache-sized chunks are faster again (docs/BENCHMARKS.md).
    static let positionSplitTiles = 128

    /// Whether the transforms run as the AVX-512 kernels of `CTesseraKernels` (one
    /// `vcvtneps2bf16` per 16 values instead of Swift's integer rounding on 8): wherever
    /// oneDNN reports AVX512_BF16 or AMX, which bf16 mode needs anyway. Same arithmetic,
    /// same results; tests set `transformsOverride` to run the Swift loops.
    static var usesAVX512Transforms: Bool {
        #if arch(x86_64)
        transformsOverride ?? ComputePrecision.bf16.isSupported(isa: DNNLEngine.shared.isa)
        #else
        false
        #endif
    }
    nonisolated(unsafe) static var transformsOverride: Bool?

    /// Whether a convolution runs here: 3x3, stride 1, padding under 3, input and output
    /// channels in whole 16-channel blocks, and at least `minTiles` output tiles per image.
    static func supports(channels c: Int, outputs oc: Int, kh: Int, kw: Int, options o: Conv2dOptions,
                         outputHeight ho: Int, outputWidth wo: Int) -> Bool {
        kh == 3 && kw == 3 && o.stride == (1, 1) && o.padding.0 < 3 && o.padding.1 < 3
            && c % 16 == 0 && oc % 16 == 0 && c >= minChannels && ((ho + 1) / 2) * ((wo + 1) / 2) >= minTiles
    }

    /// `x` [N, H, W, C] convolved with `weight` [O, C, 3, 3] plus `bias`, then `epilogue`,
    /// into [N, Ho, Wo, O]. `releasePlain`: see `DNNLWeightCache`.
    static func convolve(_ x: Tensor, weight: Tensor, bias: Tensor?, options o: Conv2dOptions, epilogue: ConvEpilogue,
                         releasePlain: Bool) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oc = weight.shape[0]
        let (ho, wo) = o.outputSize(height: h, width: w, kh: 3, kw: 3)
        let out = Tensor(uninitialized: [n, ho, wo, oc])
        if let r = epilogue.residual { precondition(r.shape == out.shape, "conv2d: residual \(r.shape) vs output \(out.shape)") }
        let u = WinogradWeights.shared.transformed(weight, releasePlain: releasePlain)
        let (tilesY, tilesX) = ((ho + 1) / 2, (wo + 1) / 2)
        let tileRows = n * tilesY
        let workers = tileRows * tilesX * c * oc * 16 >= OpenBLASBackend.parallelFlops ? Parallel.workers : 1
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: c)
        zeros.initialize(repeating: 0, count: c)
        defer { zeros.deallocate() }
        let geometry = Geometry(n: n, h: h, w: w, c: c, oc: oc, ho: ho, wo: wo, tilesY: tilesY, tilesX: tilesX,
                                padY: o.padding.0, padX: o.padding.1,
                                wrapY: o.paddingModeY == .circular, wrapX: o.paddingModeX == .circular,
                                avx512: usesAVX512Transforms)
        let run = Run(geometry: geometry, src: UnsafePointer(x.data), dst: out.data, zeros: zeros, u: u,
                      bias: bias.map { UnsafePointer($0.data) }, residual: epilogue.residual.map { UnsafePointer($0.data) },
                      relu: epilogue.relu, releasePlain: releasePlain)
        if workers >= 2 && tileRows * tilesX <= positionSplitTiles * workers {
            run.splittingPositions()
        } else {
            run.splittingTiles(bands: min(workers, tileRows))
        }
        return out
    }

    /// One convolution's operands and the two ways of sharing it between workers.
    private struct Run {
        let geometry: Geometry
        let src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, zeros: UnsafePointer<Float>
        /// The transformed weights' two halves (positions 0 to 7 and 8 to 15).
        let u: [Tensor]
        let bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?
        let relu, releasePlain: Bool

        /// Half the products of `tiles` tiles: positions `8 * half ..< 8 * half + 8` of `v`
        /// (bf16 [16, tiles, C]) against that half of the weights, into `m` ([16, tiles, O]).
        private func products(half: Int, tiles: Int, v: UnsafePointer<UInt16>, m: UnsafeMutablePointer<Float>, band: Int) {
            let g = geometry
            let mm = DNNLPrimitives.batchedMatmuls.primitive(for: DNNLBatchedMatmul.Geometry(batch: 8, m: tiles, k: g.c, n: g.oc, band: band))
            mm.run(source: UnsafeRawPointer(v + 8 * half * tiles * g.c), weight: u[half], out: m + 8 * half * tiles * g.oc,
                   releasePlain: releasePlain)
        }

        /// Bands of tiles, each in chunks whose products stay near the core's cache.
        func splittingTiles(bands: Int) {
            let g = geometry
            let tiles = g.n * g.tilesY * g.tilesX
            let perBand = (tiles + bands - 1) / bands
            let chunk = max(minChunkTiles, chunkBytes / (16 * 4 * g.oc))
            Parallel.tasks(bands, workers: bands) { band in
                let first = band * perBand, end = min(tiles, first + perBand)
                guard first < end else { return }
                let chunks = (end - first + chunk - 1) / chunk
                let most = (end - first + chunks - 1) / chunks  // equal chunks, no short remainder
                withBuffers(tiles: most) { halves, m in
                    var t0 = first
                    while t0 < end {
                        let range = t0..<min(end, t0 + most)
                        g.transformInput(src, tiles: range, plane: range.count * g.c, zeros: zeros, into: halves)
                        for half in 0..<2 { products(half: half, tiles: range.count, v: halves, m: m, band: band) }
                        g.transformOutput(m, tiles: range, plane: range.count * g.oc, bias: bias, residual: residual, relu: relu, into: dst)
                        t0 = range.upperBound
                    }
                }
            }
        }

        /// Two workers: both halves of the tiles transformed, then one half of the
        /// positions' products each over all tiles, then the output transform by tiles.
        func splittingPositions() {
            let g = geometry
            let tiles = g.n * g.tilesY * g.tilesX
            let perBand = (tiles + 1) / 2
            func range(_ band: Int) -> Range<Int> { (band * perBand)..<min(tiles, (band + 1) * perBand) }
            withBuffers(tiles: tiles) { halves, m in
                Parallel.tasks(2, workers: 2) { band in
                    let r = range(band)
                    g.transformInput(src, tiles: r, plane: tiles * g.c, zeros: zeros, into: halves + r.lowerBound * g.c)
                }
                Parallel.tasks(2, workers: 2) { half in products(half: half, tiles: tiles, v: halves, m: m, band: half) }
                Parallel.tasks(2, workers: 2) { band in
                    let r = range(band)
                    g.transformOutput(m + r.lowerBound * g.oc, tiles: r, plane: tiles * g.oc, bias: bias, residual: residual,
                                      relu: relu, into: dst)
                }
            }
        }

        /// Pooled buffers for `tiles` tiles: V (bf16 [16, tiles, C]) and M (fp32 [16, tiles, O]).
        private func withBuffers(tiles: Int, _ body: (UnsafeMutablePointer<UInt16>, UnsafeMutablePointer<Float>) -> Void) {
            let halfCount = 8 * tiles * geometry.c, productCount = 16 * tiles * geometry.oc
            let v = BufferPool.shared.acquire(halfCount), m = BufferPool.shared.acquire(productCount)
            defer {
                BufferPool.shared.release(v, count: halfCount)
                BufferPool.shared.release(m, count: productCount)
            }
            body(UnsafeMutableRawPointer(v).bindMemory(to: UInt16.self, capacity: 2 * halfCount), m)
        }
    }

    /// One convolution's sizes.
    struct Geometry {
        var n, h, w, c, oc, ho, wo, tilesY, tilesX, padY, padX: Int
        var wrapY, wrapX: Bool
        /// Whether both transforms run as the AVX-512 kernels (decided once per convolution).
        var avx512: Bool

        /// V = Bᵀ d B for every tile of `tiles` (numbered row by row across the batch), as bf16
        /// [16, tiles, C] from `v` on, positions `plane` halves apart;
        /// Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]].
        func transformInput(_ src: UnsafePointer<Float>, tiles: Range<Int>, plane: Int, zeros: UnsafePointer<Float>,
                            into v: UnsafeMutablePointer<UInt16>) {
            withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: 16) { p in
                var t = 0
                for tile in tiles {
                    let (row, tx) = (tile / tilesX, tile % tilesX)
                    let (image, ty) = (row / tilesY, row % tilesY)
                    do {
                        // The 16 input pixels of this tile, zeros outside an unwrapped edge.
                        for i in 0..<4 {
                            let sy = source(2 * ty - padY + i, size: h, wrap: wrapY)
                            for j in 0..<4 {
                                let sx = source(2 * tx - padX + j, size: w, wrap: wrapX)
                                p[i * 4 + j] = sy < 0 || sx < 0 ? zeros : src + ((image * h + sy) * w + sx) * c
                            }
                        }
                        let to = v + t * c
                        if avx512 {
                            let pixels = UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UnsafePointer<Float>?.self)
                            tessera_winograd_input_tile_bf16(pixels, Int64(c), Int64(plane), to)
                            t += 1
                            continue
                        }
                        var ci = 0
                        while ci < c {
                            func d(_ k: Int) -> V { UnsafeRawPointer(p[k] + ci).loadUnaligned(as: V.self) }
                            // Rows first (r = d B), one row of the tile at a time.
                            var r = (V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V(), V())
                            withUnsafeMutableBytes(of: &r) { raw in
                                let q = raw.baseAddress!.assumingMemoryBound(to: V.self)
                                for i in 0..<4 {
                                    let (a, b, e, f) = (d(4 * i), d(4 * i + 1), d(4 * i + 2), d(4 * i + 3))
                                    q[4 * i] = a - e; q[4 * i + 1] = b + e; q[4 * i + 2] = e - b; q[4 * i + 3] = b - f
                                }
                                // Then columns (V = Bᵀ r), stored as bf16.
                                for j in 0..<4 {
                                    let (a, b, e, f) = (q[j], q[4 + j], q[8 + j], q[12 + j])
                                    BFloat16.store(a - e, to + j * plane + ci)
                                    BFloat16.store(b + e, to + (4 + j) * plane + ci)
                                    BFloat16.store(e - b, to + (8 + j) * plane + ci)
                                    BFloat16.store(b - f, to + (12 + j) * plane + ci)
                                }
                            }
                            ci += V.scalarCount
                        }
                        t += 1
                    }
                }
            }
        }

        /// Y = Aᵀ M A for every tile of `tiles` from the products `m` [16, tiles, O] (positions
        /// `plane` floats apart), plus bias, residual and ReLU, into the output pixels it
        /// covers; Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]].
        func transformOutput(_ m: UnsafePointer<Float>, tiles: Range<Int>, plane: Int, bias: UnsafePointer<Float>?,
                             residual: UnsafePointer<Float>?, relu: Bool, into dst: UnsafeMutablePointer<Float>) {
            if avx512 {
                transformOutputAVX512(m, tiles: tiles, plane: plane, bias: bias, residual: residual, relu: relu, into: dst)
                return
            }
            var t = 0
            for tile in tiles {
                let (row, tx) = (tile / tilesX, tile % tilesX)
                let (image, ty) = (row / tilesY, row % tilesY)
                let (rows, y0) = (min(2, ho - 2 * ty), 2 * ty)
                do {
                    let (cols, x0) = (min(2, wo - 2 * tx), 2 * tx)
                    let from = m + t * oc
                    var co = 0
                    while co < oc {
                        func at(_ k: Int) -> V { UnsafeRawPointer(from + k * plane + co).loadUnaligned(as: V.self) }
                        // Rows of M A (4x2), then Aᵀ (M A).
                        let (a0, a1, a2, a3) = (at(0), at(1), at(2), at(3))
                        let (b0, b1, b2, b3) = (at(4), at(5), at(6), at(7))
                        let (c0, c1, c2, c3) = (at(8), at(9), at(10), at(11))
                        let (d0, d1, d2, d3) = (at(12), at(13), at(14), at(15))
                        let (ra0, ra1) = (a0 + a1 + a2, a1 - a2 - a3)
                        let (rb0, rb1) = (b0 + b1 + b2, b1 - b2 - b3)
                        let (rc0, rc1) = (c0 + c1 + c2, c1 - c2 - c3)
                        let (rd0, rd1) = (d0 + d1 + d2, d1 - d2 - d3)
                        var y = (ra0 + rb0 + rc0, ra1 + rb1 + rc1, rb0 - rc0 - rd0, rb1 - rc1 - rd1)
                        if let bias {
                            let b = UnsafeRawPointer(bias + co).loadUnaligned(as: V.self)
                            y = (y.0 + b, y.1 + b, y.2 + b, y.3 + b)
                        }
                        withUnsafeBytes(of: y) { raw in
                            let q = raw.baseAddress!.assumingMemoryBound(to: V.self)
                            for a in 0..<rows {
                                for b in 0..<cols {
                                    let offset = ((image * ho + y0 + a) * wo + x0 + b) * oc + co
                                    var value = q[2 * a + b]
                                    if let residual { value += UnsafeRawPointer(residual + offset).loadUnaligned(as: V.self) }
                                    if relu { value.replace(with: 0, where: value .< 0) }
                                    UnsafeMutableRawPointer(dst + offset).storeBytes(of: value, as: V.self)
                                }
                            }
                        }
                        co += V.scalarCount
                    }
                    t += 1
                }
            }
        }

        /// `transformOutput` through `tessera_winograd_output_tile`, given each tile's output
        /// (and residual) pixels, nil past the bottom and right edges.
        private func transformOutputAVX512(_ m: UnsafePointer<Float>, tiles: Range<Int>, plane: Int, bias: UnsafePointer<Float>?,
                                           residual: UnsafePointer<Float>?, relu: Bool, into dst: UnsafeMutablePointer<Float>) {
            withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: 4) { out in
                withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: 4) { res in
                    for (t, tile) in tiles.enumerated() {
                        let (row, tx) = (tile / tilesX, tile % tilesX)
                        let (image, ty) = (row / tilesY, row % tilesY)
                        for q in 0..<4 {
                            let (y, x) = (2 * ty + q / 2, 2 * tx + q % 2)
                            let offset = ((image * ho + y) * wo + x) * oc
                            let inside = y < ho && x < wo
                            out[q] = inside ? dst + offset : nil
                            res[q] = inside ? residual.map { $0 + offset } : nil
                        }
                        tessera_winograd_output_tile(m + t * oc, Int64(plane), Int64(oc), bias, out.baseAddress,
                                                     residual == nil ? nil : UnsafePointer(res.baseAddress), relu ? 1 : 0)
                    }
                }
            }
        }

        /// The input row or column read for `index` (-1: zero padding).
        @inline(__always)
        private func source(_ index: Int, size: Int, wrap: Bool) -> Int {
            if index >= 0 && index < size { return index }
            return wrap ? (index % size + size) % size : -1
        }
    }
}
