/// A machine-readable error code; `rawValue` is the string sent on the wire.
///
/// A struct with constants rather than an enum so that a client decoding a reply
/// from a newer server keeps codes it does not know instead of failing.
/// ``known`` lists the codes of this protocol version.
public struct ErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as sent on the wire, e.g. `bad_field`.
    public let rawValue: String
    /// Wraps a wire string, known or not.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The wire string.
    public var description: String { rawValue }

    // Framing and parsing (detected by the codec).

    /// The message has no frames, lacks a header frame, or has payload frames the type does not take.
    public static let badFrame = ErrorCode(rawValue: "bad_frame")
    /// Frame 0 is not `TESS` plus a version byte.
    public static let badSignature = ErrorCode(rawValue: "bad_signature")
    /// The version byte names a protocol version the server does not speak.
    public static let unsupportedVersion = ErrorCode(rawValue: "unsupported_version")
    /// The header is not UTF-8 JSON text, or not an object.
    public static let badJSON = ErrorCode(rawValue: "bad_json")
    /// A field has the wrong type or an invalid value; the message names the field.
    public static let badField = ErrorCode(rawValue: "bad_field")
    /// A required field is absent.
    public static let missingField = ErrorCode(rawValue: "missing_field")
    /// The header or the message is larger than the limits allow.
    public static let tooLarge = ErrorCode(rawValue: "too_large")
    /// `type` names no known message.
    public static let unknownType = ErrorCode(rawValue: "unknown_type")
    /// The message or option is reserved but not implemented by this server.
    public static let notImplemented = ErrorCode(rawValue: "not_implemented")
    /// `format.type` names no known image format.
    public static let unknownFormat = ErrorCode(rawValue: "unknown_format")
    /// A value is well formed but beyond a limit announced in `hello`.
    public static let limitExceeded = ErrorCode(rawValue: "limit_exceeded")

    // Serving (decided by the server).

    /// `model` names no loaded model.
    public static let unknownModel = ErrorCode(rawValue: "unknown_model")
    /// A `cancel` names no pending request of this client.
    public static let unknownID = ErrorCode(rawValue: "unknown_id")
    /// Another pending request of this client already uses this `id`.
    public static let duplicateID = ErrorCode(rawValue: "duplicate_id")
    /// The deadline cannot be met and the miss policy allows no degraded answer.
    public static let deadlineUnmet = ErrorCode(rawValue: "deadline_unmet")
    /// The request was cancelled by a `cancel`.
    public static let cancelled = ErrorCode(rawValue: "cancelled")
    /// The request was abandoned at its deadline (`on_miss: "drop"`).
    public static let dropped = ErrorCode(rawValue: "dropped")
    /// The server's queue is full; retry later.
    public static let busy = ErrorCode(rawValue: "busy")
    /// The server is stopping and does not take or finish this request.
    public static let shuttingDown = ErrorCode(rawValue: "shutting_down")
    /// The server failed; the message says how.
    public static let `internal` = ErrorCode(rawValue: "internal")

    /// Every code defined by this protocol version.
    public static let known: [ErrorCode] = [
        .badFrame, .badSignature, .unsupportedVersion, .badJSON, .badField, .missingField, .tooLarge,
        .unknownType, .notImplemented, .unknownFormat, .limitExceeded, .unknownModel, .unknownID,
        .duplicateID, .deadlineUnmet, .cancelled, .dropped, .busy, .shuttingDown, .internal,
    ]
}
