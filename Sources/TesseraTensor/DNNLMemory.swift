import CDNNL

/// Helpers over oneDNN memory descriptors, memory objects and reorders.
enum DNNLMemory {
    /// Dimensions `dims` of `type` in layout `tag` (`dnnl_format_tag_any` lets a primitive choose).
    static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t, _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        DNNLEngine.check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), type, tag),
                         "memory descriptor \(dims)")
        return md
    }

    /// Dimensions `dims` of `type` (fp32 unless given) with explicit element `strides`: a
    /// view into a larger plain tensor.
    static func descriptor(_ dims: [Int], strides: [Int], _ type: dnnl_data_type_t = dnnl_f32) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        DNNLEngine.check(dnnl_memory_desc_init_by_strides(&md, Int32(dims.count), dims.map(Int64.init), type,
                                                          strides.map(Int64.init)), "memory descriptor \(dims) strides \(strides)")
        return md
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var a = a, b = b
        return dnnl_memory_desc_equal(&a, &b) != 0
    }

    /// A memory object whose data handle is set before each use.
    static func unbound(_ md: inout dnnl_memory_desc_t) -> dnnl_memory_t {
        var m: dnnl_memory_t?
        DNNLEngine.check(tessera_dnnl_memory_unbound(&m, &md, DNNLEngine.shared.engine), "memory")
        return m!
    }

    /// A memory object owning a buffer oneDNN allocated.
    static func allocated(_ md: inout dnnl_memory_desc_t) -> dnnl_memory_t {
        var m: dnnl_memory_t?
        DNNLEngine.check(tessera_dnnl_memory_allocated(&m, &md, DNNLEngine.shared.engine), "memory")
        return m!
    }

    static func reorder(from: inout dnnl_memory_desc_t, to: inout dnnl_memory_desc_t) -> dnnl_primitive_t {
        let e = DNNLEngine.shared.engine
        var pd: dnnl_primitive_desc_t?
        DNNLEngine.check(dnnl_reorder_primitive_desc_create(&pd, &from, e, &to, e, nil), "reorder descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t?
        DNNLEngine.check(dnnl_primitive_create(&p, pd), "reorder primitive")
        return p!
    }

    static func execute(_ p: dnnl_primitive_t, _ args: [(Int32, dnnl_memory_t)], _ stream: dnnl_stream_t) {
        let list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
        DNNLEngine.check(dnnl_primitive_execute(p, stream, Int32(list.count), list), "execute")
    }

    /// Primitive attributes with a user-managed scratchpad. The library-managed one is
    /// shared by every primitive in the process, and two bands running at once on
    /// Tessera's workers (Winograd's transforms, bf16 matmuls) would corrupt each other's.
    static func userScratchpad() -> dnnl_primitive_attr_t {
        var attr: dnnl_primitive_attr_t?
        DNNLEngine.check(dnnl_primitive_attr_create(&attr), "primitive attributes")
        DNNLEngine.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        return attr!
    }

    /// `userScratchpad()` attributes with `postOps` appended in order (none: no post-ops).
    static func attributes(postOps: [(dnnl_post_ops_t) -> dnnl_status_t]) -> dnnl_primitive_attr_t {
        let attr = userScratchpad()
        guard !postOps.isEmpty else { return attr }
        var ops: dnnl_post_ops_t?
        DNNLEngine.check(dnnl_post_ops_create(&ops), "post-ops")
        defer { dnnl_post_ops_destroy(ops) }
        for append in postOps { DNNLEngine.check(append(ops!), "post-op") }
        DNNLEngine.check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops attribute")
        return attr
    }

    /// What `primitive(_:_:inspect:)` builds: the primitive, oneDNN's name for its
    /// implementation, its own scratchpad, and what `inspect` read from its descriptor.
    struct Built<Extra> {
        let primitive: dnnl_primitive_t
        let implementation: String
        let scratchpad: dnnl_memory_t
        let extra: Extra
    }

    /// Builds the primitive for an initialised operation descriptor (matmul, softmax, ...)
    /// on the shared engine, with its own scratchpad (`userScratchpad`) and `postOps`
    /// appended in order (e.g. `dnnl_post_ops_append_eltwise`); `inspect` reads
    /// from the primitive descriptor (chosen layouts) before it is destroyed.
    static func primitive<Descriptor, Extra>(_ desc: inout Descriptor, _ what: @autoclosure () -> String,
                                             postOps: [(dnnl_post_ops_t) -> dnnl_status_t] = [],
                                             inspect: (dnnl_primitive_desc_t) -> Extra) -> Built<Extra> {
        let attr = attributes(postOps: postOps)
        defer { dnnl_primitive_attr_destroy(attr) }
        var pd: dnnl_primitive_desc_t?
        DNNLEngine.check(dnnl_primitive_desc_create(&pd, &desc, attr, DNNLEngine.shared.engine, nil), "\(what()) primitive descriptor")
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t?
        DNNLEngine.check(dnnl_primitive_create(&p, pd), "\(what()) primitive")
        return Built(primitive: p!, implementation: String(cString: tessera_dnnl_implementation(pd)),
                     scratchpad: scratchpad(of: pd!), extra: inspect(pd!))
    }

    /// The scratchpad memory a primitive descriptor made with `userScratchpad()` asks for.
    static func scratchpad(of pd: dnnl_primitive_desc_t) -> dnnl_memory_t {
        var md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)!.pointee
        return allocated(&md)
    }
}
