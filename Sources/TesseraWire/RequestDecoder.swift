/// Validates one request, applying the checks in the order the spec lists them so that
/// a message with several faults always gets the same error code.
struct RequestDecoder {
    let frames: [[UInt8]]
    let limits: WireLimits

    func decode() throws(WireError) -> Request {
        do throws(WireError) {
            return try decodeUnchecked()
        } catch {
            // Attach the recoverable id/type to framing errors raised before the header was read.
            var error = error
            if error.id == nil || error.type == nil {
                let context = FrameReader.recoverContext(frames, limits: limits)
                if error.id == nil { error.id = context.id }
                if error.type == nil { error.type = context.type }
            }
            throw error
        }
    }

    private func decodeUnchecked() throws(WireError) -> Request {
        guard let signature = frames.first else {
            throw WireError(code: .badFrame, message: "message has no frames")
        }
        try FrameReader.checkSignature(signature)
        guard frames.count <= limits.maxFrames else {
            throw WireError(code: .tooLarge, message: "message has \(frames.count) frames; the limit is \(limits.maxFrames)")
        }
        if let index = frames.firstIndex(where: { $0.count > limits.maxFrameBytes }) {
            throw WireError(code: .tooLarge, message: "frame \(index) is \(frames[index].count) bytes; the limit is \(limits.maxFrameBytes)")
        }
        guard frames.count >= 2 else {
            throw WireError(code: .badFrame, message: "message has no header frame")
        }
        let members = try FrameReader.parseHeader(frames[1], maxBytes: limits.maxHeaderBytes, maxDepth: limits.maxJSONDepth)
        var fields = FieldReader(members)

        // The id comes first: every later error can then echo it.
        let id = try fields.string("id", maxBytes: limits.maxIDBytes, nonEmpty: true, limitCode: .badField)
        fields.id = id
        guard let typeName = try fields.string("type") else {
            throw fields.error(.missingField, "type", "required")
        }
        guard let type = MessageType(rawValue: typeName), type != .preview else {
            throw fields.error(.unknownType, "type", "unknown message type \"\(typeName.prefix(64))\"")
        }
        fields.type = type.rawValue
        if type.isReserved {
            throw fields.error(.notImplemented, "type", "\"\(type.rawValue)\" is reserved for a future version")
        }
        // No request of this version carries payload frames.
        guard frames.count == 2 else {
            throw WireError(code: .badFrame, message: "\"\(type.rawValue)\" takes no payload frames (got \(frames.count - 2))",
                            id: id, type: type.rawValue)
        }

        switch type {
        case .hello: return .hello(id: id)
        case .ping: return .ping(id: id)
        case .stats: return .stats(id: id)
        case .generate: return .generate(try GenerateRequest(reading: fields, limits: limits))
        case .cancel:
            let id = try fields.required(id, "id")
            let target = try fields.required(
                fields.string("target", maxBytes: limits.maxIDBytes, nonEmpty: true, limitCode: .badField), "target")
            return .cancel(CancelRequest(id: id, target: target))
        case .streamOpen, .streamUpdate, .streamClose, .preview:
            throw fields.error(.unknownType, "type", "not a request")  // excluded above
        }
    }
}
