#ifndef TESSERA_WINOGRAD_TRANSFORMS_H
#define TESSERA_WINOGRAD_TRANSFORMS_H

#include <stdint.h>

/// AVX-512 transforms of Winograd F(2x2, 3x3) for `WinogradConvolution`, one tile per
/// call. They need AVX512F and AVX512_BF16: call them only where oneDNN reports an
/// `avx512_core_bf16` or AMX CPU (bf16 mode's own requirement). Channel counts are
/// multiples of 16.

/// V = Bᵀ d B of one 4x4 tile: `src[k]` points at the `channels` floats of input pixel
/// k (row-major in the tile; a buffer of zeros outside an unwrapped edge). Writes the 16
/// positions as bf16 (round to nearest even, NaN kept) to `to + k * plane`.
void tessera_winograd_input_tile_bf16(const float *const src[16], int64_t channels, int64_t plane, uint16_t *to);

/// Y = Aᵀ M A of one tile from its 16 fp32 products (`m + k * plane`), plus `bias` (may
/// be NULL), `residual[q]` (NULL: none) and ReLU, stored to `dst[q]` for the tile's four
/// output pixels q = 2 * row + column (NULL: outside the output).
void tessera_winograd_output_tile(const float *m, int64_t plane, int64_t outputs, const float *bias,
                                  float *const dst[4], const float *const residual[4], int relu);

#endif
