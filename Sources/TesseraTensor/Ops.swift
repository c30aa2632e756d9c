/// The kernel entry points models call. Heavy operations dispatch to `Compute.backend`;
/// cheap ones (norms, activations, resampling) live in their own files as `Ops` extensions.
public enum Ops {
    /// 2-D convolution: `x` [N, C, H, W], `weight` [O, C, kh, kw], optional `bias` [O],
    /// then `epilogue` (a residual sum and ReLU, fused into the convolution where the backend can).
    /// With `channelsLast`, `x`, the residual and the result are [N, H, W, C] instead.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil,
                              options: Conv2dOptions = Conv2dOptions(), epilogue: ConvEpilogue = .none,
                              channelsLast: Bool = false) -> Tensor {
        let backend = Compute.backend
        if channelsLast { return backend.conv2dChannelsLast(x, weight: weight, bias: bias, options: options, epilogue: epilogue) }
        return epilogue.isEmpty ? backend.conv2d(x, weight: weight, bias: bias, options: options)
            : backend.conv2d(x, weight: weight, bias: bias, options: options, epilogue: epilogue)
    }

    /// `conv(upsampleNearest2x(x))` from a 3x3 conv's four phase kernels (see
    /// `ComputeBackend.upsampledConv2x`).
    public static func upsampledConv2x(_ x: Tensor, phases: Tensor, bias: Tensor?, options: Conv2dOptions,
                                       channelsLast: Bool = false) -> Tensor {
        Compute.backend.upsampledConv2x(x, phases: phases, bias: bias, options: options, channelsLast: channelsLast)
    }

    /// Affine map over the last dimension: `x` [..., in], `weight` [out, in], `bias` [out].
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        Compute.backend.linear(x, weight: weight, bias: bias)
    }

    /// Several affine maps of the same `x` (Q, K and V), one result per (weight, bias).
    public static func linears(_ x: Tensor, _ layers: [(weight: Tensor, bias: Tensor?)]) -> [Tensor] {
        Compute.backend.linears(x, layers)
    }

    /// GEGLU's projection over the last dimension: `(x Vᵀ + bv) * GELU(x Gᵀ + bg)`, exact GELU.
    public static func gatedLinear(_ x: Tensor, value: Tensor, valueBias: Tensor?, gate: Tensor, gateBias: Tensor?) -> Tensor {
        Compute.backend.gatedLinear(x, value: value, valueBias: valueBias, gate: gate, gateBias: gateBias)
    }

    /// Matrix product over the last two dimensions, batched over the leading ones.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
        Compute.backend.matmul(a, b, transposeB: transposeB)
    }

    /// Multi-head scaled dot-product attention. `q` [B, Lq, H*dh], `k`/`v` [B, Lk, H*dh];
    /// scores are scaled by 1/sqrt(dh). With `causal`, query i sees keys 0...i only.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Bool = false) -> Tensor {
        Compute.backend.attention(q: q, k: k, v: v, heads: heads, causal: causal)
    }
}
