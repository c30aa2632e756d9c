/// Box-filtered mip chains for RGBA8 images, as sent in a `generate` reply with
/// `format.mips` (level 0 is the image itself; each next level halves both dimensions,
/// rounding down and never below 1, until 1×1).
///
/// **Filter.** Each level is an exact area average of the previous one:
/// - an even dimension uses the classic 2-tap box (weights ½, ½), so a 2×2 block becomes
///   one pixel;
/// - an odd dimension `n = 2m + 1` (n ≥ 3) shrinks to `m`, and destination pixel `i`
///   covers source interval `[i·n/m, (i+1)·n/m)`, which is 2 + 1/m source pixels wide.
///   That is a 3-tap filter over source pixels `2i, 2i+1, 2i+2` with weights
///   `(m−i, m, i+1) / (2m+1)`: every source pixel contributes the same total weight,
///   no pixel is dropped, nothing reads past the edge, and a constant image stays constant;
/// - a dimension of 1 stays 1 (the other dimension keeps halving).
/// The two axes are filtered together with the product of their weights (separable).
/// On even dimensions no filter tap crosses an image edge, so a tileable image stays
/// tileable: rolling the input by `2^n · k` pixels rolls level `n` by `k`.
///
/// **Colour space.** With `srgb` true the colour channels are decoded to linear light with
/// the exact sRGB curve (a 256-entry table), averaged, and re-encoded with rounding to the
/// nearest 8-bit code; with `srgb` false the byte values are averaged directly and rounded.
/// Alpha is always averaged linearly (straight, not premultiplied alpha; colour is not
/// weighted by alpha).
///
/// **Precision.** Intermediate levels are kept in `Float` and each level is filtered
/// from the unrounded previous level, so rounding errors do not accumulate down the chain;
/// only the bytes handed out are rounded.
public enum MipChain {
    /// The size of every level of a `width × height` image, level 0 first, down to 1×1:
    /// e.g. 256×64 gives 9 levels, 7×5 gives 3 (7×5, 3×2, 1×1).
    /// - Precondition: `width` and `height` are positive.
    public static func levelSizes(width: Int, height: Int) -> [(width: Int, height: Int)] {
        precondition(width > 0 && height > 0, "MipChain: size must be positive (\(width)x\(height))")
        var sizes = [(width: width, height: height)]
        var (w, h) = (width, height)
        while w > 1 || h > 1 {
            w = max(1, w / 2)
            h = max(1, h / 2)
            sizes.append((w, h))
        }
        return sizes
    }

    /// Builds the full mip chain of `image`: level 0 is `image` itself, then each level
    /// halves width and height (rounding down, never below 1) until 1×1.
    ///
    /// - Parameters:
    ///   - image: level 0.
    ///   - srgb: `true` when the colour channels are sRGB-encoded (averaged in linear
    ///     light); `false` for linear data such as normal or roughness maps (bytes
    ///     averaged directly). Alpha is averaged linearly either way.
    /// - Returns: every level, level 0 first; a 1×1 image gives just itself.
    public static func build(_ image: RGBAImage, srgb: Bool) -> [RGBAImage] {
        let sizes = levelSizes(width: image.width, height: image.height)
        var levels = [image]
        guard sizes.count > 1 else { return levels }
        levels.reserveCapacity(sizes.count)
        var current = expand(image, srgb: srgb)
        var (width, height) = (image.width, image.height)
        for size in sizes.dropFirst() {
            let next = reduce(current, width: width, height: height, to: size.width, size.height)
            levels.append(quantize(next, width: size.width, height: size.height, srgb: srgb))
            current = next
            (width, height) = (size.width, size.height)
        }
        return levels
    }

    // MARK: Internals

