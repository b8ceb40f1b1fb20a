/*
 * gemm.h: the one matrix-product engine every vectorized variant uses.
 *
 *   C[m][j] = (RB_GEMM_ACCUMULATE ? C[m][j] : 0) + Σ_k op(A)[m][k] · op(B)[k][j]
 *       for m < M, j0 <= j < j1, k < K
 *
 * op(B) (K x Ncols) is packed once into the engine's own layout (for the
 * recurrent weights: once per weight update, in set_params) and the packed
 * copy is what the product streams. op(A) is read in place (row-major with
 * leading dimension lda; RB_TRANS_A means A is stored [K][M]).
 * Column range [j0, j1): callers that split the columns between threads
 * pass their slice; j0 must be a multiple of `nr` (or 0), j1 is either a
 * multiple of nr or Ncols.
 *
 * Column groups (rb_gemm_op.groups = G > 1): G products that share op(A),
 * run as one sweep. Group g is exactly the plain product with
 *   C  + g * group_ldc                     (its own columns of C)
 *   Bp + g * packed_floats(K, Ncols)       (G packings back to back)
 * and every other field the same (so columns [j0, j1) of each group).
 * The engine packs each block of A once for all the groups instead of once
 * per call, and the sweep runs on from one group's last panel to the next
 * group's first (RB_GEMM_REVERSE reverses the whole sweep, groups too).
 * A recurrent step (h_{t-1} times every gate's weights, G gates of the
 * thread's units) is one grouped product. Each group's bits are those of
 * its plain product: same tiles, same K slices, same summation order.
 *
 * One rb_gemm per ISA (kernels/<isa>/gemm_<isa>.c, written once over the
 * kernels/simd/vec_*.h vocabulary) plus the scalar one; rb_gemm_for_isa()
 * picks. The layout of the packed buffer is private to each ISA's engine.
 */
#ifndef RB_GEMM_H
#define RB_GEMM_H

#include <stddef.h>

#include "../platform/cache.h"

/* Flags of a product (rb_gemm_op.flags) and of a packing (pack_b). */
#define RB_GEMM_OVERWRITE 0u          /* C = op(A) op(B); C is never read (it may hold NaN) */
#define RB_GEMM_ACCUMULATE (1u << 0)  /* C += op(A) op(B)                                  */
#define RB_NO_TRANS 0u                /* A, B as the product reads them                    */
#define RB_TRANS_A (1u << 1)          /* A stored [K][M]: op(A)[m][k] = A[k*lda + m]       */
#define RB_TRANS_B (1u << 2)          /* pack_b: B stored [Ncols][K]: op(B)[k][j] = B[j*ldb + k] */
/* A hint on order, not on the result: sweep B from its last column block,
 * K slice and panel to its first (K slices then add up in the other order:
 * the same product up to float rounding; bit-identical when one K slice
 * covers K).
 * Products that read the same packed B one after the other and alternate
 * the flag find what the previous one read last still in cache; a plain
 * cyclic sweep over a B larger than the cache misses on every line. */
#define RB_GEMM_REVERSE (1u << 3)

/* The cache blocking of a product (gemm_kernel.inc's loops): K slices of
 * at most kc, blocks of mc rows of op(A), nc columns at a time. Derived
 * from the caches by rb_gemm_blocking_derive (gemm_blocking.c: the model
 * and its reasons). Any positive values give the same result up to float
 * summation order across K slices; run() rounds and caps them. With no
 * rb_gemm_op.blocking, run() takes this machine's, whatever M is (so that
 * rows split between threads give the bits of one call). A kc above what
 * run() allows means one K slice as deep as it allows. */
typedef struct {
    int kc, mc, nc;
} rb_gemm_blocking;

/* One product, outputs first: C[m][j] (+)= Σ_k op(A)[m][k] · op(B)[k][j]
 * over rows m < M and columns j0 <= j < j1. Written at call sites with
 * designated initializers, so every argument is named; j0 defaults to 0. */
typedef struct {
    float *C;         /* output, row-major: C[m*ldc + j]                    */
    int ldc;
    int M, j0, j1;    /* rows [0, M), columns [j0, j1) of C                 */
    const float *A;   /* op(A), M x K: A[m*lda + k], or A[k*lda + m] with   */
    int lda;          /*   RB_TRANS_A                                       */
    int K;            /* the reduction length                               */
    const float *Bp;  /* op(B), K x Ncols, as packed by this engine's pack_b */
    int Ncols;
    unsigned flags;   /* RB_GEMM_OVERWRITE or RB_GEMM_ACCUMULATE,       */
                      /*   | RB_TRANS_A, | RB_GEMM_REVERSE                */
    const rb_gemm_blocking *blocking; /* NULL (the usual): this machine's,
                                         rb_gemm_blocking_for(mr, nr)   */
    int groups;       /* column groups (see above); 0 or 1: a plain product */
    int group_ldc;    /* floats from one group's C to the next's            */
} rb_gemm_op;

typedef struct rb_gemm {
    const char *name; /* "avx512_6x64": ISA and register tile MR x NR */
    int mr, nr;
    /* Floats needed to pack a K x Ncols op(B). */
    size_t (*packed_floats)(int K, int Ncols);
    /* Bp = op(B), K x Ncols, packed. flags RB_NO_TRANS: B is [K][Ncols],
     * element (k, j) at B[k*ldb + j]; RB_TRANS_B: B is [Ncols][K], element
     * (k, j) at B[j*ldb + k]. */
    void (*pack_b)(float *Bp, int K, int Ncols, const float *B, int ldb, unsigned flags);
    /* Rows [k0, k0 + K) of a Ktot-deep packed op(B) (Ktot x Ncols, at Bp
     * as pack_b(Bp, Ktot, ...) lays it out) from B (K x Ncols, read as
     * pack_b reads it); the other rows are left as they are. An operand
     * whose rows live in two places (h0, then y) is packed as one, so its
     * product is one pass over C. pack_b(Bp, K, ..) = pack_b_rows(Bp, K, 0, K, ..). */
    void (*pack_b_rows)(float *Bp, int Ktot, int k0, int K, int Ncols, const float *B, int ldb, unsigned flags);
    void (*run)(const rb_gemm_op *op);
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

/* The blocking the cache model gives for caches c and a register tile
 * mr x nr (pure: the tests feed it made-up caches). */
rb_gemm_blocking rb_gemm_blocking_derive(const rb_caches *c, int mr, int nr);
/* This machine's: rb_gemm_blocking_derive(rb_caches_detect(), mr, nr), each
 * field replaced by RNNBENCH_GEMM_BLOCKING=KC,MC,NC where that gives one
 * (> 0; read once per process). */
rb_gemm_blocking rb_gemm_blocking_for(int mr, int nr);

/* The engine for "scalar", "avx2", "avx512" or "neon"; NULL for an ISA this
 * build does not contain (or an unknown name). It does not ask the CPU:
 * check rb_cpu_has() (kernels/platform/cpu.h) before calling the engine. */
const rb_gemm *rb_gemm_for_isa(const char *isa);

#endif
