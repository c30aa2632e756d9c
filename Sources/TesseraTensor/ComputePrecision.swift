/// Numeric modes of the oneDNN backend (`--precision`). The OpenBLAS reference backend is
/// fp32 only.
public enum ComputePrecision: String, CaseIterable, Sendable {
    /// Everything in fp32; convolutions use oneDNN's direct algorithm, within float
    /// rounding of the reference.
    case fp32
    /// fp32 data throughout, with Winograd (oneDNN's F(4x4, 3x3), F(2x2, 3x3) on small
    /// planes) for the 3x3 stride-1 convolutions with channel counts that are multiples of
    /// 16 on planes at least 16 wide (`DNNLConvolution.winogradMinWidth`), reordered to and
    /// from its blocked layout around channels-last activations: faster on SD-size models,
    /// at the cost of transformed weights four times the size. The transforms add rounding
    /// error, measured in docs/BENCHMARKS.md. Needs AVX-512.
    case mixed
    /// Convolutions, linear layers and attention's matmuls read bf16 operands and
    /// accumulate in fp32 (8 mantissa bits in, fp32 out); norms stay fp32, and attention's
    /// probabilities are rounded to bf16 once (from exp fused into QKᵀ where the scores
    /// are bounded, `BoundedScores`, else from an fp32 softmax). 3x3 stride-1
    /// convolutions with at least 256 input channels on planes of 16x16 and larger run as
    /// Winograd F(2x2, 3x3) (`WinogradConvolution`): fp32 transforms, bf16 products.
    /// Needs AVX512_BF16 or AMX.
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
