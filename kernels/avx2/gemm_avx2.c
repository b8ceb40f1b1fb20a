/*
 * gemm_avx2.c: rb_gemm_avx2, the GEMM engine of gemm_kernel.inc over
 * AVX2 + FMA (8 floats per ymm).
 *
 * Tile MR x NR = 6 x 16: 12 ymm accumulators + 2 B vectors + a broadcast
 * (15 of the 16 registers); per k, 2 loads + 6 broadcasts feed 12 FMAs.
 * 4x24 (the other tile that fits) measured within 2% on shapes 1-3,
 * better at M = 4, but 6% slower on the weight gradient. Blocking and measured GFLOP/s: see
 * gemm_kernel.inc (96-98% of the AVX2 FMA peak on shapes 1-2).
 */
#include "../simd/vec_avx2.h"

#define RB_GEMM_MR 6
#define RB_GEMM_NR 16
#define RB_GEMM_NAME rb_gemm_avx2

#include "../gemm/gemm_kernel.inc"
