import COpenBLAS
import Foundation

/// How a convolution treats samples outside the input along one axis.
public enum PaddingMode: String, Sendable, Codable {
    /// Out-of-range samples read as zero.
    case zeros
    /// Out-of-range samples wrap around (the input is a torus along this axis), for seamless tiling.
    case circular
}

/// Geometry of a 2-D convolution. Pairs are (y, x).
public struct Conv2dOptions: Sendable, Hashable {
    /// Step between output samples, (y, x).
    public var stride: (Int, Int)
    /// Samples added on each side, (y, x).
    public var padding: (Int, Int)
    /// Padding mode along y (rows).
    public var paddingModeY: PaddingMode
    /// Padding mode along x (columns).
    public var paddingModeX: PaddingMode

    /// Creates conv geometry; defaults to stride 1, no padding, zero padding on both axes.
    public init(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0),
                paddingModeY: PaddingMode = .zeros, paddingModeX: PaddingMode = .zeros) {
        self.stride = stride
        self.padding = padding
        self.paddingModeY = paddingModeY
        self.paddingModeX = paddingModeX
    }

    public static func == (a: Conv2dOptions, b: Conv2dOptions) -> Bool {
        a.stride == b.stride && a.padding == b.padding
            && a.paddingModeY == b.paddingModeY && a.paddingModeX == b.paddingModeX
    }

    public func hash(into h: inout Hasher) {
        h.combine(stride.0); h.combine(stride.1); h.combine(padding.0); h.combine(padding.1)
        h.combine(paddingModeY); h.combine(paddingModeX)
    }

    /// Output spatial size for an input of `height` x `width` and a `kh` x `kw` kernel.
    public func outputSize(height: Int, width: Int, kh: Int, kw: Int) -> (Int, Int) {
        ((height + 2 * padding.0 - kh) / stride.0 + 1, (width + 2 * padding.1 - kw) / stride.1 + 1)
    }
}

/// The seam between model code and the kernels that do the heavy arithmetic.
///
/// Models call `Ops`, which dispatches the three expensive operations here. The
/// OpenBLAS fp32 backend is the reference; faster backends (oneDNN) slot in behind
/// the same protocol without touching model code.
public protocol ComputeBackend: Sendable {
    /// Human-readable backend name for logs and benchmarks.
    var name: String { get }
    /// `x` [N, C, H, W] convolved with `weight` [O, C, kh, kw], plus optional `bias` [O].
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, options: Conv2dOptions) -> Tensor
    /// The same convolution followed by `epilogue` (residual sum, ReLU), fused where the
    /// backend can; the default applies the epilogue after the plain convolution.
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, options: Conv2dOptions, epilogue: ConvEpilogue) -> Tensor
    /// The same convolution on channels-last activations: `x` [N, H, W, C] to [N, Ho, Wo, O]
    /// (the residual too is channels-last). The default transposes around `conv2d`.
    func conv2dChannelsLast(_ x: Tensor, weight: Tensor, bias: Tensor?, options: Conv2dOptions, epilogue: ConvEpilogue) -> Tensor
    /// Whether channels-last activations save this backend work (its kernels read and
    /// write that layout directly), so models with long conv chains should use it.
    var prefersChannelsLast: Bool { get }
    /// Multiplications per output and input channel pair a 3x3, stride-1, padding-1
    /// convolution of `channels` to `outputs` channels over an `height` x `width` output
    /// takes here: 9 direct, 4 for Winograd F(2x2, 3x3), 2.25 for F(4x4, 3x3). Models fold
    /// a 2x upsampling into the conv after it (`UpsampledConv2d`, 4 per output) unless
    /// the plain conv takes fewer.
    func conv3x3Multiplications(channels: Int, outputs: Int, height: Int, width: Int) -> Double
    /// `conv(upsampleNearest2x(x))` from the four phase kernels a 3x3 conv folds into
    /// (`UpsampledConv2d`): `phases` [4O, C, 2, 2], phase 2a + b (output pixel (2i + a,
    /// 2j + b)) in rows (2a + b)O ..< (2a + b + 1)O, and `bias` [4O]; `options` give the
    /// padding of one pixel and its modes. `x` [N, C, H, W] (or [N, H, W, C] with
    /// `channelsLast`) to [N, O, 2H, 2W] (or [N, 2H, 2W, O]). The default runs the phases
    /// as one 2x2 conv with 4O outputs (`phasesAsOneConv`); a backend may run each phase
    /// on only the H x W pixels it keeps.
    func upsampledConv2x(_ x: Tensor, phases: Tensor, bias: Tensor?, options: Conv2dOptions, channelsLast: Bool) -> Tensor
    /// `x` [..., in] times `weight` [out, in] transposed, plus optional `bias` [out].
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
    /// Several linear layers over the same input `x` (Q, K and V), one result per layer; the
    /// default runs them one by one, a backend may share work on the input between them.
    func linears(_ x: Tensor, _ layers: [(weight: Tensor, bias: Tensor?)]) -> [Tensor]
    /// GEGLU's projection, `(x Vᵀ + bv) * GELU(x Gᵀ + bg)` with the exact (erf) GELU, for
    /// `value` and `gate` weights [out, in]. The default runs both linear layers, then
    /// `VectorMath.geglu`; a backend may fuse the GELU and the product into its matmuls.
    func gatedLinear(_ x: Tensor, value: Tensor, valueBias: Tensor?, gate: Tensor, gateBias: Tensor?) -> Tensor
    /// Batched matrix product `a` [B?, M, K] x `b` [B?, K, N] (or `b` [B?, N, K] when `transposeB`).
    func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool) -> Tensor
    /// Multi-head scaled dot-product attention on [B, L, heads * headDim] tensors.
    func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Bool) -> Tensor
}

