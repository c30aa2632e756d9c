import Foundation
import TesseraTensor

/// Writes tensors as a `.safetensors` file (F32 or F16), atomically.
public enum SafeTensorsWriter {
    /// Storage type for written tensors.
    public enum Precision: Sendable { case f32, f16 }

    /// Serialises `tensors` (sorted by name) with optional `metadata` to bytes.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:],
                              precision: Precision = .f32) throws -> Data {
        let names = tensors.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let width = precision == .f32 ? 4 : 2
        for name in names {
            let t = tensors[name]!
            let bytes = t.count * width
            header[name] = ["dtype": precision == .f32 ? "F32" : "F16", "shape": t.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data section is 8-byte aligned.
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            let t = tensors[name]!
            for i in 0..<t.count {
                if precision == .f32 {
                    withUnsafeBytes(of: t.data[i].bitPattern.littleEndian) { out.append(contentsOf: $0) }
                } else {
                    withUnsafeBytes(of: Float16(t.data[i]).bitPattern.littleEndian) { out.append(contentsOf: $0) }
                }
            }
        }
        return out
    }

    /// Writes `tensors` to `url` via a temporary file and rename.
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:],
                             precision: Precision = .f32) throws {
        try encode(tensors, metadata: metadata, precision: precision).write(to: url, options: .atomic)
    }
}
