import CZeroMQ

/// The linked libzmq version.
public enum ZMQVersion {
    /// (major, minor, patch) of the libzmq in use.
    public static var current: (Int, Int, Int) {
        var a: Int32 = 0, b: Int32 = 0, c: Int32 = 0
        zmq_version(&a, &b, &c)
        return (Int(a), Int(b), Int(c))
    }
}
