import Foundation
import TesseraTensor
#if canImport(Glibc)
import Glibc
#endif

/// One `.safetensors` file, memory-mapped, with its header parsed and validated up front.
///
/// Every tensor's dtype, shape and byte range are checked against the file size when the
/// file is opened, so later reads can never go out of bounds. Tensors load as float32
/// from F32, F16, BF16 or F64 storage.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Storage type of one tensor.
    public enum DType: String, Sendable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16, .i16: return 2
            case .i8, .u8, .bool: return 1
            }
        }
    }

    /// Header entry for one tensor.
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        /// Byte range inside the data section (after the header).
        public let begin: Int, end: Int
    }

    /// The file's path.
    public let url: URL
    /// Tensors by name.
    public let entries: [String: Entry]
    /// The `__metadata__` string map, if any.
    public let metadata: [String: String]

    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let dataStart: Int

    /// Largest header accepted; real headers are well under a few MB.
    static let maxHeaderBytes = 100 << 20

    /// Opens and validates `url`. Throws `ModelError` naming the file on any defect.
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw ModelError.fileMissing(path: path) }
            throw ModelError.malformed(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError.malformed(path: path, reason: "cannot stat") }
        let size = Int(st.st_size)
        guard size >= 8 else { throw ModelError.malformed(path: path, reason: "file is \(size) bytes, too short for a header length") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw ModelError.malformed(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        let raw = UnsafeRawPointer(m)
        do {
            let headerLen = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            guard headerLen <= UInt64(min(size - 8, Self.maxHeaderBytes)) else {
                throw ModelError.malformed(path: path, reason: "header length \(headerLen) exceeds file size \(size)")
            }
            let hl = Int(headerLen)
            let headerData = Data(bytes: raw + 8, count: hl)
            let parsed = try Self.parseHeader(headerData, path: path, dataBytes: size - 8 - hl)
            self.entries = parsed.entries
            self.metadata = parsed.metadata
            self.dataStart = 8 + hl
        } catch {
            munmap(m, size)
            throw error
        }
        self.base = raw
        self.mappedLength = size
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), mappedLength) }

    /// Names of all tensors, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Loads tensor `name` as float32. When `shape` is given the stored shape must equal it.
    public func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor {
        guard let e = entries[name] else { throw ModelError.tensorMissing(path: url.path, tensor: name) }
        if let shape, shape != e.shape {
            throw ModelError.shapeMismatch(path: url.path, tensor: name, expected: shape, actual: e.shape)
        }
        let count = e.shape.reduce(1, *)
        let out = Tensor(shape: e.shape, storage: TensorStorage(count: count, pool: nil))
        let src = base + dataStart + e.begin
        let dst = out.data
        switch e.dtype {
        case .f32:
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
        case .f16:
            // Bit-level conversion: the generic Float16 -> Float path is a libgcc call per element.
            Parallel.forEach(count) { range in
                for i in range {
                    dst[i] = Self.halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            }
        case .bf16:
            Parallel.forEach(count) { range in
                for i in range {
                    let bits = UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16
                    dst[i] = Float(bitPattern: bits)
                }
            }
        case .f64:
            for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        default:
            throw ModelError.unsupportedDType(path: url.path, tensor: name, dtype: e.dtype.rawValue)
        }
        // The mapping is private and read-only: a later read faults the bytes back in.
        // Without this a loaded fp16 model keeps its file resident beside its fp32 copy
        // (1.7 GB extra for an SD-size UNet).
        MemoryPages.release(base + dataStart + e.begin, byteCount: e.end - e.begin)
        return out
    }

    /// IEEE half to single precision, exact for every input (subnormals, infinities, NaN payloads).
    @inline(__always)
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exactly representable in Float.
            let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// One header value: a tensor entry or the `__metadata__` map.
    private struct RawEntry: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }

    private static func parseHeader(_ data: Data, path: String, dataBytes: Int) throws
        -> (entries: [String: Entry], metadata: [String: String]) {
        func bad(_ r: String) -> ModelError { .malformed(path: path, reason: r) }
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw bad("header is not a JSON object")
            }
            object = o
        } catch let e as ModelError { throw e } catch { throw bad("header is not valid JSON") }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in object {
            // Only objects may be re-serialised: corelibs traps on other top-level values.
            guard value is [String: Any] else {
                throw bad("entry for '\(name)' is not an object")
            }
            let bytes = try JSONSerialization.data(withJSONObject: value)
            if name == "__metadata__" {
                guard let m = try? JSONDecoder().decode([String: String].self, from: bytes) else {
                    throw bad("__metadata__ is not a string map")
                }
                metadata = m
                continue
            }
            let raw: RawEntry
            do { raw = try JSONDecoder().decode(RawEntry.self, from: bytes) } catch {
                throw bad("tensor '\(name)' has an invalid header entry (dtype, shape or data_offsets)")
            }
            guard let dtype = DType(rawValue: raw.dtype) else {
                throw ModelError.unsupportedDType(path: path, tensor: name, dtype: raw.dtype)
            }
            let shape = raw.shape, off = raw.data_offsets
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("tensor '\(name)' has a negative dimension in \(shape)") }
            guard off.count == 2 else { throw bad("tensor '\(name)' data_offsets must have two entries") }
            let (begin, end) = (off[0], off[1])
            guard begin >= 0, begin <= end, end <= dataBytes else {
                throw bad("tensor '\(name)' data_offsets [\(begin), \(end)] fall outside the \(dataBytes)-byte data section")
            }
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw bad("tensor '\(name)' shape \(shape) overflows") }
                count = p
            }
            let (nbytes, overflow) = count.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, nbytes == end - begin else {
                throw bad("tensor '\(name)' of shape \(shape) \(raw.dtype) needs \(nbytes) bytes, offsets give \(end - begin)")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: begin, end: end)
        }
        return (entries, metadata)
    }
}
