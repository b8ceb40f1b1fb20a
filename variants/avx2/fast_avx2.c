/*
 * fast_avx2.c: the variants avx2, avx2_omp_batch, avx2_omp_hidden and avx2_omp_grid:
 * variants/fast/fast.inc (algorithm, parallel strategies, layout,
 * blocking) compiled with AVX2 + FMA, 8 floats per vector, masked tails (vmaskmovps).
 */
#include "../../kernels/simd/vec_avx2.h"
#include "../fast/fast.inc"

FAST_DEFINE_VARIANTS(avx2)
