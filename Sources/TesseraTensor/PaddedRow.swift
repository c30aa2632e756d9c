/// One input row copied into a row `pad` samples wider on each side: the borders wrap
/// around (circular) or are zero. Shared by the im2col path and oneDNN's staging copy.
enum PaddedRow {
    static func copy(_ line: UnsafePointer<Float>, width w: Int, pad px: Int, mode: PaddingMode,
                     into dst: UnsafeMutablePointer<Float>) {
        (dst + px).update(from: line, count: w)
        guard px > 0 else { return }
        if mode == .circular {
            for k in 0..<px {
                dst[px - 1 - k] = line[((w - 1 - k) % w + w) % w]
                dst[px + w + k] = line[k % w]
            }
        } else {
            for k in 0..<px { dst[k] = 0; dst[px + w + k] = 0 }
        }
    }
}
