import CDNNL

/// The process's oneDNN CPU engine.
final class DNNLEngine: @unchecked Sendable {
    static let shared = DNNLEngine()

    let engine: dnnl_engine_t
    /// The instruction set oneDNN dispatches to on this CPU (for logs and benchmarks).
    let isa: String

    private init() {
        var e: dnnl_engine_t?
        DNNLEngine.check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine")
        engine = e!
        isa = Self.describe(dnnl_get_effective_cpu_isa())
    }

    /// oneDNN failures here are programming errors (a shape the caller did not validate)
    /// or exhausted memory; neither leaves a usable result.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        precondition(status == dnnl_success, "oneDNN: \(what()) failed with status \(status.rawValue)")
    }

    static func describe(_ isa: dnnl_cpu_isa_t) -> String {
        switch isa {
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        case dnnl_cpu_isa_sse41: return "sse41"
        case dnnl_cpu_isa_avx: return "avx"
        default: return "isa \(isa.rawValue)"
        }
    }

    /// A new in-order stream; each primitive owner keeps its own, as streams are not
    /// meant to be shared between threads.
    func makeStream() -> dnnl_stream_t {
        var s: dnnl_stream_t?
        DNNLEngine.check(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream")
        return s!
    }

    /// Holds oneDNN's OpenMP team on the calling thread to that thread alone (OpenMP's
    /// thread count is a per-thread setting, so every thread that calls oneDNN sets it).
    static func singleThreaded() { omp_set_num_threads(1) }
}
