import Foundation

/// Reads and writes NumPy `.npy` files (format 1.0/2.0/3.0, little-endian float32 or
/// float64, C order). Used for `--save-latents` and for kernel test fixtures.
public enum NpyFile {
    /// Why an `.npy` file could not be read.
    public struct Error: Swift.Error, CustomStringConvertible {
        /// Path of the offending file.
        public let path: String
        /// What is wrong with it.
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Loads `url` as a float32 tensor (float64 data is narrowed).
    public static func read(_ url: URL) throws -> Tensor {
        let bytes = try Data(contentsOf: url)
        func fail(_ r: String) -> Error { Error(path: url.path, reason: r) }
        guard bytes.count >= 10, bytes.prefix(6) == Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else {
            throw fail("not an .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLen: Int, headerStart: Int
        if major == 1 {
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLen = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        } else {
            throw fail("unsupported .npy version \(major)")
        }
        guard bytes.count >= headerStart + headerLen,
              let header = String(data: bytes[headerStart..<(headerStart + headerLen)], encoding: .utf8)
        else { throw fail("truncated header") }
        guard !header.contains("'fortran_order': True") else { throw fail("Fortran order is not supported") }
        let isF4 = header.contains("'<f4'"), isF8 = header.contains("'<f8'")
        guard isF4 || isF8 else { throw fail("unsupported dtype in header \(header)") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw fail("no shape in header")
        }
        let dims = try header[open.upperBound..<close].split(separator: ",").compactMap { part -> Int? in
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return nil }
            guard let v = Int(t), v >= 0 else { throw fail("bad shape entry '\(t)'") }
            return v
        }
        let count = dims.reduce(1, *)
        let start = headerStart + headerLen
        let width = isF4 ? 4 : 8
        guard bytes.count - start == count * width else {
            throw fail("payload is \(bytes.count - start) bytes, shape \(dims) needs \(count * width)")
        }
        let t = Tensor(uninitialized: dims)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + start
            for i in 0..<count {
                if isF4 {
                    t.data[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                } else {
                    t.data[i] = Float(Double(bitPattern: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                }
            }
        }
        return t
    }

    /// Writes `tensor` as a float32 `.npy` (version 1.0), atomically.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.rank == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
        // Pad so the payload starts on a 64-byte boundary; the header ends in '\n'.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for i in 0..<tensor.count {
            let bits = tensor.data[i].bitPattern.littleEndian
            withUnsafeBytes(of: bits) { data.append(contentsOf: $0) }
        }
        try data.write(to: url, options: .atomic)
    }
}