    /// Bytes to working values: colour in linear light `0...1` (sRGB) or `0...255` (linear
    /// data); alpha in `0...255`.
    private static func expand(_ image: RGBAImage, srgb: Bool) -> [SIMD4<Float>] {
        let count = image.width * image.height
        return [SIMD4<Float>](unsafeUninitializedCapacity: count) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                if srgb {
                    SRGBTransfer.toLinear.withUnsafeBufferPointer { table in
                        for p in 0..<count {
                            let s = p * 4
                            out[p] = SIMD4(table[Int(src[s])], table[Int(src[s + 1])], table[Int(src[s + 2])], Float(src[s + 3]))
                        }
                    }
                } else {
                    for p in 0..<count {
                        let s = p * 4
                        out[p] = SIMD4(Float(src[s]), Float(src[s + 1]), Float(src[s + 2]), Float(src[s + 3]))
                    }
                }
            }
            initialized = count
        }
    }

    /// Working values to bytes, rounding to nearest (sRGB colour re-encoded first).
    private static func quantize(_ values: [SIMD4<Float>], width: Int, height: Int, srgb: Bool) -> RGBAImage {
        let count = width * height
        let bytes = [UInt8](unsafeUninitializedCapacity: count * 4) { out, initialized in
            values.withUnsafeBufferPointer { src in
                SRGBTransfer.thresholds.withUnsafeBufferPointer { thresholds in
                    for p in 0..<count {
                        let v = src[p]
                        let d = p * 4
                        if srgb {
                            out[d] = SRGBTransfer.encodeByte(v.x, thresholds: thresholds)
                            out[d + 1] = SRGBTransfer.encodeByte(v.y, thresholds: thresholds)
                            out[d + 2] = SRGBTransfer.encodeByte(v.z, thresholds: thresholds)
                        } else {
                            out[d] = roundByte(v.x)
                            out[d + 1] = roundByte(v.y)
                            out[d + 2] = roundByte(v.z)
                        }
                        out[d + 3] = roundByte(v.w)
                    }
                }
            }
            initialized = count * 4
        }
        return RGBAImage(width: width, height: height, pixels: bytes)
    }

    @inline(__always)
    private static func roundByte(_ value: Float) -> UInt8 {
        UInt8(min(255, max(0, value + 0.5)))
    }

    /// One level down: the area-average filter described on ``MipChain``.
    private static func reduce(_ source: [SIMD4<Float>], width: Int, height: Int,
                               to newWidth: Int, _ newHeight: Int) -> [SIMD4<Float>] {
        let xTaps = Taps(source: width, destination: newWidth)
        let yTaps = Taps(source: height, destination: newHeight)
        let count = newWidth * newHeight
        return [SIMD4<Float>](unsafeUninitializedCapacity: count) { out, initialized in
            source.withUnsafeBufferPointer { src in
                for j in 0..<newHeight {
                    let ys = yTaps.first(j)
                    for i in 0..<newWidth {
                        let xs = xTaps.first(i)
                        var sum = SIMD4<Float>(repeating: 0)
                        for ty in 0..<yTaps.count {
                            let row = (ys + ty) * width
                            let wy = yTaps.weight(j, ty)
                            var rowSum = SIMD4<Float>(repeating: 0)
                            for tx in 0..<xTaps.count {
                                rowSum += src[row + xs + tx] * xTaps.weight(i, tx)
                            }
                            sum += rowSum * wy
                        }
                        out[j * newWidth + i] = sum
                    }
                }
            }
            initialized = count
        }
    }

    /// The taps of one axis: `count` consecutive source pixels from `first(i)`, with
    /// their weights precomputed.
    private struct Taps {
        /// Taps per destination pixel: 1 (size 1 stays 1), 2 (even) or 3 (odd).
        let count: Int
        /// `weights[i * count + tap]`.
        private let weights: [Float]

        init(source: Int, destination m: Int) {
            if source == 1 {
                count = 1
                weights = [1]
            } else if source % 2 == 0 {
                count = 2
                weights = [Float](repeating: 0.5, count: 2 * m)
            } else {
                count = 3
                let total = Float(2 * m + 1)
                weights = (0..<m).flatMap { i in [Float(m - i) / total, Float(m) / total, Float(i + 1) / total] }
            }
        }

        @inline(__always) func first(_ i: Int) -> Int { count == 1 ? 0 : 2 * i }

        @inline(__always) func weight(_ i: Int, _ tap: Int) -> Float {
            count == 1 ? 1 : weights[i * count + tap]
        }
    }
}
