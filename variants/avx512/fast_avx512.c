/*
 * fast_avx512.c: the variants avx512, avx512_omp_batch, avx512_omp_hidden and avx512_omp_grid:
 * variants/fast/fast.inc (algorithm, parallel strategies, layout,
 * blocking) compiled with AVX-512 F/DQ/BW/VL, 16 floats per vector, masked tails (__mmask16).
 */
#include "../../kernels/simd/vec_avx512.h"
#include "../fast/fast.inc"

FAST_DEFINE_VARIANTS(avx512)
