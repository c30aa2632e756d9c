#include "Swish.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

int tessera_has_avx512f(void) { return __builtin_cpu_supports("avx512f"); }

// `VectorMath.exp`, operation for operation (separate multiplies and adds, no FMA, so
// that the results match the Swift loops bit for bit).
AVX512 static inline __m512 exp16(__m512 x) {
    const __m512 hi = _mm512_set1_ps(88.37626f), lo = _mm512_set1_ps(-87.33655f);
    // Masked moves, not min/max: a NaN stays NaN, as in the Swift version.
    __m512 xc = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), hi);
    xc = _mm512_mask_mov_ps(xc, _mm512_cmp_ps_mask(xc, lo, _CMP_LT_OQ), lo);
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 t = _mm512_add_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504f)), magic);
    const __m512 n = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_sub_ps(xc, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f)));
    r = _mm512_add_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(2.1219444e-4f)));
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.16657959e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.00000012e-1f));
    const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), _mm512_set1_ps(1.0f));
    const __m512i ni = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000));
    const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(ni, _mm512_set1_epi32(127)), 23));
    // Below the float range exp underflows to 0.
    return _mm512_mask_mov_ps(_mm512_mul_ps(y, scale), _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
}

AVX512 static inline __m512 swish16(__m512 x, __m512 minusK) {
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), exp16(_mm512_mul_ps(minusK, x))));
}

AVX512
void tessera_swish(float *p, int64_t n, float k) {
    const __m512 minusK = _mm512_set1_ps(-k);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(p + i, swish16(_mm512_loadu_ps(p + i), minusK));
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(p + i, m, swish16(_mm512_maskz_loadu_ps(m, p + i), minusK));
    }
}

AVX512
void tessera_affine_swish(const float *src, const float *scale, const float *shift, int64_t n, float k, float *dst) {
    const __m512 minusK = _mm512_set1_ps(-k);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(src + i), _mm512_loadu_ps(scale + i)), _mm512_loadu_ps(shift + i));
        _mm512_storeu_ps(dst + i, swish16(x, minusK));
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 x = _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, src + i), _mm512_maskz_loadu_ps(m, scale + i)),
                                       _mm512_maskz_loadu_ps(m, shift + i));
        _mm512_mask_storeu_ps(dst + i, m, swish16(x, minusK));
    }
}

#else
// Other architectures have no AVX-512: callers check `tessera_has_avx512f` first.
int tessera_has_avx512f(void) { return 0; }
void tessera_swish(float *p, int64_t n, float k) { __builtin_trap(); }
void tessera_affine_swish(const float *src, const float *scale, const float *shift, int64_t n, float k, float *dst) {
    __builtin_trap();
}
#endif
