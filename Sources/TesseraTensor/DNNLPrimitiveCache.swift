import Foundation

/// The process's compiled oneDNN primitives, one per band geometry, built on first use. At
/// most `capacity` are kept (a daemon serving many image sizes would otherwise collect
/// JIT kernels without end); the least recently used goes first.
final class DNNLPrimitiveCache<Geometry: Hashable, Primitive: AnyObject>: @unchecked Sendable {
    let capacity: Int
    private let make: (Geometry) -> Primitive
    private let name: (Primitive) -> String
    private let lock = NSLock()
    private var byGeometry: [Geometry: (primitive: Primitive, lastUse: Int)] = [:]
    private var clock = 0

    /// A cache building primitives with `make`; `name` is oneDNN's implementation name.
    init(capacity: Int, make: @escaping (Geometry) -> Primitive, name: @escaping (Primitive) -> String) {
        self.capacity = max(1, capacity)
        self.make = make
        self.name = name
    }

    func primitive(for g: Geometry) -> Primitive {
        lock.lock()
        defer { lock.unlock() }
        clock += 1
        if let hit = byGeometry[g] {
            byGeometry[g] = (hit.primitive, clock)
            return hit.primitive
        }
        if byGeometry.count >= capacity, let oldest = byGeometry.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            byGeometry[oldest] = nil  // a caller still running it keeps it alive until done
        }
        let p = make(g)
        byGeometry[g] = (p, clock)
        return p
    }

    /// Primitives currently kept.
    var count: Int { lock.lock(); defer { lock.unlock() }; return byGeometry.count }

    /// Kept primitives per oneDNN implementation name ("jit_wino_4x3:avx512_core", ...).
    var implementations: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return byGeometry.values.reduce(into: [:]) { $0[name($1.primitive), default: 0] += 1 }
    }
}

/// The process-wide primitive caches of the oneDNN backend.
enum DNNLPrimitives {
    static let convolutions = DNNLPrimitiveCache<DNNLConvolution.Geometry, DNNLConvolution>(
        capacity: 512, make: { DNNLConvolution($0) }, name: { $0.implementation })
    static let matmuls = DNNLPrimitiveCache<DNNLMatmul.Geometry, DNNLMatmul>(
        capacity: 512, make: { DNNLMatmul($0) }, name: { $0.implementation })
    static let stridedMatmuls = DNNLPrimitiveCache<DNNLStridedMatmul.Geometry, DNNLStridedMatmul>(
        capacity: 256, make: { DNNLStridedMatmul($0) }, name: { $0.implementation })
    static let batchedMatmuls = DNNLPrimitiveCache<DNNLBatchedMatmul.Geometry, DNNLBatchedMatmul>(
        capacity: 256, make: { DNNLBatchedMatmul($0) }, name: { $0.implementation })
    static let softmaxes = DNNLPrimitiveCache<DNNLSoftmax.Geometry, DNNLSoftmax>(
        capacity: 128, make: { DNNLSoftmax($0) }, name: { $0.implementation })
}
