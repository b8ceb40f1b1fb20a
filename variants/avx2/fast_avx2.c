/*
 * fast_avx2.c: the variants avx2, avx2_omp_batch, avx2_omp_hidden, avx2_omp_grid:
 * all five cells, forward and BPTT, with AVX2 + FMA (8 floats per vector).
 *
 * Algorithm (variants/fast/fast.inc and the files it includes): the input
 * projection x W_ihᵀ hoisted out of the recurrence, one GEMM over the rows
 * of a chunk of steps (~256 rows, variants/fast/plan.inc); per step one
 * GEMM h_{t-1} W_hhᵀ (M = N, K = H) against weights
 * packed once in set_params, then the fused, vectorized gate work
 * (kernels/simd/vmath.h sigmoid/tanh, masked tails). Backward walks t down
 * with one GEMM per step for dh_{t-1} = da · W_hh, then computes dx and the
 * weight gradients for all T*N rows at once (in chunks of up to 4096 rows).
 * Parallel: avx2 one thread; avx2_omp_batch threads split the batch
 * rows (no barrier in the time loops); avx2_omp_hidden threads split the
 * hidden units, each with its own packed slice of the weights (one barrier
 * per step, two for the classic gru); avx2_omp_grid threads form a grid of
 * batch groups x hidden slices (variants/fast/grid.inc: barriers within a
 * group only, grid from a cost model or --grid). Weight gradients: split by output
 * rows, no reduction.
 * Layout: canonical tensors; private [chunk][N][G*H] gate buffers in
 * gate-block order; the workspace is gates [T][N][G*H] + extra [T][N][H]
 * (plan.inc).
 * Blocking: the GEMM engine's (rb_gemm_for_isa("avx2")).
 * Results: bitwise identical run to run; omp_hidden also across thread
 * counts; omp_batch within tolerance across thread counts (fast.inc).
 */
#include "../../kernels/simd/vec_avx2.h"
#include "../../kernels/simd/vmath.h"
#include "../../kernels/gemm/gemm.h"

#define FAST_ENGINE() rb_gemm_for_isa(RB_VF_ISA)
#include "../fast/fast.inc"

FAST_DEFINE_OPS(avx2, FAST_SERIAL)
FAST_DEFINE_OPS(avx2_omp_batch, FAST_BATCH)
FAST_DEFINE_OPS(avx2_omp_hidden, FAST_HIDDEN)
FAST_DEFINE_OPS(avx2_omp_grid, FAST_GRID)
