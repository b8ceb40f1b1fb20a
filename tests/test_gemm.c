/*
 * test_gemm.c: every vectorized rb_gemm engine of this build against the
 * scalar one (kernels/gemm/gemm.h).
 *
 * Each case packs op(B) with both engines, runs both on the same operands
 * and compares in double: |got - ref| <= 1e-5 * sqrt(K) * max|ref| (the
 * float error of a K-term sum grows like sqrt(K) times its scale; the
 * engines sum in different orders, so bit equality is not expected). C sits
 * in a larger buffer (whole rows of ldc floats plus guards before and
 * after) where every float outside [0,M) x [j0,j1) holds a canary, checked
 * bit for bit. With accumulate = 0 the range is filled with NaN first, so
 * a read of C shows. pack_b must not write past packed_floats either.
 *
 * Sizes: M, Ncols and K each over 1, 2, W-1, W, W+1, MR-1, MR, MR+1,
 * 2*NR+3, 37 and 100 of the engine (the vector and register tile edges),
 * each triple with all 8 combinations of a_trans, b_trans, accumulate;
 * the column range cycles over [0, N) and, where N > NR, [NR, N) and
 * [0, NR); leading dimensions cycle between minimal and padded.
 * Separately: sizes past the KC/MC blocking (heap scratch, several K
 * slices), odd blockings (from made-up tiny caches and by hand: the
 * result must not depend on them), the cache model's numbers for known
 * caches, the sysfs reader on a made-up tree, the environment override,
 * K = 0, concurrent calls from OpenMP threads on disjoint column
 * and row ranges, packing an operand in pieces of rows (pack_b_rows), one
 * K slicing that never depends on M, the ISA lookup, and a test that
 * the checker itself fails on one perturbed element, a NaN and a touched
 * canary. Column groups (rb_gemm_op.groups) are compared bit for bit with
 * the plain product of each group, on every engine including the scalar
 * one.
 *
 * An engine the build lacks or the CPU cannot run is skipped (reported as
 * skipped, not passed). cmocka is x86-only here; the NEON engine was run
 * through these same tests under qemu-aarch64 with a minimal stand-in for
 * the cmocka macros.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kernels/platform/cpu.h"
#include "../kernels/gemm/gemm.h"

/* ------------------------------------------------------------ helpers */

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

/* Uniform in (-1, 1), never exactly 0. */
static float rng_float(uint32_t *s)
{
    return (float)(((double)(rng_next(s) >> 8) + 0.5) / (double)(1u << 24) * 2.0 - 1.0);
}

static float *xmalloc(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    assert_non_null(p);
    return p;
}

/* A float no engine computes by accident: a quiet NaN with a payload that
 * no arithmetic produces; its bit pattern is what is checked. */
static const uint32_t CANARY_BITS = 0x7fe5c3e1u;

static float canary(void)
{
    float f;
    memcpy(&f, &CANARY_BITS, sizeof f);
    return f;
}

static int is_canary(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u == CANARY_BITS;
}

/* C lives at buf + GUARD, rows of ldc floats, M rows, then GUARD more. */
enum { GUARD = 64 };

typedef struct {
    int M, N, K, j0, j1, lda, ldb, ldc;
    double max_abs, max_rel_to_scale, tol;
    int failed;    /* elements out of tolerance plus canaries overwritten */
    long bad_index; /* the first of them, as an offset from C (may be < 0) */
    char why[160];
} cmp_result;

/* The checker: 0 if got agrees with ref in [0,M) x [j0,j1) within tolerance
 * and every float of got's buffer outside that range is still the canary. */
static int compare_c(const float *got_buf, const float *ref_buf, int M, int j0, int j1, int K,
                     int ldc, cmp_result *r)
{
    const float *got = got_buf + GUARD, *ref = ref_buf + GUARD;
    double scale = 0;
    for (int m = 0; m < M; m++)
        for (int j = j0; j < j1; j++) scale = fmax(scale, fabs((double)ref[(size_t)m * ldc + j]));
    r->tol = 1e-5 * sqrt((double)(K > 1 ? K : 1)) * scale;
    r->max_abs = 0;
    r->failed = 0;
    r->bad_index = 0;
    r->why[0] = 0;
    for (int m = 0; m < M; m++) {
        for (int j = j0; j < j1; j++) {
            const size_t i = (size_t)m * ldc + j;
            const double d = fabs((double)got[i] - (double)ref[i]);
            if (!(d <= r->tol)) { /* NaN fails too */
                if (r->failed++ == 0) {
                    r->bad_index = (long)i;
                    snprintf(r->why, sizeof r->why, "C[%d][%d] = %.9g, scalar %.9g, |d| %.3g > tol %.3g",
                             m, j, (double)got[i], (double)ref[i], d, r->tol);
                }
            }
            if (d > r->max_abs || d != d) r->max_abs = d;
        }
    }
    r->max_rel_to_scale = scale > 0 ? r->max_abs / scale : r->max_abs;
    const size_t total = (size_t)GUARD * 2 + (size_t)M * ldc;
    for (size_t t = 0; t < total; t++) {
        const long i = (long)t - GUARD; /* index relative to C */
        const int inside = i >= 0 && i < (long)M * ldc && (int)(i % ldc) >= j0 && (int)(i % ldc) < j1;
        if (!inside && !is_canary(got_buf[t])) {
            if (r->failed++ == 0) {
                r->bad_index = i;
                snprintf(r->why, sizeof r->why, "canary at offset %ld from C (row %ld col %ld) overwritten",
                         i, i >= 0 ? i / ldc : -1L, i >= 0 ? i % ldc : i);
            }
        }
    }
    return r->failed == 0 ? 0 : -1;
}

typedef struct {
    int a_trans, b_trans, accumulate;
    int pad_a, pad_b, pad_c; /* extra leading-dimension floats */
    const rb_gemm_blocking *blocking; /* NULL: the machine's */
    int reverse;                      /* RB_GEMM_REVERSE (the engine's run only) */
} case_opts;

