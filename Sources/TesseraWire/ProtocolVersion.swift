/// The protocol version this build speaks, and the signature frame that carries it.
///
/// Every Tessera message starts with a 5-byte frame: the ASCII signature `TESS`
/// followed by one byte holding the major version.
public enum ProtocolVersion {
    /// Major version: bumped on incompatible changes. Compatible additions (new optional
    /// fields, new message types) keep it and are discovered through `hello`.
    public static let major = 1

    /// The four signature bytes, ASCII `TESS`.
    public static let signature: [UInt8] = Array("TESS".utf8)

    /// Frame 0 of every message this build sends: `TESS` followed by ``major``.
    public static let signatureFrame: [UInt8] = signature + [UInt8(major)]
}
