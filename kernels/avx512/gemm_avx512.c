/*
 * gemm_avx512.c: rb_gemm_avx512, the GEMM engine of gemm_kernel.inc over
 * AVX-512 (16 floats per zmm).
 *
 * Tile MR x NR = 6 x 64: 24 zmm accumulators + 4 B vectors + a broadcast
 * (29 of the 32 registers); per k, 4 loads + 6 broadcasts feed 24 FMAs,
 * fewer loads per FMA than 12x32 (2 + 12) or 8x48 (3 + 8), which measured
 * 1-4% slower on the LSTM shapes (within 2% on the weight gradient).
 * MR = 6 leaves a 4-row tail at M = 64, run by the mr = 4 kernel.
 * Blocking and measured GFLOP/s: see gemm_kernel.inc (97% of the FMA peak
 * on the recurrent step).
 */
#include "../simd/vec_avx512.h"

#define RB_GEMM_MR 6
#define RB_GEMM_NR 64
#define RB_GEMM_NAME rb_gemm_avx512

#include "../gemm/gemm_kernel.inc"
