/*
 * gemm_neon.c: rb_gemm_neon, the GEMM engine of gemm_kernel.inc over
 * AArch64 Advanced SIMD (4 floats per q register).
 *
 * Tile MR x NR = 8 x 12: 24 q accumulators + 3 B vectors + a broadcast
 * (28 of the 32 registers); per k, 3 loads + 8 broadcasts (ld1r) feed 24
 * FMAs. MR = 8 divides the usual batch sizes (no M tail at N = 64).
 * Blocking: see gemm_kernel.inc. Checked for correctness under
 * qemu-aarch64 (the tests of tests/test_gemm.c); not timed on hardware, so
 * the tile and blocking are the portable choice, not a measured one.
 */
#include "../simd/vec_neon.h"

#define RB_GEMM_MR 8
#define RB_GEMM_NR 12
#define RB_GEMM_NAME rb_gemm_neon

#include "../gemm/gemm_kernel.inc"
