/// Encodes and decodes Tessera messages: `[signature+version][JSON header][payload…]`.
///
/// Pure: no I/O, no sockets, no models. The server uses ``decodeRequest(_:limits:)`` and
/// ``encodeReply(_:)``; clients use ``encodeRequest(_:)`` and ``decodeReply(_:maxHeaderBytes:)``.
/// Frames are the Tessera frames only: ROUTER envelopes (routing id, empty delimiter)
/// and stream topics are handled by the caller.
///
/// Decoding never traps, whatever the input; every failure is a ``WireError`` with a
/// protocol error code.
public enum WireCodec {
    // MARK: Server side

    /// Decodes and validates a request. On failure the error carries the request's id
    /// whenever the header was readable enough to yield one, even if the failure lies
    /// elsewhere (e.g. a bad signature), so the error reply can be correlated.
    public static func decodeRequest(_ frames: [[UInt8]], limits: WireLimits = .default) -> Result<Request, WireError> {
        do throws(WireError) {
            return .success(try RequestDecoder(frames: frames, limits: limits).decode())
        } catch {
            return .failure(error)
        }
    }

    /// Encodes a reply: signature frame, header frame, then the payload frames of a result.
    public static func encodeReply(_ reply: Reply) -> [[UInt8]] {
        var members: [String: WireJSON]
        var type: String?
        var payload: [[UInt8]] = []
        switch reply {
        case .hello(let hello):
            members = hello.members
            type = MessageType.hello.rawValue
        case .ping:
            members = [:]
            type = MessageType.ping.rawValue
        case .stats(let stats):
            members = stats.members
            type = MessageType.stats.rawValue
        case .generate(let result):
            members = result.members
            type = MessageType.generate.rawValue
            payload = result.payload
        case .cancel(let cancel):
            members = ["target": .string(cancel.target)]
            type = MessageType.cancel.rawValue
        case .error(let error):
            members = ["code": .string(error.code.rawValue), "message": .string(error.message)]
            if let field = error.field { members["field"] = .string(field) }
            type = error.type
        }
        if case .error = reply {
            members["status"] = .string("error")
        } else {
            members["status"] = .string("ok")
        }
        members["id"] = reply.id.map(WireJSON.string) ?? .null
        if let type { members["type"] = .string(type) }
        return [ProtocolVersion.signatureFrame, WireJSONWriter.encode(.object(members))] + payload
    }

    /// Encodes the error reply for a failed decode.
    public static func encodeError(_ error: WireError) -> [[UInt8]] {
        encodeReply(.error(error.reply))
    }

    /// Encodes a preview for the stream endpoint: `[topic][signature][header][pixels]`.
    public static func encodePreview(_ preview: PreviewMessage, topic: String) -> [[UInt8]] {
        [Array(topic.utf8), ProtocolVersion.signatureFrame, WireJSONWriter.encode(preview.json)] + preview.payload
    }

    // MARK: Client side

    /// Encodes a request in canonical form: defaults written out, absent optionals omitted.
    public static func encodeRequest(_ request: Request) -> [[UInt8]] {
        [ProtocolVersion.signatureFrame, WireJSONWriter.encode(request.json)]
    }

    /// Decodes a reply from the server. Unknown header members are ignored; a result's
    /// payload frames are checked against its `image` description.
    public static func decodeReply(_ frames: [[UInt8]], maxHeaderBytes: Int = 1 << 20) -> Result<Reply, WireError> {
        do throws(WireError) {
            return .success(try ReplyDecoder.decode(frames, maxHeaderBytes: maxHeaderBytes))
        } catch {
            return .failure(error)
        }
    }

    /// Decodes a message received on the stream endpoint (frame 0 is the topic).
    public static func decodePreview(_ frames: [[UInt8]], maxHeaderBytes: Int = 1 << 20) -> Result<(topic: String, preview: PreviewMessage), WireError> {
        do throws(WireError) {
            guard let topic = frames.first else { throw WireError(code: .badFrame, message: "empty message") }
            let preview = try ReplyDecoder.decodePreview(Array(frames.dropFirst()), maxHeaderBytes: maxHeaderBytes)
            return .success((String(decoding: topic, as: UTF8.self), preview))
        } catch {
            return .failure(error)
        }
    }

    // MARK: Shared rules

    /// Seeds up to 2^53 travel as JSON numbers; larger ones as decimal strings, because
    /// many JSON parsers hold numbers as doubles and would round them.
    static func seedJSON(_ seed: UInt64) -> WireJSON {
        seed <= 1 << 53 ? .integer(Int64(seed)) : .string(String(seed))
    }
}
