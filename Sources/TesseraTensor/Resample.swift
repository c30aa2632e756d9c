/// Spatial resampling on [N, C, H, W] tensors.
extension Ops {
    /// Nearest-neighbour 2x upsampling: each pixel becomes a 2x2 block.
    public static func upsampleNearest2x(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "upsampleNearest2x expects [N,C,H,W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(uninitialized: [n, c, 2 * h, 2 * w])
        Parallel.forEach(n * c, costPerItem: 4 * h * w) { planes in
            for p in planes {
                let src = x.data + p * h * w
                let dst = out.data + p * 4 * h * w
                for y in 0..<h {
                    let row = dst + 2 * y * 2 * w
                    for xx in 0..<w {
                        let v = src[y * w + xx]
                        row[2 * xx] = v
                        row[2 * xx + 1] = v
                    }
                    (row + 2 * w).update(from: row, count: 2 * w)
                }
            }
        }
        return out
    }

    /// Nearest-neighbour 2x upsampling of channels-last [N, H, W, C] activations.
    public static func upsampleNearest2xChannelsLast(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "upsampleNearest2xChannelsLast expects [N,H,W,C], got \(x.shape)")
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(uninitialized: [n, 2 * h, 2 * w, c])
        let rowOut = 2 * w * c
        Parallel.forEach(n * h, costPerItem: 4 * w * c) { rows in
            for r in rows {
                let src = x.data + r * w * c
                let dst = out.data + 2 * r * rowOut
                for xx in 0..<w {
                    (dst + 2 * xx * c).update(from: src + xx * c, count: c)
                    (dst + (2 * xx + 1) * c).update(from: src + xx * c, count: c)
                }
                (dst + rowOut).update(from: dst, count: rowOut)
            }
        }
        return out
    }

    /// 2x2 average pooling with stride 2 (odd trailing rows/columns are dropped, as in PyTorch).
    public static func avgPool2x2(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "avgPool2x2 expects [N,C,H,W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (h / 2, w / 2)
        let out = Tensor(uninitialized: [n, c, ho, wo])
        for p in 0..<(n * c) {
            let src = x.data + p * h * w
            let dst = out.data + p * ho * wo
            for y in 0..<ho {
                let r0 = src + 2 * y * w, r1 = r0 + w
                for xx in 0..<wo {
                    dst[y * wo + xx] = 0.25 * (r0[2 * xx] + r0[2 * xx + 1] + r1[2 * xx] + r1[2 * xx + 1])
                }
            }
        }
        return out
    }

    /// Nearest-neighbour resize to `height` x `width`, with PyTorch's index rule
    /// (source = floor(dest * in / out), computed in float32).
    public static func upsampleNearest(_ x: Tensor, height ho: Int, width wo: Int) -> Tensor {
        precondition(x.rank == 4 && ho > 0 && wo > 0, "upsampleNearest expects [N,C,H,W] and a positive size")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ys, xs) = (nearestSources(h, ho), nearestSources(w, wo))
        let out = Tensor(uninitialized: [n, c, ho, wo])
        for p in 0..<(n * c) {
            let src = x.data + p * h * w, dst = out.data + p * ho * wo
            for y in 0..<ho {
                let line = src + ys[y] * w
                for xx in 0..<wo { dst[y * wo + xx] = line[xs[xx]] }
            }
        }
        return out
    }

    /// `upsampleNearest` for channels-last [N, H, W, C] activations (the same index rule).
    public static func upsampleNearestChannelsLast(_ x: Tensor, height ho: Int, width wo: Int) -> Tensor {
        precondition(x.rank == 4 && ho > 0 && wo > 0, "upsampleNearestChannelsLast expects [N,H,W,C] and a positive size")
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ys, xs) = (nearestSources(h, ho), nearestSources(w, wo))
        let out = Tensor(uninitialized: [n, ho, wo, c])
        Parallel.forEach(n * ho, costPerItem: wo * c) { rows in
            for r in rows {
                let (b, y) = (r / ho, r % ho)
                let line = x.data + (b * h + ys[y]) * w * c, dst = out.data + r * wo * c
                for xx in 0..<wo { (dst + xx * c).update(from: line + xs[xx] * c, count: c) }
            }
        }
        return out
    }

    /// The source index of each of `count` outputs resampled from `size` inputs by nearest
    /// neighbour, PyTorch's rule: floor(dest * size / count), computed in float32.
    static func nearestSources(_ size: Int, _ count: Int) -> [Int] {
        let scale = Float(size) / Float(count)
        return (0..<count).map { min(Int((Float($0) * scale).rounded(.down)), size - 1) }
    }

    /// Assembles a 2x upsampled image from four phase images stacked on the channel axis:
    /// `x` [N, 4C, H + 1, W + 1] (phase 2a + b in channels (2a + b)C ..< (2a + b + 1)C) gives
    /// out[n, c, 2i + a, 2j + b] = x[n, (2a + b)C + c, i + a, j + b], [N, C, 2H, 2W].
    /// This is the layout `UpsampledConv2d`'s one 2x2 convolution over all phases writes.
    /// With `channelsLast`, `x` is [N, H + 1, W + 1, 4C] and the result [N, 2H, 2W, C].
    public static func interleavePhases2x(_ x: Tensor, channelsLast: Bool = false) -> Tensor {
        precondition(x.rank == 4, "interleavePhases2x expects a rank-4 tensor, got \(x.shape)")
        let (n, hp, wp, c4) = channelsLast ? (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            : (x.shape[0], x.shape[2], x.shape[3], x.shape[1])
        precondition(c4 % 4 == 0 && hp > 1 && wp > 1, "interleavePhases2x needs 4C channels and a (H+1) x (W+1) plane, got \(x.shape)")
        let (c, h, w) = (c4 / 4, hp - 1, wp - 1)
        let out = Tensor(uninitialized: channelsLast ? [n, 2 * h, 2 * w, c] : [n, c, 2 * h, 2 * w])
        let src = x.data, dst = out.data
        if channelsLast {
            // One output row (n, 2i + a) per item: for each column pair, two runs of C channels.
            Parallel.forEach(n * 2 * h, costPerItem: 2 * w * c) { rows in
                for r in rows {
                    let (b, y) = (r / (2 * h), r % (2 * h))
                    let (i, a) = (y / 2, y % 2)
                    let line = src + (b * hp + i + a) * wp * c4
                    let row = dst + r * 2 * w * c
                    for j in 0..<w {
                        (row + 2 * j * c).update(from: line + j * c4 + 2 * a * c, count: c)
                        (row + (2 * j + 1) * c).update(from: line + (j + 1) * c4 + (2 * a + 1) * c, count: c)
                    }
                }
            }
        } else {
            // One output plane row (n, c, 2i + a) per item, alternating between two phase rows.
            Parallel.forEach(n * c * 2 * h, costPerItem: 2 * w) { rows in
                for r in rows {
                    let (plane, y) = (r / (2 * h), r % (2 * h))
                    let (b, ch) = (plane / c, plane % c)
                    let (i, a) = (y / 2, y % 2)
                    let even = src + ((b * c4 + 2 * a * c + ch) * hp + i + a) * wp
                    let odd = even + c * hp * wp + 1
                    let row = dst + r * 2 * w
                    for j in 0..<w {
                        row[2 * j] = even[j]
                        row[2 * j + 1] = odd[j]
                    }
                }
            }
        }
        return out
    }

    /// Zero-pads one row at the bottom and one column at the right (`F.pad(x, (0, 1, 0, 1))`).
    public static func padRightBottom(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "padRightBottom expects [N,C,H,W]")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let out = Tensor(zeros: [n, c, h + 1, w + 1])
        for p in 0..<(n * c) {
            for y in 0..<h {
                (out.data + p * (h + 1) * (w + 1) + y * (w + 1)).update(from: x.data + p * h * w + y * w, count: w)
            }
        }
        return out
    }
}