/* One product with engine g and with the scalar engine; returns the compare
 * status and fills r. Buffers of C are allocated with canaries. */
static int run_case(const rb_gemm *g, int M, int N, int K, int j0, int j1, case_opts o,
                    uint32_t seed, cmp_result *r)
{
    const int lda = (o.a_trans ? M : K) + o.pad_a;
    const int ldb = (o.b_trans ? K : N) + o.pad_b;
    const int ldc = N + o.pad_c;
    const size_t na = (size_t)(o.a_trans ? K : M) * lda;
    const size_t nb = (size_t)(o.b_trans ? N : K) * ldb;
    const size_t nc = (size_t)GUARD * 2 + (size_t)M * ldc;
    float *A = xmalloc(na), *B = xmalloc(nb);
    float *Cg = xmalloc(nc), *Cr = xmalloc(nc);
    uint32_t s = seed;
    for (size_t i = 0; i < na; i++) A[i] = rng_float(&s);
    for (size_t i = 0; i < nb; i++) B[i] = rng_float(&s);
    for (size_t i = 0; i < nc; i++) Cg[i] = canary();
    for (int m = 0; m < M; m++)
        for (int j = j0; j < j1; j++)
            Cg[GUARD + (size_t)m * ldc + j] = o.accumulate ? rng_float(&s) : NAN;
    memcpy(Cr, Cg, nc * sizeof(float));
    if (!o.accumulate) /* the scalar engine ignores C too, but keep its buffer clean */
        for (int m = 0; m < M; m++)
            for (int j = j0; j < j1; j++) Cr[GUARD + (size_t)m * ldc + j] = 0.0f;

    /* Packed buffers get a canary tail: pack_b must stay within packed_floats. */
    const size_t pg = g->packed_floats(K, N), pr = rb_gemm_scalar.packed_floats(K, N);
    float *Bpg = xmalloc(pg + 16), *Bpr = xmalloc(pr);
    for (size_t i = 0; i < pg + 16; i++) Bpg[i] = canary();
    const unsigned how_b = o.b_trans ? RB_TRANS_B : RB_NO_TRANS;
    g->pack_b(Bpg, K, N, B, ldb, how_b);
    rb_gemm_scalar.pack_b(Bpr, K, N, B, ldb, how_b);
    int pack_ok = 1;
    for (size_t i = pg; i < pg + 16; i++) pack_ok &= is_canary(Bpg[i]);

    const unsigned flags = (o.accumulate ? RB_GEMM_ACCUMULATE : RB_GEMM_OVERWRITE) | (o.a_trans ? RB_TRANS_A : 0);
    g->run(&(rb_gemm_op){.C = Cg + GUARD, .ldc = ldc, .M = M, .j0 = j0, .j1 = j1,
                         .A = A, .lda = lda, .K = K, .Bp = Bpg, .Ncols = N,
                         .flags = flags | (o.reverse ? RB_GEMM_REVERSE : 0u),
                         .blocking = o.blocking});
    rb_gemm_scalar.run(&(rb_gemm_op){.C = Cr + GUARD, .ldc = ldc, .M = M, .j0 = j0, .j1 = j1,
                                     .A = A, .lda = lda, .K = K, .Bp = Bpr, .Ncols = N, .flags = flags});

    *r = (cmp_result){.M = M, .N = N, .K = K, .j0 = j0, .j1 = j1, .lda = lda, .ldb = ldb, .ldc = ldc};
    int rc = compare_c(Cg, Cr, M, j0, j1, K, ldc, r);
    if (!pack_ok) {
        rc = -1;
        snprintf(r->why, sizeof r->why, "pack_b wrote past packed_floats(%d, %d) = %zu", K, N, pg);
    }
    free(A);
    free(B);
    free(Cg);
    free(Cr);
    free(Bpg);
    free(Bpr);
    return rc;
}

static void report_failure(const rb_gemm *g, const cmp_result *r, case_opts o)
{
    print_error("%s: M=%d N=%d K=%d j=[%d,%d) a_trans=%d b_trans=%d accumulate=%d lda=%d ldb=%d "
                "ldc=%d: %s (max |d| %.3g, tol %.3g)\n",
                g->name, r->M, r->N, r->K, r->j0, r->j1, o.a_trans, o.b_trans, o.accumulate, r->lda,
                r->ldb, r->ldc, r->why, r->max_abs, r->tol);
}

/* ------------------------------------------------- which engines exist */

typedef struct {
    const char *isa;
    rb_isa id;
} engine_ref;

/* The engine for isa, or skip() when the build lacks it or the CPU cannot
 * run it. */
static const rb_gemm *engine_or_skip(const engine_ref *e)
{
    const rb_gemm *g = rb_gemm_for_isa(e->isa);
    if (!g) {
        print_message("%s: not in this build\n", e->isa);
        skip();
    }
    if (!rb_cpu_has_hw(e->id)) {
        print_message("%s: this CPU cannot run it\n", e->isa);
        skip();
    }
    return g;
}

/* --------------------------------------------------------------- tests */

/* The edge sizes of an engine: vector width W (its ISA's), tile MR x NR. */
static int edge_sizes(const rb_gemm *g, int W, int *out)
{
    const int cand[] = {1, 2, W - 1, W, W + 1, g->mr - 1, g->mr, g->mr + 1, 2 * g->nr + 3, 37, 100};
    int n = 0;
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        if (cand[i] < 1) continue;
        int dup = 0;
        for (int k = 0; k < n; k++) dup |= out[k] == cand[i];
        if (!dup) out[n++] = cand[i];
    }
    return n;
}

static int width_of(const char *isa)
{
    if (strcmp(isa, "avx512") == 0) return 16;
    if (strcmp(isa, "avx2") == 0) return 8;
    if (strcmp(isa, "neon") == 0) return 4;
    return 1;
}

