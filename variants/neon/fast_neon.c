/*
 * fast_neon.c: the variants neon, neon_omp_batch, neon_omp_hidden and neon_omp_grid:
 * variants/fast/fast.inc (algorithm, parallel strategies, layout,
 * blocking) compiled with NEON (aarch64 Advanced SIMD), 4 floats per vector, tails through a small buffer.
 */
#include "../../kernels/simd/vec_neon.h"
#include "../fast/fast.inc"

FAST_DEFINE_VARIANTS(neon)
