/*
 * gemm_blocking.c: the cache blocking of the GEMM engines (gemm.h),
 * derived from the caches this machine reports (kernels/platform/cache.h)
 * rather than tuned on one CPU.
 *
 * The model is BLIS's (Low, Igual, Smith, Quintana-Orti, "Analytical
 * modeling is enough for high-performance BLIS", TOMS 2016), for the loop
 * order of gemm_kernel.inc: NC columns, then K slices of KC, then blocks
 * of MC rows of A packed, then NR-wide micro-panels of B, each swept
 * against every MR-row micro-panel of the A block.
 *
 *  L1: one B micro-panel (KC x NR) is reused by all the block's A
 *      micro-panels, so it should stay in L1, while each A micro-panel
 *      (MR x KC, read once per micro-kernel, in order) streams in from L2
 *      behind the hardware prefetcher. The B micro-panel gets L1:
 *          KC = L1 / (NR·4), a multiple of 8.
 *      BLIS's stricter form, KC·(NR + MR)·4 within L1 less one way (A
 *      micro-panel resident too, a way for C), gives KC = 320 on a 32 KiB
 *      8-way L1 with 6x16, and measured 5-12% slower on Zen 3 than 512 on
 *      the K = 512 products the cells run (two K slices of 256 instead of
 *      one; docs/blocking.md). Deeper is better otherwise: every K slice is
 *      one more pass over C and one more set of micro-kernel starts.
 *  L2: the packed A block (MC x KC) is reused by every B micro-panel; it
 *      gets half of L2, the other half for the B micro-panels passing
 *      through from L3 (with the next ones the prefetcher brings), the C
 *      tiles and the other side of an SMT pair:
 *          MC = L2/2 / (KC·4), rounded down to a multiple of MR.
 *  L3: the B block (KC x NC) is reused by every A block; it gets half of
 *      this CPU's share of L3 (a level shared by s CPUs counts size/s):
 *          NC = L3/s/2 / (KC·4), rounded down to a multiple of NR.
 *      The recurrent weights (B, K = H) are packed once and then read at
 *      every step; NC only splits the columns when a thread's share of B
 *      would not stay in its share of L3.
 *
 * The register tile MR x NR is not a cache question: it is the largest
 * tile whose accumulators, B vectors and one broadcast fit the ISA's
 * register file (16 ymm: 6x16; 32 zmm: 6x64; 32 NEON q: 8x12), fixed per
 * engine at compile time (kernels/<isa>/gemm_<isa>.c).
 *
 * RNNBENCH_GEMM_BLOCKING=KC,MC,NC overrides for experiments (0 or an empty
 * field keeps the derived value; run() rounds MC to MR and NC to NR and
 * caps KC at what its scratch holds). Measurements: docs/blocking.md.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "gemm.h"

/* Bounds on the model's KC: a large L1 (64 KiB and a narrow tile) would
 * ask for slices deeper than any product here (1024 and 512 measured the
 * same on K = 2048), and a tiny one must still leave a usable slice. */
#define RB_GEMM_KC_MODEL_MAX 1024
#define RB_GEMM_KC_MODEL_MIN 16

rb_gemm_blocking rb_gemm_blocking_derive(const rb_caches *c, int mr, int nr)
{
    const size_t f = sizeof(float);
    if (mr < 1) mr = 1;
    if (nr < 1) nr = 1;

    size_t kc = c->l1d.size / ((size_t)nr * f);
    kc = kc / 8 * 8; /* whole 32-byte groups of a row-major A micro-panel row */
    if (kc < RB_GEMM_KC_MODEL_MIN) kc = RB_GEMM_KC_MODEL_MIN;
    if (kc > RB_GEMM_KC_MODEL_MAX) kc = RB_GEMM_KC_MODEL_MAX;

    size_t mc = c->l2.size / 2 / (kc * f) / (size_t)mr * (size_t)mr;
    if (mc < (size_t)mr) mc = (size_t)mr;
    if (mc > 1u << 20) mc = 1u << 20;

    const size_t share = c->l3.size / (size_t)(c->l3.shared_by > 0 ? c->l3.shared_by : 1);
    size_t nc = share / 2 / (kc * f) / (size_t)nr * (size_t)nr;
    if (nc < (size_t)nr) nc = (size_t)nr;
    if (nc > 1u << 24) nc = 1u << 24;

    return (rb_gemm_blocking){.kc = (int)kc, .mc = (int)mc, .nc = (int)nc};
}

/* RNNBENCH_GEMM_BLOCKING, parsed once: a field <= 0 keeps the model's. */
static rb_gemm_blocking env_blocking;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void read_env(void)
{
    const char *v = getenv("RNNBENCH_GEMM_BLOCKING");
    if (!v || !*v) return;
    int f[3] = {0, 0, 0}, n = 0, bad = 0;
    const char *s = v;
    while (n < 3) { /* fields separated by commas; an empty one reads 0 */
        long x = 0;
        if (*s != ',' && *s != '\0') {
            char *end;
            x = strtol(s, &end, 10);
            if (end == s || x < 0 || x > 1L << 24) {
                bad = 1;
                break;
            }
            s = end;
        }
        f[n++] = (int)x;
        if (*s != ',') break;
        s++;
    }
    if (bad || *s != '\0') {
        fprintf(stderr, "rnnbench: ignoring RNNBENCH_GEMM_BLOCKING=%s (expected KC,MC,NC, "
                        "non-negative integers, 0 or empty for the derived value)\n", v);
        return;
    }
    env_blocking = (rb_gemm_blocking){.kc = f[0], .mc = f[1], .nc = f[2]};
}

rb_gemm_blocking rb_gemm_blocking_for(int mr, int nr)
{
    rb_gemm_blocking b = rb_gemm_blocking_derive(rb_caches_detect(), mr, nr);
    pthread_once(&env_once, read_env);
    if (env_blocking.kc > 0) b.kc = env_blocking.kc;
    if (env_blocking.mc > 0) b.mc = env_blocking.mc;
    if (env_blocking.nc > 0) b.nc = env_blocking.nc;
    return b;
}