static void test_edges(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    int sz[16];
    const int ns = edge_sizes(g, width_of(e->isa), sz);
    int cases = 0, failed = 0;
    uint32_t seed = 12345;
    for (int im = 0; im < ns; im++)
        for (int in = 0; in < ns; in++)
            for (int ik = 0; ik < ns; ik++)
                for (int flags = 0; flags < 8; flags++) {
                    const int M = sz[im], N = sz[in], K = sz[ik];
                    case_opts o = {.a_trans = flags & 1, .b_trans = (flags >> 1) & 1,
                                   .accumulate = (flags >> 2) & 1,
                                   /* leading dimensions: minimal or padded, varied */
                                   .pad_a = (im + ik + flags) % 3 == 0 ? 0 : 3,
                                   .pad_b = (in + ik + flags) % 3 == 1 ? 0 : 5,
                                   .pad_c = (im + in + flags) % 3 == 2 ? 0 : 7};
                    /* Column ranges: all, and when there are two panels or
                     * more, from the second panel on and the first alone
                     * (one of the three per case, cycled, to bound time). */
                    int j0 = 0, j1 = N;
                    if (N > g->nr) {
                        const int pick = (im + in + ik + flags) % 3;
                        if (pick == 1) j0 = g->nr;
                        if (pick == 2) j1 = g->nr;
                    }
                    cmp_result r;
                    cases++;
                    if (run_case(g, M, N, K, j0, j1, o, seed++, &r) != 0) {
                        if (failed < 10) report_failure(g, &r, o);
                        failed++;
                    }
                }
    print_message("%s: %d cases, %d failed\n", g->name, cases, failed);
    assert_int_equal(failed, 0);
}

/* Past the blocking: M > MC (heap scratch, several A blocks), K > KC (several
 * K slices, the later ones adding to C), column tails, both layouts. */
static void test_blocking(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    const int shapes[][3] = {
        {257, 2 * 32 + 5, 1100}, {1000, 3 * 48 + 7, 530}, {64, 2048 / 16, 2048}, {3, 70, 777}};
    int failed = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int flags = 0; flags < 8; flags++) {
            case_opts o = {.a_trans = flags & 1, .b_trans = (flags >> 1) & 1,
                           .accumulate = (flags >> 2) & 1, .pad_a = 1, .pad_b = 2, .pad_c = 3};
            const int N = shapes[s][1];
            const int j0 = (flags & 1) && N > g->nr ? g->nr : 0;
            cmp_result r;
            if (run_case(g, shapes[s][0], N, shapes[s][2], j0, N, o, 777u + (uint32_t)flags, &r) != 0) {
                report_failure(g, &r, o);
                failed++;
            }
        }
    assert_int_equal(failed, 0);
}

/* Correctness does not depend on the blocking: the blocking derived from
 * absurdly small caches (1 KiB L1, 4 KiB L2, 16 KiB L3: many thin K
 * slices, short A blocks, narrow column blocks) and hand-picked odd ones
 * (1 x 1 x 1, rounded up to MR and NR by run(); 7 x 13 x 40, neither a
 * multiple of MR nor of NR; past every cap) on shapes that cross all of
 * them, every flag combination, a column range starting at NR, each
 * plain and with RB_GEMM_REVERSE (blocks, slices and panels backwards). */
static void test_odd_blocking(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    const rb_caches tiny = {.l1d = {.size = 1024, .ways = 2, .line = 64, .shared_by = 1},
                            .l2 = {.size = 4096, .ways = 4, .line = 64, .shared_by = 1},
                            .l3 = {.size = 16384, .ways = 4, .line = 64, .shared_by = 1}};
    const rb_gemm_blocking derived_tiny = rb_gemm_blocking_derive(&tiny, g->mr, g->nr);
    /* The tiny blocking really cuts every loop: K of every shape below, M
     * of the first two, the columns of the second. */
    assert_true(derived_tiny.kc < 33);
    assert_true(derived_tiny.mc < 37);
    assert_true(derived_tiny.nc < 2 * 64 + 5);
    const rb_gemm_blocking odd[] = {derived_tiny, {1, 1, 1}, {7, 13, 40}, {1 << 24, 1 << 24, 1 << 24}};
    const int shapes[][3] = {{37, 3 * 16 + 7, 53}, {100, 2 * 64 + 5, 130}, {1, 70, 33}};
    int cases = 0, failed = 0;
    for (size_t b = 0; b < sizeof odd / sizeof odd[0]; b++)
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
            for (int flags = 0; flags < 16; flags++) {
                case_opts o = {.a_trans = flags & 1, .b_trans = (flags >> 1) & 1,
                               .accumulate = (flags >> 2) & 1, .pad_a = 1, .pad_b = 2, .pad_c = 3,
                               .blocking = &odd[b], .reverse = (flags >> 3) & 1};
                const int N = shapes[sh][1];
                const int j0 = (flags & 2) && N > g->nr ? g->nr : 0;
                cmp_result r;
                cases++;
                if (run_case(g, shapes[sh][0], N, shapes[sh][2], j0, N, o, 31u * (uint32_t)b + (uint32_t)flags,
                             &r) != 0) {
                    print_error("blocking kc %d mc %d nc %d: ", odd[b].kc, odd[b].mc, odd[b].nc);
                    report_failure(g, &r, o);
                    failed++;
                }
            }
    print_message("%s: %d cases over %zu blockings (tiny caches: kc %d mc %d nc %d), %d failed\n", g->name,
                  cases, sizeof odd / sizeof odd[0], derived_tiny.kc, derived_tiny.mc, derived_tiny.nc, failed);
    assert_int_equal(failed, 0);
}

/* RB_GEMM_REVERSE changes the order, not the product: with one K slice
 * (K <= KC) bit-identical to the plain call, over several column blocks
 * and panels; with several K slices, within the tolerance of the scalar
 * engine (checked by test_odd_blocking). */
