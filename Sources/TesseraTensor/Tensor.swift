// placeholder replaced below
public enum TesseraTensorVersion { public static let value = "0.1.0" }
