/// Decodes replies and stream messages on the client side.
enum ReplyDecoder {
    static func decode(_ frames: [[UInt8]], maxHeaderBytes: Int) throws(WireError) -> Reply {
        let fields = try header(frames, maxHeaderBytes: maxHeaderBytes)
        let id = try fields.string("id")
        let status = try fields.required(fields.string("status"), "status")
        let type = try fields.string("type")
        let payload = Array(frames.dropFirst(2))

        if status == "error" {
            let code = try fields.required(fields.string("code", nonEmpty: true), "code")
            let message = try fields.string("message") ?? ""
            return .error(ErrorReply(id: id, code: ErrorCode(rawValue: code), message: message,
                                     field: try fields.string("field"), type: type))
        }
        guard status == "ok" else {
            throw fields.error(.badField, "status", "must be \"ok\" or \"error\"")
        }
        guard let typeName = type else { throw fields.error(.missingField, "type", "required") }
        guard let messageType = MessageType(rawValue: typeName) else {
            throw fields.error(.unknownType, "type", "unknown reply type \"\(typeName.prefix(64))\"")
        }
        if messageType != .generate && !payload.isEmpty {
            throw WireError(code: .badFrame, message: "\"\(typeName)\" reply takes no payload frames", id: id)
        }
        switch messageType {
        case .hello:
            return .hello(try HelloReply(id: id, reading: fields))
        case .ping:
            return .ping(id: id)
        case .stats:
            return .stats(try StatsReply(id: id, reading: fields))
        case .cancel:
            let target = try fields.required(fields.string("target"), "target")
            return .cancel(CancelReply(id: try fields.required(id, "id"), target: target))
        case .generate:
            let delivered = try DeliveryReport(reading: fields.required(fields.object("delivered"), "delivered"))
            let timings = try fields.object("timings").map { r throws(WireError) in try StageTimings(reading: r) } ?? StageTimings()
            let image = try ImageDescription(reading: fields.required(fields.object("image"), "image"))
            try checkPayload(payload, image, id: id)
            return .generate(GenerateReply(id: try fields.required(id, "id"), delivered: delivered,
                                           timings: timings, image: image, payload: payload))
        case .streamOpen, .streamUpdate, .streamClose, .preview:
            throw fields.error(.notImplemented, "type", "\"\(typeName)\" replies are not defined in this version")
        }
    }

    static func decodePreview(_ frames: [[UInt8]], maxHeaderBytes: Int) throws(WireError) -> PreviewMessage {
        let fields = try header(frames, maxHeaderBytes: maxHeaderBytes)
        let type = try fields.required(fields.string("type"), "type")
        guard type == MessageType.preview.rawValue else {
            throw fields.error(.unknownType, "type", "expected \"preview\" (got \"\(type.prefix(64))\")")
        }
        let id = try fields.required(fields.string("id"), "id")
        let image = try ImageDescription(reading: fields.required(fields.object("image"), "image"))
        let payload = Array(frames.dropFirst(2))
        try checkPayload(payload, image, id: id)
        return PreviewMessage(id: id, step: try fields.required(fields.int("step"), "step"),
                              steps: try fields.required(fields.int("steps"), "steps"),
                              final: try fields.bool("final") ?? false, image: image, payload: payload)
    }

    private static func header(_ frames: [[UInt8]], maxHeaderBytes: Int) throws(WireError) -> FieldReader {
        guard let signature = frames.first else { throw WireError(code: .badFrame, message: "message has no frames") }
        try FrameReader.checkSignature(signature)
        guard frames.count >= 2 else { throw WireError(code: .badFrame, message: "message has no header frame") }
        return FieldReader(try FrameReader.parseHeader(frames[1], maxBytes: maxHeaderBytes, maxDepth: 64))
    }

    /// Checks that payload frames match the image description one for one.
    private static func checkPayload(_ payload: [[UInt8]], _ image: ImageDescription, id: String?) throws(WireError) {
        guard payload.count == image.mips.count else {
            throw WireError(code: .badFrame, message: "image lists \(image.mips.count) levels but \(payload.count) payload frames came", id: id)
        }
        if image.format == .png && image.mips.count != 1 {
            throw WireError(code: .badFrame, message: "a PNG image travels in exactly one frame", id: id)
        }
        for (level, frame) in zip(image.mips, payload) {
            let expected = image.format == .rgba8 ? level.width * level.height * 4 : level.bytes
            guard level.width > 0, level.height > 0, level.bytes == expected, frame.count == expected else {
                throw WireError(code: .badFrame, message: "mip level \(level.level): frame has \(frame.count) bytes, expected \(expected)", id: id)
            }
        }
    }
}