static void test_reverse_same_bits(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    const int M = 13, N = 5 * g->nr + 3, K = 77;
    const rb_gemm_blocking bk = {.kc = K, .mc = 2 * g->mr, .nc = 2 * g->nr};
    uint32_t s = 99;
    float *A = xmalloc((size_t)M * K), *B = xmalloc((size_t)K * N), *Bp = xmalloc(g->packed_floats(K, N));
    float *C1 = xmalloc((size_t)M * N), *C2 = xmalloc((size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = rng_float(&s);
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = rng_float(&s);
    g->pack_b(Bp, K, N, B, N, RB_NO_TRANS);
    for (int rev = 0; rev < 2; rev++)
        g->run(&(rb_gemm_op){.C = rev ? C2 : C1, .ldc = N, .M = M, .j1 = N, .A = A, .lda = K, .K = K, .Bp = Bp,
                             .Ncols = N, .flags = rev ? RB_GEMM_REVERSE : 0u, .blocking = &bk});
    assert_memory_equal(C1, C2, (size_t)M * N * sizeof(float));
    free(A), free(B), free(Bp), free(C1), free(C2);
}

/* One grouped case: G groups of w columns (K x w each, packed back to back,
 * as the fast variants pack a thread's gates), C with G blocks of gw >= w
 * columns (gw - w canary columns between groups) in rows of ldc floats.
 * Runs the grouped product into Cg and the G plain products into Cr
 * (swap: the plain ones with groups 0 and 1 exchanged, a wrong reference
 * for the checker's test) and returns the first float index where the two
 * buffers differ bit for bit, or -1. */
typedef struct {
    int G, w, K, M, j0, j1, gw, ldc;
    unsigned flags; /* RB_GEMM_ACCUMULATE | RB_TRANS_A | RB_GEMM_REVERSE */
    const rb_gemm_blocking *blocking;
} group_case;

static long grouped_vs_plain(const rb_gemm *g, group_case c, int swap, int perturb, uint32_t seed)
{
    const int a_trans = (c.flags & RB_TRANS_A) != 0, lda = (a_trans ? c.M : c.K) + 1;
    const size_t na = (size_t)(a_trans ? c.K : c.M) * lda, nb = (size_t)c.G * c.w * c.K;
    const size_t nc = (size_t)c.M * c.ldc, pf = g->packed_floats(c.K, c.w);
    float *A = xmalloc(na), *B = xmalloc(nb), *Bp = xmalloc((size_t)c.G * pf);
    float *Cg = xmalloc(nc), *Cr = xmalloc(nc);
    uint32_t s = seed;
    for (size_t i = 0; i < na; i++) A[i] = rng_float(&s);
    for (size_t i = 0; i < nb; i++) B[i] = rng_float(&s);
    /* Group q: rows q*w .. of B stored [G*w][K] (a gate's rows of U). */
    for (int q = 0; q < c.G; q++)
        g->pack_b(Bp + (size_t)q * pf, c.K, c.w, B + (size_t)q * c.w * c.K, c.K, RB_TRANS_B);
    for (size_t i = 0; i < nc; i++) Cg[i] = canary();
    for (int m = 0; m < c.M; m++)
        for (int q = 0; q < c.G; q++)
            for (int j = c.j0; j < c.j1; j++)
                Cg[(size_t)m * c.ldc + (size_t)q * c.gw + j] = c.flags & RB_GEMM_ACCUMULATE ? rng_float(&s) : NAN;
    memcpy(Cr, Cg, nc * sizeof(float));

    const rb_gemm_op base = {.ldc = c.ldc, .M = c.M, .j0 = c.j0, .j1 = c.j1, .A = A, .lda = lda, .K = c.K,
                             .Ncols = c.w, .flags = c.flags, .blocking = c.blocking};
    rb_gemm_op grouped = base;
    grouped.C = Cg;
    grouped.Bp = Bp;
    grouped.groups = c.G;
    grouped.group_ldc = c.gw;
    g->run(&grouped);
    for (int q = 0; q < c.G; q++) {
        const int qb = swap && c.G > 1 && q < 2 ? 1 - q : q;
        rb_gemm_op plain = base;
        plain.C = Cr + (size_t)q * c.gw;
        plain.Bp = Bp + (size_t)qb * pf;
        g->run(&plain);
    }
    if (perturb) { /* one bit of one result float */
        uint32_t u;
        const size_t i = (size_t)(c.M - 1) * c.ldc + (size_t)(c.G - 1) * c.gw + (size_t)c.j1 - 1;
        memcpy(&u, Cg + i, sizeof u);
        u ^= 1u;
        memcpy(Cg + i, &u, sizeof u);
    }
    long diff = -1;
    for (size_t i = 0; i < nc && diff < 0; i++)
        if (memcmp(Cg + i, Cr + i, sizeof(float)) != 0) diff = (long)i;
    free(A), free(B), free(Bp), free(Cg), free(Cr);
    return diff;
}

/* Column groups (gemm.h) give exactly the bits of the plain products of
 * each group, canaries between the groups untouched: G = 1..4, w around
 * NR (tails, several panels), K in one and in several K slices, M with row
 * tails, all 8 combinations of accumulate, a_trans and reverse, column
 * ranges [0, w) and [NR, w), blockings whose column blocks and A blocks
 * cut through groups, and the machine's. The checker fails on a one-bit
 * perturbation and on a reference with two groups' weights exchanged. */
static void test_groups_same_bits(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    const int nr = g->nr;
    const int ws[] = {1, nr - 1 > 0 ? nr - 1 : 1, nr, 2 * nr + 3, 37};
    const int Ks[] = {1, 40, 300};
    const int Ms[] = {1, 2, g->mr + 1, 13};
    const rb_gemm_blocking odd = {.kc = 17, .mc = 2 * g->mr, .nc = 3 * nr};
    const rb_gemm_blocking *blockings[] = {NULL, &odd};
    int cases = 0, failed = 0;
    uint32_t seed = 2024;
    for (int G = 1; G <= 4; G++)
        for (size_t iw = 0; iw < sizeof ws / sizeof ws[0]; iw++)
            for (size_t ik = 0; ik < sizeof Ks / sizeof Ks[0]; ik++)
                for (size_t im = 0; im < sizeof Ms / sizeof Ms[0]; im++)
                    for (int f = 0; f < 8; f++) {
                        const int w = ws[iw];
                        group_case c = {.G = G, .w = w, .K = Ks[ik], .M = Ms[im], .j1 = w,
                                        .gw = w + 3, .ldc = G * (w + 3) + 5,
                                        .flags = (f & 1 ? RB_GEMM_ACCUMULATE : 0u) | (f & 2 ? RB_TRANS_A : 0u) |
                                                 (f & 4 ? RB_GEMM_REVERSE : 0u),
                                        .blocking = blockings[(G + iw + ik + im + f) % 2]};
                        if (w > nr && (G + im + f) % 2) c.j0 = nr;
                        cases++;
                        const long d = grouped_vs_plain(g, c, 0, 0, seed++);
                        if (d >= 0 && failed++ < 10)
                            print_error("%s: G=%d w=%d K=%d M=%d j=[%d,%d) flags %u blocking %s: "
                                        "grouped differs from plain at float %ld\n",
                                        g->name, G, w, c.K, c.M, c.j0, c.j1, c.flags,
                                        c.blocking ? "odd" : "machine", d);
                    }
    print_message("%s: %d grouped cases, %d differ\n", g->name, cases, failed);
    assert_int_equal(failed, 0);

    /* The comparison has teeth. */
    const group_case c = {.G = 3, .w = 2 * nr + 3, .K = 40, .M = 5, .j1 = 2 * nr + 3, .gw = 2 * nr + 6,
                          .ldc = 3 * (2 * nr + 6) + 1, .flags = RB_GEMM_ACCUMULATE};
    assert_true(grouped_vs_plain(g, c, 0, 0, 7) < 0);
    assert_true(grouped_vs_plain(g, c, 0, 1, 7) >= 0);
    assert_true(grouped_vs_plain(g, c, 1, 0, 7) >= 0);
}

/* pack_b_rows: an operand packed in pieces of rows (two, or three with an
 * empty one) is bit for bit the operand packed whole, for both source
 * layouts and column counts across the panel edges, and nothing is
 * written outside packed_floats (canary tail) or for a piece outside
 * [0, Ktot). Run for the scalar engine too (its layout differs). */
static void check_pack_rows(const rb_gemm *g)
{
    const int Ns[] = {1, g->nr, 2 * g->nr + 3};
    const int Ks[] = {1, 2, 17, 100};
    int checked = 0;
    for (size_t in = 0; in < sizeof Ns / sizeof Ns[0]; in++)
        for (size_t ik = 0; ik < sizeof Ks / sizeof Ks[0]; ik++)
            for (int b_trans = 0; b_trans < 2; b_trans++) {
                const int N = Ns[in], K = Ks[ik], ldb = (b_trans ? K : N) + 3;
                const size_t nb = (size_t)(b_trans ? N : K) * ldb, np = g->packed_floats(K, N);
                uint32_t s = 555u + (uint32_t)(in * 16 + ik * 2) + (uint32_t)b_trans;
                float *B = xmalloc(nb), *whole = xmalloc(np + 16), *parts = xmalloc(np + 16);
                for (size_t i = 0; i < nb; i++) B[i] = rng_float(&s);
                for (size_t i = 0; i < np + 16; i++) whole[i] = parts[i] = canary();
                const unsigned how = b_trans ? RB_TRANS_B : RB_NO_TRANS;
                g->pack_b(whole, K, N, B, ldb, how);
                /* rows [0, k1), [k1, k1) (empty) and [k1, K) */
                const int k1 = K / 3;
                const float *B2 = b_trans ? B + k1 : B + (size_t)k1 * ldb;
                g->pack_b_rows(parts, K, k1, K - k1, N, B2, ldb, how);
                g->pack_b_rows(parts, K, k1, 0, N, B2, ldb, how);
                g->pack_b_rows(parts, K, 0, k1, N, B, ldb, how);
                /* a piece past Ktot is refused whole */
                g->pack_b_rows(parts, K, K - 1, 2, N, B, ldb, how);
                assert_memory_equal(whole, parts, (np + 16) * sizeof(float));
                for (size_t i = np; i < np + 16; i++) assert_true(is_canary(parts[i]));
                checked++;
                free(B), free(whole), free(parts);
            }
    print_message("%s: pack_b_rows matched pack_b on %d operands\n", g->name, checked);
}

static void test_pack_rows(void **state)
{
    const engine_ref *e = *state;
    check_pack_rows(engine_or_skip(e));
}

static void test_pack_rows_scalar(void **state)
{
    (void)state;
    check_pack_rows(&rb_gemm_scalar);
}

/* With no op->blocking the K slices never depend on M: the rows of a
 * product deeper than KC computed in calls of whole MR-row tiles (as a team
 * splits the rows: fast_split) are bit for bit the rows of one call, also
 * where a call has at most MR rows. (Splits inside a tile may differ: a
 * tile of few rows keeps extra accumulators, gemm_kernel.inc.) An
 * explicit one-slice blocking (the fast variants' step products at a
 * batch of at most MR rows) gives the same bits forwards and with
 * RB_GEMM_REVERSE (the zigzag order). */
static void test_slices_ignore_m(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    const int K = 1500, N = 3 * g->nr + 5, M = 2 * g->mr + 3; /* 1500 <= 16384 / MR: within the scratch bound */
    assert_true(rb_gemm_blocking_for(g->mr, g->nr).kc < K);
    const rb_gemm_blocking one = {.kc = K, .mc = g->mr, .nc = N};
    uint32_t s = 2024;
    float *A = xmalloc((size_t)M * K), *B = xmalloc((size_t)K * N), *Bp = xmalloc(g->packed_floats(K, N));
    float *C[3];
    for (int i = 0; i < 3; i++) C[i] = xmalloc((size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = rng_float(&s);
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = rng_float(&s);
    g->pack_b(Bp, K, N, B, N, RB_NO_TRANS);
    g->run(&(rb_gemm_op){.C = C[0], .ldc = N, .M = M, .j1 = N, .A = A, .lda = K, .K = K, .Bp = Bp, .Ncols = N});
    for (int rows = g->mr; rows <= 2 * g->mr; rows += g->mr) {
        for (int m0 = 0; m0 < M; m0 += rows)
            g->run(&(rb_gemm_op){.C = C[1] + (size_t)m0 * N, .ldc = N, .M = M - m0 < rows ? M - m0 : rows,
                                 .j1 = N, .A = A + (size_t)m0 * K, .lda = K, .K = K, .Bp = Bp, .Ncols = N});
        assert_memory_equal(C[0], C[1], (size_t)M * N * sizeof(float));
    }
    for (int m = 1; m <= g->mr; m++)
        for (int i = 1; i < 3; i++)
            g->run(&(rb_gemm_op){.C = C[i], .ldc = N, .M = m, .j1 = N, .A = A, .lda = K, .K = K, .Bp = Bp,
                                 .Ncols = N, .flags = i == 2 ? RB_GEMM_REVERSE : 0u, .blocking = &one});
    assert_memory_equal(C[1], C[2], (size_t)g->mr * N * sizeof(float));
    free(A), free(B), free(Bp);
    for (int i = 0; i < 3; i++) free(C[i]);
}

/* K = 0: C = 0 (accumulate = 0) or unchanged (accumulate = 1), range only. */
static void test_k_zero(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    for (int acc = 0; acc < 2; acc++) {
        case_opts o = {.accumulate = acc, .pad_c = 2};
        cmp_result r;
        const int rc = run_case(g, 5, 2 * g->nr + 3, 0, g->nr, 2 * g->nr + 3, o, 99, &r);
        if (rc != 0) report_failure(g, &r, o);
        assert_int_equal(rc, 0);
    }
}

/* run() from several OpenMP threads at once, each on its own slice of C
 * (columns split at multiples of NR, or rows): the result must be the
 * single-threaded one, which catches shared scratch. */
static void test_concurrent(void **state)
{
    const engine_ref *e = *state;
    const rb_gemm *g = engine_or_skip(e);
    const int M = 150, N = 8 * g->nr + 5, K = 300, ldc = N;
    uint32_t s = 4242;
    float *A = xmalloc((size_t)M * K), *B = xmalloc((size_t)K * N);
    for (size_t i = 0; i < (size_t)M * K; i++) A[i] = rng_float(&s);
    for (size_t i = 0; i < (size_t)K * N; i++) B[i] = rng_float(&s);
    float *Bp = xmalloc(g->packed_floats(K, N));
    g->pack_b(Bp, K, N, B, N, RB_NO_TRANS);
    float *C1 = xmalloc((size_t)M * N), *C2 = xmalloc((size_t)M * N), *C3 = xmalloc((size_t)M * N);
    g->run(&(rb_gemm_op){.C = C1, .ldc = ldc, .M = M, .j1 = N, .A = A, .lda = K, .K = K, .Bp = Bp, .Ncols = N,
                         .flags = RB_GEMM_OVERWRITE});
    const int panels = (N + g->nr - 1) / g->nr;
#pragma omp parallel for schedule(static, 1) num_threads(4)
    for (int p = 0; p < panels; p++) {
        const int j0 = p * g->nr, j1 = j0 + g->nr < N ? j0 + g->nr : N;
        g->run(&(rb_gemm_op){.C = C2, .ldc = ldc, .M = M, .j0 = j0, .j1 = j1, .A = A, .lda = K, .K = K,
                             .Bp = Bp, .Ncols = N, .flags = RB_GEMM_OVERWRITE});
    }
    /* Row slices of 2*MR: every row meets the same tile size as in the
     * single call, hence the same summation order. */
    const int rows = 2 * g->mr;
#pragma omp parallel for schedule(static, 1) num_threads(4)
    for (int m0 = 0; m0 < M; m0 += rows) {
        const int mm = M - m0 < rows ? M - m0 : rows;
        g->run(&(rb_gemm_op){.C = C3 + (size_t)m0 * ldc, .ldc = ldc, .M = mm, .j1 = N, .A = A + (size_t)m0 * K,
                             .lda = K, .K = K, .Bp = Bp, .Ncols = N, .flags = RB_GEMM_OVERWRITE});
    }
    /* Same engine, same blocking per element: bit-identical. */
    assert_memory_equal(C1, C2, (size_t)M * N * sizeof(float));
    assert_memory_equal(C1, C3, (size_t)M * N * sizeof(float));
    free(A);
    free(B);
    free(Bp);
    free(C1);
    free(C2);
    free(C3);
}

/* The checker has teeth: one element off by 20 tolerances, one NaN, one
 * canary touched, each must fail; the untouched copy must pass. */
static void test_checker_fails(void **state)
{
    (void)state;
    const int M = 9, N = 21, K = 64, ldc = 24, j0 = 0, j1 = N;
    const size_t nc = (size_t)GUARD * 2 + (size_t)M * ldc;
    float *ref = xmalloc(nc), *got = xmalloc(nc);
    uint32_t s = 7;
    for (size_t i = 0; i < nc; i++) ref[i] = canary();
    for (int m = 0; m < M; m++)
        for (int j = j0; j < j1; j++) ref[GUARD + (size_t)m * ldc + j] = rng_float(&s) * 4.0f;
    cmp_result r;
    memcpy(got, ref, nc * sizeof(float));
    assert_int_equal(compare_c(got, ref, M, j0, j1, K, ldc, &r), 0);

    const size_t at = GUARD + (size_t)4 * ldc + 13;
    got[at] += (float)(20.0 * r.tol);
    assert_int_equal(compare_c(got, ref, M, j0, j1, K, ldc, &r), -1);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.bad_index, 4 * ldc + 13);

    memcpy(got, ref, nc * sizeof(float));
    got[at] = NAN;
    assert_int_equal(compare_c(got, ref, M, j0, j1, K, ldc, &r), -1);

    memcpy(got, ref, nc * sizeof(float));
    got[GUARD + (size_t)2 * ldc + N] = 0.0f; /* just past j1 in row 2 */
    assert_int_equal(compare_c(got, ref, M, j0, j1, K, ldc, &r), -1);

    memcpy(got, ref, nc * sizeof(float));
    got[GUARD - 1] = 0.0f; /* just before C */
    assert_int_equal(compare_c(got, ref, M, j0, j1, K, ldc, &r), -1);
    assert_int_equal(r.bad_index, -1);

    /* And a perturbation just inside the tolerance passes: the bound is the
     * stated one, not looser. */
    memcpy(got, ref, nc * sizeof(float));
    compare_c(got, ref, M, j0, j1, K, ldc, &r);
    got[at] += (float)(0.5 * r.tol);
    assert_int_equal(compare_c(got, ref, M, j0, j1, K, ldc, &r), 0);
    free(ref);
    free(got);
}

/* The cache model (kernels/gemm/gemm_blocking.c) on caches of known
 * machines: the formulas of its comment, worked by hand. */
static void test_blocking_model(void **state)
{
    (void)state;
    /* Zen 3 (this session's EPYC): 32 KiB 8-way L1d, 512 KiB L2, 32 MiB L3
     * shared by the 2 vCPUs. AVX2 6x16: KC = 32768 / 64 = 512; MC =
     * 262144 / 2048 = 128 -> 126; NC = 16 MiB / 2 / 2048 = 4096. */
    const rb_caches zen3 = {.l1d = {32768, 8, 64, 1}, .l2 = {524288, 8, 64, 1}, .l3 = {33554432, 16, 64, 2}};
    rb_gemm_blocking b = rb_gemm_blocking_derive(&zen3, 6, 16);
    assert_int_equal(b.kc, 512);
    assert_int_equal(b.mc, 126);
    assert_int_equal(b.nc, 4096);
    /* An Ice Lake server core: 48 KiB L1d, 1.25 MiB L2, 48 MiB L3 shared by
     * 2. AVX-512 6x64: KC = 49152 / 256 = 192; MC = 655360 / 768 = 853 ->
     * 852; NC = 24 MiB / 2 / 768 = 16384. */
    const rb_caches icx = {.l1d = {49152, 12, 64, 1}, .l2 = {1310720, 20, 64, 1}, .l3 = {50331648, 12, 64, 2}};
    b = rb_gemm_blocking_derive(&icx, 6, 64);
    assert_int_equal(b.kc, 192);
    assert_int_equal(b.mc, 852);
    assert_int_equal(b.nc, 16384);
    /* Bounds: a huge L1 caps KC at 1024; a tiny one floors it at 16; MC and
     * NC never fall below one tile. */
    const rb_caches huge = {.l1d = {1 << 20, 8, 64, 1}, .l2 = {1 << 20, 8, 64, 1}, .l3 = {1 << 20, 8, 64, 1}};
    b = rb_gemm_blocking_derive(&huge, 8, 12);
    assert_int_equal(b.kc, 1024);
    const rb_caches none = {.l1d = {64, 0, 64, 1}, .l2 = {64, 0, 64, 1}, .l3 = {64, 0, 64, 0}};
    b = rb_gemm_blocking_derive(&none, 6, 64);
    assert_int_equal(b.kc, 16);
    assert_int_equal(b.mc, 6);
    assert_int_equal(b.nc, 64);
    /* This machine's: positive, and what the model says for its caches. */
    const rb_caches *mine = rb_caches_detect();
    assert_true(mine->l1d.size > 0 && mine->l2.size > 0 && mine->l3.size > 0);
    const rb_gemm_blocking d = rb_gemm_blocking_derive(mine, 6, 16);
    print_message("caches (%s): L1d %zu, L2 %zu, L3 %zu / %d; 6x16 blocking kc %d mc %d nc %d\n", mine->source,
                  mine->l1d.size, mine->l2.size, mine->l3.size, mine->l3.shared_by, d.kc, d.mc, d.nc);
    assert_true(d.kc >= 16 && d.mc >= 6 && d.nc >= 16);
}

/* Writes text to dir/name (dir created). */
static void put_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The sysfs reader on a made-up tree: an instruction cache it must skip,
 * sizes in K and M, a shared_cpu_list with ranges, a level it lacks left
 * as it was. */
static void test_caches_sysfs(void **state)
{
    (void)state;
    char root[] = "/tmp/rb_test_cache_XXXXXX";
    assert_non_null(mkdtemp(root));
    char d[600];
    const struct { const char *idx, *level, *type, *size, *ways, *cpus; } ix[] = {
        {"index0", "1", "Data", "48K", "12", "0"},
        {"index1", "1", "Instruction", "7K", "3", "0"},
        {"index2", "2", "Unified", "1280K", "20", "0,64"},
        {"index3", "3", "Unified", "3M", "11", "0-3,8-11"},
    };
    for (size_t i = 0; i < sizeof ix / sizeof ix[0]; i++) {
        snprintf(d, sizeof d, "%s/%s", root, ix[i].idx);
        put_file(d, "level", ix[i].level);
        put_file(d, "type", ix[i].type);
        put_file(d, "size", ix[i].size);
        put_file(d, "ways_of_associativity", ix[i].ways);
        put_file(d, "coherency_line_size", "64\n");
        put_file(d, "shared_cpu_list", ix[i].cpus);
    }
    rb_caches c = {.l1d = {1, 1, 1, 1}, .l2 = {2, 2, 2, 2}, .l3 = {3, 3, 3, 3}};
    assert_int_equal(rb_caches_read_sysfs(root, &c), 3);
    assert_int_equal(c.l1d.size, 48 * 1024);
    assert_int_equal(c.l1d.ways, 12);
    assert_int_equal(c.l1d.line, 64);
    assert_int_equal(c.l1d.shared_by, 1);
    assert_int_equal(c.l2.size, 1280 * 1024);
    assert_int_equal(c.l2.shared_by, 2);
    assert_int_equal(c.l3.size, 3 * 1024 * 1024);
    assert_int_equal(c.l3.ways, 11);
    assert_int_equal(c.l3.shared_by, 8);
    /* A tree without the L3: the L3 keeps its earlier value. */
    rb_caches c2 = {.l3 = {3, 3, 3, 3}};
    snprintf(d, sizeof d, "rm -r %s/index3", root);
    assert_int_equal(system(d), 0);
    assert_int_equal(rb_caches_read_sysfs(root, &c2), 2);
    assert_int_equal(c2.l3.size, 3);
    snprintf(d, sizeof d, "rm -r %s", root);
    assert_int_equal(system(d), 0);
    assert_int_equal(rb_caches_read_sysfs(root, &c2), 0);
}

/* RNNBENCH_GEMM_BLOCKING replaces the fields it gives, keeps the others,
 * and a malformed value is ignored with a warning. It is read once per
 * process, so each case runs in a child. */
static int blocking_in_child(const char *env, rb_gemm_blocking *out)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        setenv("RNNBENCH_GEMM_BLOCKING", env, 1);
        if (!freopen("/dev/null", "w", stderr)) _exit(3);
        const rb_gemm_blocking b = rb_gemm_blocking_for(6, 16);
        _exit(write(fd[1], &b, sizeof b) == (ssize_t)sizeof b ? 0 : 4);
    }
    close(fd[1]);
    const ssize_t n = read(fd[0], out, sizeof *out);
    close(fd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return n == (ssize_t)sizeof *out && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void test_blocking_env(void **state)
{
    (void)state;
    const rb_gemm_blocking d = rb_gemm_blocking_derive(rb_caches_detect(), 6, 16);
    rb_gemm_blocking b;
    assert_int_equal(blocking_in_child("100,30,200", &b), 0);
    assert_int_equal(b.kc, 100);
    assert_int_equal(b.mc, 30);
    assert_int_equal(b.nc, 200);
    assert_int_equal(blocking_in_child(",48", &b), 0);
    assert_int_equal(b.kc, d.kc);
    assert_int_equal(b.mc, 48);
    assert_int_equal(b.nc, d.nc);
    assert_int_equal(blocking_in_child("0,0,77", &b), 0);
    assert_int_equal(b.kc, d.kc);
    assert_int_equal(b.nc, 77);
    const char *bad[] = {"abc", "1,2,3,4", "-5", "64x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(blocking_in_child(bad[i], &b), 0);
        assert_int_equal(b.kc, d.kc);
        assert_int_equal(b.mc, d.mc);
        assert_int_equal(b.nc, d.nc);
    }
}

/* The lookup and each engine's description. */
static void test_lookup(void **state)
{
    (void)state;
    assert_ptr_equal(rb_gemm_for_isa("scalar"), &rb_gemm_scalar);
    assert_null(rb_gemm_for_isa("sse9"));
    assert_null(rb_gemm_for_isa(NULL));
    const char *isas[] = {"avx2", "avx512", "neon"};
    for (size_t i = 0; i < 3; i++) {
        const rb_gemm *g = rb_gemm_for_isa(isas[i]);
        if (!g) continue;
        assert_int_equal(strncmp(g->name, isas[i], strlen(isas[i])), 0);
        assert_int_equal(g->name[strlen(isas[i])], '_');
        assert_true(g->mr >= 1);
        assert_true(g->nr >= 1 && g->nr % width_of(isas[i]) == 0);
        assert_true(g->packed_floats(7, 2 * g->nr + 1) >= (size_t)7 * (2 * g->nr + 1));
        assert_int_equal(g->packed_floats(7, 2 * g->nr + 1) % (size_t)g->nr, 0);
    }
#if defined(__x86_64__)
    assert_ptr_equal(rb_gemm_for_isa("avx2"), &rb_gemm_avx2);
    assert_ptr_equal(rb_gemm_for_isa("avx512"), &rb_gemm_avx512);
    assert_null(rb_gemm_for_isa("neon"));
#endif
#if defined(__aarch64__)
    assert_ptr_equal(rb_gemm_for_isa("neon"), &rb_gemm_neon);
    assert_null(rb_gemm_for_isa("avx2"));
#endif
}

static engine_ref e_scalar = {"scalar", RB_ISA_SCALAR};
static engine_ref e_avx2 = {"avx2", RB_ISA_AVX2};
static engine_ref e_avx512 = {"avx512", RB_ISA_AVX512};
static engine_ref e_neon = {"neon", RB_ISA_NEON};

/* One test per engine and check, named "edges__avx512" etc. so a failure or a
 * skip says which engine. */
#define ENGINE_TEST(fn, e) {#fn "__" #e, fn, NULL, NULL, &e_##e}
#define ENGINE_TESTS(e)                                                                     \
    ENGINE_TEST(test_edges, e), ENGINE_TEST(test_blocking, e), ENGINE_TEST(test_k_zero, e), \
        ENGINE_TEST(test_concurrent, e), ENGINE_TEST(test_odd_blocking, e), ENGINE_TEST(test_reverse_same_bits, e), \
        ENGINE_TEST(test_pack_rows, e), ENGINE_TEST(test_slices_ignore_m, e)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_fails),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_blocking_model),
        cmocka_unit_test(test_caches_sysfs),
        cmocka_unit_test(test_blocking_env),
        cmocka_unit_test(test_pack_rows_scalar),
        ENGINE_TESTS(avx2),
        ENGINE_TESTS(avx512),
        ENGINE_TESTS(neon),
        /* Column groups: the scalar engine too (the plain ones are its
         * reference, so it has no other test here). */
        ENGINE_TEST(test_groups_same_bits, scalar),
        ENGINE_TEST(test_groups_same_bits, avx2),
        ENGINE_TEST(test_groups_same_bits, avx512),
        ENGINE_TEST(test_groups_same_bits, neon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