extension ComputeBackend {
    public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, options: Conv2dOptions, epilogue: ConvEpilogue) -> Tensor {
        let out = conv2d(x, weight: weight, bias: bias, options: options)
        epilogue.apply(to: out)
        return out
    }

    public func conv2dChannelsLast(_ x: Tensor, weight: Tensor, bias: Tensor?, options: Conv2dOptions,
                                   epilogue: ConvEpilogue) -> Tensor {
        let first = ConvEpilogue(residual: epilogue.residual.map(Ops.toChannelsFirst), relu: epilogue.relu)
        return Ops.toChannelsLast(conv2d(Ops.toChannelsFirst(x), weight: weight, bias: bias, options: options, epilogue: first))
    }

    public var prefersChannelsLast: Bool { false }

    public func linears(_ x: Tensor, _ layers: [(weight: Tensor, bias: Tensor?)]) -> [Tensor] {
        layers.map { linear(x, weight: $0.weight, bias: $0.bias) }
    }

    public func gatedLinear(_ x: Tensor, value: Tensor, valueBias: Tensor?, gate: Tensor, gateBias: Tensor?) -> Tensor {
        let v = linear(x, weight: value, bias: valueBias), g = linear(x, weight: gate, bias: gateBias)
        // erf dominates: spread the work over the cores.
        Parallel.forEach(v.count / 64 + 1, costPerItem: 64 * 16) { range in
            let lo = range.lowerBound * 64, hi = min(v.count, range.upperBound * 64)
            guard lo < hi else { return }
            VectorMath.geglu(value: v.data + lo, gate: g.data + lo, into: v.data + lo, count: hi - lo)
        }
        return v
    }

    public func conv3x3Multiplications(channels: Int, outputs: Int, height: Int, width: Int) -> Double { 9 }

    public func upsampledConv2x(_ x: Tensor, phases: Tensor, bias: Tensor?, options: Conv2dOptions, channelsLast: Bool) -> Tensor {
        phasesAsOneConv(x, phases: phases, bias: bias, options: options, channelsLast: channelsLast)
    }

    /// `upsampledConv2x` as one 2x2 conv with 4O outputs over the input padded by one
    /// pixel, then `Ops.interleavePhases2x`: each phase computes (H + 1)(W + 1) pixels and
    /// keeps H x W of them.
    public func phasesAsOneConv(_ x: Tensor, phases: Tensor, bias: Tensor?, options: Conv2dOptions, channelsLast: Bool) -> Tensor {
        let all = channelsLast ? conv2dChannelsLast(x, weight: phases, bias: bias, options: options, epilogue: .none)
            : conv2d(x, weight: phases, bias: bias, options: options)
        return Ops.interleavePhases2x(all, channelsLast: channelsLast)
    }
}

/// Process-wide choice of compute backend.
public enum Compute {
    /// Limits the parallel kernels to `count` threads (call at start-up). OpenBLAS itself
    /// always runs single-threaded; the backends split GEMMs across threads themselves.
    public static func setThreads(_ count: Int) {
        Parallel.workerOverride = max(1, count)
    }

    /// The backends a command line can name: `openblas` (the fp32 reference) and `onednn`.
    public static let backendNames = ["openblas", "onednn"]

    /// A backend by its command-line name, or nil for an unknown name. The named oneDNN
    /// backend keeps only its reordered copy of large conv weights (`DNNLWeightCache`).
    public static func backend(named name: String) -> (any ComputeBackend)? {
        try? backend(named: name, precision: .fp32)
    }

    /// A backend by its command-line name and precision name (`--backend`, `--precision`);
    /// throws `ComputeChoiceError` with a message a command line can show.
    public static func backend(named name: String, precisionNamed precision: String) throws -> any ComputeBackend {
        guard let mode = ComputePrecision(rawValue: precision) else {
            throw ComputeChoiceError("--precision must be one of \(ComputePrecision.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try backend(named: name, precision: mode)
    }

    /// A backend by its command-line name and precision; throws a message a command line
    /// can show for an unknown name, or a precision the backend or this CPU cannot run.
    public static func backend(named name: String, precision: ComputePrecision) throws -> any ComputeBackend {
        switch name {
        case "openblas":
            guard precision == .fp32 else {
                throw ComputeChoiceError("the openblas backend is fp32 only; --precision \(precision.rawValue) needs --backend onednn")
            }
            return OpenBLASBackend()
        case "onednn":
            guard precision.isSupported(isa: DNNLBackend.isa) else {
                throw ComputeChoiceError("--precision \(precision.rawValue) needs "
                    + (precision == .bf16 ? "AVX512_BF16 or AMX" : "AVX-512") + "; oneDNN reports \(DNNLBackend.isa) on this CPU")
            }
            return DNNLBackend(precision: precision, releasingPlainWeights: true)
        default:
            throw ComputeChoiceError("--backend must be one of \(backendNames.joined(separator: ", "))")
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var current: any ComputeBackend = OpenBLASBackend()

    /// The backend `Ops` dispatches to. Set once at start-up, before models run.
    public static var backend: any ComputeBackend {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set { lock.lock(); current = newValue; lock.unlock() }
    }
}
