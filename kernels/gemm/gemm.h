/*
 * gemm.h: the one matrix-product engine every vectorized variant uses.
 *
 *   C[m][j] = (accumulate ? C[m][j] : 0) + Σ_k op(A)[m][k] · op(B)[k][j]
 *       for m < M, j0 <= j < j1, k < K
 *
 * op(B) (K x Ncols) is packed once into the engine's own layout (for the
 * recurrent weights: once per weight update, in set_params) and the packed
 * copy is what the product streams. op(A) is read in place (row-major with
 * leading dimension lda; a_trans = 1 means A is stored [K][M]).
 * Column range [j0, j1): callers that split the columns between threads
 * pass their slice; j0 must be a multiple of `nr` (or 0), j1 is either a
 * multiple of nr or Ncols.
 *
 * One rb_gemm per ISA (kernels/<isa>/gemm_<isa>.c, written once over the
 * kernels/simd/vec_*.h vocabulary) plus the scalar one; rb_gemm_for_isa()
 * picks. The layout of the packed buffer is private to each ISA's engine.
 */
#ifndef RB_GEMM_H
#define RB_GEMM_H

#include <stddef.h>

typedef struct rb_gemm {
    const char *name; /* "avx512_12x32": ISA and register tile MR x NR */
    int mr, nr;
    /* Floats needed to pack a K x Ncols op(B). */
    size_t (*packed_floats)(int K, int Ncols);
    /* b_trans = 0: B is [K][Ncols], element (k, j) at B[k*ldb + j];
     * b_trans = 1: B is [Ncols][K], element (k, j) at B[j*ldb + k]. */
    void (*pack_b)(int K, int Ncols, const float *B, int ldb, int b_trans, float *Bp);
    void (*run)(int M, int j0, int j1, int K, const float *A, int lda, int a_trans,
                const float *Bp, int Ncols, float *C, int ldc, int accumulate);
} rb_gemm;

/* The scalar engine (kernels/gemm/gemm_scalar.c): the portable fallback and
 * the engine the tests compare every other one with. */
extern const rb_gemm rb_gemm_scalar;
#if defined(__x86_64__)
extern const rb_gemm rb_gemm_avx2;
extern const rb_gemm rb_gemm_avx512;
#endif
#if defined(__aarch64__)
extern const rb_gemm rb_gemm_neon;
#endif

/* The engine for "scalar", "avx2", "avx512" or "neon"; NULL for an ISA this
 * build does not contain (or an unknown name). It does not ask the CPU:
 * check rb_cpu_has() (kernels/platform/cpu.h) before calling the engine. */
const rb_gemm *rb_gemm_for_isa(const char *isa);

#endif
