/// The protocol version this build speaks.
public enum ProtocolVersion {
    /// Major version: bumped on incompatible changes.
    public static let major = 1
}
