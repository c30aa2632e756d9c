/// Numeric modes of the oneDNN backend (`--precision`). The OpenBLAS reference backend is
/// fp32 only.
public enum ComputePrecision: String, CaseIterable, Sendable {
    /// Everything in fp32; convolutions use oneDNN's direct algorithm, within float
    /// rounding of the reference.
    case fp32
    /// fp32 data throughout, with Winograd (oneDNN's F(4x4, 3x3), or F(2x2, 3x3) where
    /// channels are not multiples of 16) for 3x3 stride-1 convolutions of at most 128
    /// channels, where it is faster (decoders); the transforms add rounding error, measured
    /// in docs/BENCHMARKS.md. Needs AVX-512.
    case mixed
    /// Convolutions read bf16 activations and weights and accumulate in fp32 (8 mantissa
    /// bits in, fp32 out); other layers stay fp32. Needs AVX512_BF16 or AMX.
    case bf16

    /// Whether oneDNN has kernels for this mode on a CPU whose best instruction set is `isa`
    /// (`DNNLBackend.isa`). Without them oneDNN would fall back to reference loops.
    public func isSupported(isa: String) -> Bool {
        switch self {
        case .fp32: return true
        case .mixed: return isa.hasPrefix("avx512") || isa.contains("amx")
        case .bf16: return isa.contains("bf16") || isa.contains("amx")
        }
    }
}
