/// A model the server can run, as listed in the `hello` reply.
public struct ModelInfo: Sendable, Equatable {
    /// The name to put in `generate`'s `model`.
    public var name: String
    /// The width the model was trained at, in pixels.
    public var nativeWidth: Int
    /// The height the model was trained at, in pixels.
    public var nativeHeight: Int
    /// Steps used when a request gives none.
    public var defaultSteps: Int?
    /// Guidance used when a request gives none.
    public var defaultGuidance: Double?

    /// Creates a model description.
    public init(name: String, nativeWidth: Int, nativeHeight: Int, defaultSteps: Int? = nil, defaultGuidance: Double? = nil) {
        self.name = name
        self.nativeWidth = nativeWidth
        self.nativeHeight = nativeHeight
        self.defaultSteps = defaultSteps
        self.defaultGuidance = defaultGuidance
    }

    var json: WireJSON {
        var members: [String: WireJSON] = [
            "name": .string(name),
            "native_width": .integer(Int64(nativeWidth)),
            "native_height": .integer(Int64(nativeHeight)),
        ]
        if let defaultSteps { members["default_steps"] = .integer(Int64(defaultSteps)) }
        if let defaultGuidance { members["default_guidance"] = .double(defaultGuidance) }
        return .object(members)
    }

    init(reading fields: FieldReader) throws(WireError) {
        name = try fields.required(fields.string("name"), "name")
        nativeWidth = try fields.required(fields.int("native_width"), "native_width")
        nativeHeight = try fields.required(fields.int("native_height"), "native_height")
        defaultSteps = try fields.int("default_steps")
        defaultGuidance = try fields.double("default_guidance")
    }
}
