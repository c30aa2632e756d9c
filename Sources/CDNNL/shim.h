#pragma once
// oneDNN (Debian's libdnnl-dev, v2 C API). Its CPU runtime is OpenMP: the thread count
// is set through libgomp, which omp.h would declare (it is not on clang's include path).
#include <oneapi/dnnl/dnnl.h>
void omp_set_num_threads(int count);
int omp_get_max_threads(void);

// DNNL_MEMORY_ALLOCATE and DNNL_MEMORY_NONE are pointer-cast macros Swift cannot import.
static inline dnnl_status_t tessera_dnnl_memory_allocated(dnnl_memory_t *memory, const dnnl_memory_desc_t *md,
                                                          dnnl_engine_t engine) {
    return dnnl_memory_create(memory, md, engine, DNNL_MEMORY_ALLOCATE);
}
static inline dnnl_status_t tessera_dnnl_memory_unbound(dnnl_memory_t *memory, const dnnl_memory_desc_t *md,
                                                        dnnl_engine_t engine) {
    return dnnl_memory_create(memory, md, engine, DNNL_MEMORY_NONE);
}
// The implementation a primitive descriptor chose, e.g. "jit:avx2".
static inline const char *tessera_dnnl_implementation(const_dnnl_primitive_desc_t pd) {
    const char *name = "";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
    return name;
}
// DNNL_ARG_ATTR_MULTIPLE_POST_OP is a function-like macro: the argument index of the
// second source of the binary post-op at `index` (e.g. GEGLU's gate).
static inline int tessera_dnnl_post_op_src1(int index) {
    return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
}
