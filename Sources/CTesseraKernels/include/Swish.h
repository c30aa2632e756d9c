#ifndef TESSERA_SWISH_H
#define TESSERA_SWISH_H

#include <stdint.h>

/// AVX-512 forms of `VectorMath.swish` (x * sigmoid(k x), SiLU for k = 1), with the same
/// operations in the same order on 16 lanes instead of 8: the same bits. Call them only
/// where `tessera_has_avx512f()` says so.

/// Whether this CPU runs AVX512F.
int tessera_has_avx512f(void);

/// `p[i] = p[i] / (1 + exp(-k * p[i]))` for `n` floats, in place.
void tessera_swish(float *p, int64_t n, float k);

/// `dst[i] = swish(src[i] * scale[i] + shift[i])` for `n` floats (GroupNorm's affine map
/// and its SiLU in one pass over a pixel's channels).
void tessera_affine_swish(const float *src, const float *scale, const float *shift, int64_t n, float k, float *dst);

#endif
