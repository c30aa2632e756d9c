/// Checks the framing shared by every message: the signature frame and the JSON header.
enum FrameReader {
    /// Checks frame 0; throws `bad_signature` or `unsupported_version`.
    static func checkSignature(_ frame: [UInt8]) throws(WireError) {
        guard frame.count == ProtocolVersion.signatureFrame.count,
              frame.starts(with: ProtocolVersion.signature) else {
            throw WireError(code: .badSignature, message: "frame 0 must be \"TESS\" followed by one version byte")
        }
        let version = Int(frame[frame.count - 1])
        guard version == ProtocolVersion.major else {
            throw WireError(code: .unsupportedVersion,
                            message: "protocol version \(version) is not supported; this side speaks \(ProtocolVersion.major)")
        }
    }

    /// Parses a header frame into its members; throws `too_large` or `bad_json`.
    static func parseHeader(_ frame: [UInt8], maxBytes: Int, maxDepth: Int) throws(WireError) -> [String: WireJSON] {
        guard frame.count <= maxBytes else {
            throw WireError(code: .tooLarge, message: "header is \(frame.count) bytes; the limit is \(maxBytes)")
        }
        switch WireJSONParser.parse(frame, maxDepth: maxDepth) {
        case .failure(let failure):
            throw WireError(code: .badJSON, message: "header is not valid JSON: \(failure)")
        case .success(.object(let members)):
            return members
        case .success:
            throw WireError(code: .badJSON, message: "header must be a JSON object")
        }
    }

    /// Best effort: the `id` and `type` of a header, for correlating an error reply.
    /// Yields only a well-formed id (a non-empty string within `maxIDBytes`).
    static func recoverContext(_ frames: [[UInt8]], limits: WireLimits) -> (id: String?, type: String?) {
        guard frames.count >= 2, frames[1].count <= limits.maxHeaderBytes,
              case .success(.object(let members)) = WireJSONParser.parse(frames[1], maxDepth: limits.maxJSONDepth) else {
            return (nil, nil)
        }
        var id: String?
        if case .string(let text)? = members["id"], !text.isEmpty, text.utf8.count <= limits.maxIDBytes { id = text }
        var type: String?
        if case .string(let text)? = members["type"], MessageType(rawValue: text) != nil { type = text }
        return (id, type)
    }
}
