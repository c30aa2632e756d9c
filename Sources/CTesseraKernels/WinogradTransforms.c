#include "WinogradTransforms.h"

#if defined(__x86_64__)
#include <immintrin.h>

// Compiled for AVX-512 per function, so the rest of the package keeps its baseline ISA.
#define AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

AVX512_BF16
void tessera_winograd_input_tile_bf16(const float *const src[16], int64_t channels, int64_t plane, uint16_t *to) {
    for (int64_t ci = 0; ci < channels; ci += 16) {
        __m512 r[16];
        // Rows first (r = d B): each row (a, b, e, f) becomes (a - e, b + e, e - b, b - f).
        for (int i = 0; i < 4; i++) {
            const __m512 a = _mm512_loadu_ps(src[4 * i] + ci), b = _mm512_loadu_ps(src[4 * i + 1] + ci);
            const __m512 e = _mm512_loadu_ps(src[4 * i + 2] + ci), f = _mm512_loadu_ps(src[4 * i + 3] + ci);
            r[4 * i] = _mm512_sub_ps(a, e);
            r[4 * i + 1] = _mm512_add_ps(b, e);
            r[4 * i + 2] = _mm512_sub_ps(e, b);
            r[4 * i + 3] = _mm512_sub_ps(b, f);
        }
        // Then columns (V = Bᵀ r), the same combination down each column, stored as bf16.
        for (int j = 0; j < 4; j++) {
            const __m512 a = r[j], b = r[4 + j], e = r[8 + j], f = r[12 + j];
            const __m512 v[4] = {_mm512_sub_ps(a, e), _mm512_add_ps(b, e), _mm512_sub_ps(e, b), _mm512_sub_ps(b, f)};
            for (int i = 0; i < 4; i++) {
                _mm256_storeu_si256((__m256i *)(to + (4 * i + j) * plane + ci), (__m256i)_mm512_cvtneps_pbh(v[i]));
            }
        }
    }
}

AVX512_BF16
void tessera_winograd_output_tile(const float *m, int64_t plane, int64_t outputs, const float *bias,
                                  float *const dst[4], const float *const residual[4], int relu) {
    const __m512 zero = _mm512_setzero_ps();
    for (int64_t co = 0; co < outputs; co += 16) {
        __m512 row[4][2];
        // M A per row of M (4x4 -> 4x2), then Aᵀ (M A); Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]].
        for (int i = 0; i < 4; i++) {
            const float *p = m + 4 * i * plane + co;
            const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + plane);
            const __m512 c = _mm512_loadu_ps(p + 2 * plane), d = _mm512_loadu_ps(p + 3 * plane);
            row[i][0] = _mm512_add_ps(_mm512_add_ps(a, b), c);
            row[i][1] = _mm512_sub_ps(_mm512_sub_ps(b, c), d);
        }
        __m512 y[4];
        for (int j = 0; j < 2; j++) {
            y[j] = _mm512_add_ps(_mm512_add_ps(row[0][j], row[1][j]), row[2][j]);
            y[2 + j] = _mm512_sub_ps(_mm512_sub_ps(row[1][j], row[2][j]), row[3][j]);
        }
        for (int q = 0; q < 4; q++) {
            if (!dst[q]) continue;
            __m512 value = bias ? _mm512_add_ps(y[q], _mm512_loadu_ps(bias + co)) : y[q];
            if (residual && residual[q]) value = _mm512_add_ps(value, _mm512_loadu_ps(residual[q] + co));
            // max(0, x) returns its second operand for a NaN, so NaN stays NaN.
            if (relu) value = _mm512_max_ps(zero, value);
            _mm512_storeu_ps(dst[q] + co, value);
        }
    }
}

#else
// Other architectures have no AVX-512: `WinogradConvolution` never calls these there.
void tessera_winograd_input_tile_bf16(const float *const src[16], int64_t channels, int64_t plane, uint16_t *to) {
    __builtin_trap();
}

void tessera_winograd_output_tile(const float *m, int64_t plane, int64_t outputs, const float *bias,
                                  float *const dst[4], const float *const residual[4], int relu) {
    __builtin_trap();
}
#endif
