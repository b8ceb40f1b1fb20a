/*
 * bench_gemm.c: single-thread speed of an rb_gemm engine on the shapes an
 * LSTM layer (T = 50, N = 64, I = H = 512) feeds it. Not a cmocka test (the
 * name keeps it out of the Makefile's tests/test_*.c rule); build it by hand
 * after `make`:
 *
 *   gcc -std=c11 -O2 -fopenmp -D_GNU_SOURCE tests/bench_gemm.c \
 *       build/librnnbench.a -o build/bench_gemm -lm
 *   taskset -c 1 build/bench_gemm [isa [seconds per shape [shape index]]]
 *   (isa avx512, 1 s, every shape by default)
 *   taskset -c 1 build/bench_gemm isa --compare [rounds]
 *   (the old fixed blocking against this machine's, interleaved; the
 *   numbers of docs/blocking.md)
 *   taskset -c 1 build/bench_gemm isa --zigzag [rounds]
 *   (small-batch step products reading B in one order or alternating,
 *   variants/fast/zigzag.inc; docs/small-batch.md)
 *   taskset -c 1 build/bench_gemm isa --hoisted [rounds]
 *   (the hoisted products of the small-batch cells, as the fast variants
 *   call them, beside two large products; docs/small-batch.md)
 *   taskset -c 1 build/bench_gemm isa --slices [rounds]
 *   (the backward's per-step dh products, derived KC against one K slice)
 *   taskset -c 1 build/bench_gemm isa --groups [rounds]
 *   (a recurrent step as one product per gate or as one grouped product,
 *   gemm.h's column groups; docs/small-batch.md)
 *
 * Three figures per shape, because the 2-core VM this was tuned on is
 * shared: other tenants take the core away (wall time lies) and the clock
 * moves between ~3.2 and ~4 GHz (GFLOP/s moves with it).
 *   eff     FLOPs per core cycle (Linux perf cycle counter of this thread)
 *           over the FLOPs per cycle of the register-only FMA probe of
 *           kernels/peak.h measured the same way: the fraction of peak,
 *           independent of the clock and of time stolen by others.
 *   GFLOP/s 2*M*Ncols*K (the GEMM count of EQUATIONS.md) over this
 *           thread's CPU time; median and best of the timed batches.
 * Without access to the cycle counter (perf_event_paranoid) eff is n/a.
 * Operands hold deterministic values in (-1, 1); one warm-up batch, then
 * batches of calls (~3 ms each) until the time per shape is spent. run()
 * includes packing A; "+pack_b" rows also pack op(B) on every call, as the
 * weight-gradient product must.
 */
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../kernels/platform/cpu.h"
#include "../kernels/gemm/gemm.h"
#include "../kernels/peak.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The core-cycle counter of this thread, -1 if the kernel refuses it. */
static int cycles_fd = -1;

static void cycles_open(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    cycles_fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static double cycles_now(void)
{
    uint64_t v = 0;
    if (cycles_fd < 0 || read(cycles_fd, &v, sizeof v) != (ssize_t)sizeof v) return 0;
    return (double)v;
}

static float *alloc_fill(size_t n, unsigned seed)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    unsigned s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)((double)(s >> 8) / (double)(1u << 24) * 2.0 - 1.0);
    }
    return p;
}

typedef struct {
    const char *what;
    int M, Ncols, K, a_trans, b_trans, pack_each_call;
} shape;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Two configurations timed in nr interleaved rounds (x[c][r]): sorts each
 * sample and prints "  name median [min-max]" for both (values with prec
 * decimals in width columns). The caller prints its ratio of x[.][nr/2]. */
enum { AB_MAXR = 64 };
static void ab_print(double x[2][AB_MAXR], int nr, const char *name0, const char *name1, int width, int prec)
{
    for (int c = 0; c < 2; c++) {
        qsort(x[c], (size_t)nr, sizeof x[c][0], cmp_double);
        printf("  %s %*.*f [%*.*f-%*.*f]", c ? name1 : name0, width, prec, x[c][nr / 2], width, prec, x[c][0], width,
               prec, x[c][nr - 1]);
    }
}

/* The FMA probe for this ISA; NULL for scalar (its probe lives in
 * harness/probes.c, static there). */
static double (*probe_for(const char *isa))(long)
{
#if defined(__x86_64__)
    if (strcmp(isa, "avx2") == 0) return rb_peak_fma_flops__avx2;
    if (strcmp(isa, "avx512") == 0) return rb_peak_fma_flops__avx512;
#endif
#if defined(__aarch64__)
    if (strcmp(isa, "neon") == 0) return rb_peak_fma_flops__neon;
#endif
    (void)isa;
    return NULL;
}

/* Peak FLOPs per cycle (best of 20 probe runs of ~10 ms) and GFLOP/s. */
static void probe_peak(double (*probe)(long), double *flop_per_cycle, double *gflops)
{
    *flop_per_cycle = *gflops = 0;
    if (!probe) return;
    long iters = 1000;
    for (;;) {
        double t0 = cpu_s();
        probe(iters);
        if (cpu_s() - t0 > 0.01) break;
        iters *= 2;
    }
    for (int r = 0; r < 20; r++) {
        double c0 = cycles_now(), t0 = cpu_s();
        double f = probe(iters);
        double c = cycles_now() - c0, t = cpu_s() - t0;
        if (c > 0 && f / c > *flop_per_cycle) *flop_per_cycle = f / c;
        if (f / t * 1e-9 > *gflops) *gflops = f / t * 1e-9;
    }
}

static double g_peak_fpc; /* probe FLOPs per cycle, 0 if unknown */

static void bench(const rb_gemm *g, const shape *s, double seconds)
{
    const int M = s->M, N = s->Ncols, K = s->K;
    /* op(A) is M x K: stored [M][K] (lda = K) or [K][M] (lda = M). */
    const int lda = s->a_trans ? M : K;
    const int ldb = s->b_trans ? K : N;
    float *A = alloc_fill((size_t)M * K, 1);
    float *B = alloc_fill((size_t)K * N, 2);
    float *C = alloc_fill((size_t)M * N, 3);
    float *Bp = alloc_fill(g->packed_floats(K, N) + 1, 4);
    const unsigned how_b = s->b_trans ? RB_TRANS_B : RB_NO_TRANS;
    g->pack_b(Bp, K, N, B, ldb, how_b);
    const rb_gemm_op prod = {.C = C, .ldc = N, .M = M, .j1 = N, .A = A, .lda = lda, .K = K, .Bp = Bp, .Ncols = N,
                             .flags = RB_GEMM_OVERWRITE | (s->a_trans ? RB_TRANS_A : 0)};

    const double flop = 2.0 * M * N * K;
    int calls = 1; /* per batch: ~3 ms, long enough for both clocks */
    for (;;) {
        double t0 = cpu_s();
        for (int c = 0; c < calls; c++) {
            if (s->pack_each_call) g->pack_b(Bp, K, N, B, ldb, how_b);
            g->run(&prod);
        }
        if (cpu_s() - t0 > 3e-3 || calls > (1 << 20)) break;
        calls *= 2;
    }
    enum { MAXB = 2000 };
    static double rate[MAXB], fpc[MAXB];
    int nb = 0;
    const double t_end = cpu_s() + seconds;
    while (nb < MAXB && (nb < 5 || cpu_s() < t_end)) {
        double c0 = cycles_now(), t0 = cpu_s();
        for (int c = 0; c < calls; c++) {
            if (s->pack_each_call) g->pack_b(Bp, K, N, B, ldb, how_b);
            g->run(&prod);
        }
        double cyc = cycles_now() - c0, t = cpu_s() - t0;
        rate[nb] = flop * calls / t * 1e-9;
        fpc[nb] = cyc > 0 ? flop * calls / cyc : 0;
        nb++;
    }
    qsort(rate, (size_t)nb, sizeof rate[0], cmp_double);
    qsort(fpc, (size_t)nb, sizeof fpc[0], cmp_double);
    char eff[32] = "n/a";
    if (g_peak_fpc > 0 && fpc[nb / 2] > 0)
        snprintf(eff, sizeof eff, "%5.1f%%", 100.0 * fpc[nb / 2] / g_peak_fpc);
    printf("%-36s M=%-4d N=%-4d K=%-4d  eff %s  %6.1f GFLOP/s median, %6.1f best (%d x %d calls)\n",
           s->what, M, N, K, eff, rate[nb / 2], rate[nb - 1], nb, calls);

    if (s->pack_each_call) { /* packing speed on its own */
        double t0 = cpu_s();
        int reps = 0;
        do {
            g->pack_b(Bp, K, N, B, ldb, s->b_trans ? RB_TRANS_B : RB_NO_TRANS);
            reps++;
        } while (cpu_s() - t0 < 0.2);
        double t = (cpu_s() - t0) / reps;
        printf("%-36s %.3f ms per pack_b (%.1f GB/s read)\n", "  pack_b alone", t * 1e3,
               (double)K * N * sizeof(float) / t * 1e-9);
    }
    free(A);
    free(B);
    free(C);
    free(Bp);
}

/* ------------------------------------------------ --compare: blockings */

/* One round: GFLOP/s (thread CPU time) of `calls` products, best of 3
 * batches (a batch another tenant interrupted reads low, never high). */
static double round_rate(const rb_gemm *g, const rb_gemm_op *op, double flop, int calls)
{
    double best = 0;
    for (int b = 0; b < 3; b++) {
        const double t0 = cpu_s();
        for (int c = 0; c < calls; c++) g->run(op);
        const double r = flop * calls / (cpu_s() - t0) * 1e-9;
        if (r > best) best = r;
    }
    return best;
}

/* The fixed blocking every engine used before the cache model. */
static const rb_gemm_blocking old_fixed = {.kc = 512, .mc = 240, .nc = 1 << 24};

/* Old fixed blocking against this machine's (derived, or the environment's)
 * on the GEMMs the cells run, interleaved: each round measures every
 * configuration once, in an order that alternates between rounds, so
 * drift hits both alike. Prints median and min-max over the rounds. */
static void compare(const rb_gemm *g, int rounds)
{
    const rb_gemm_blocking mine = rb_gemm_blocking_for(g->mr, g->nr);
    const rb_caches *ca = rb_caches_detect();
    printf("caches (%s): L1d %zu KiB %d-way, L2 %zu KiB %d-way, L3 %zu KiB shared by %d\n", ca->source,
           ca->l1d.size / 1024, ca->l1d.ways, ca->l2.size / 1024, ca->l2.ways, ca->l3.size / 1024, ca->l3.shared_by);
    printf("old fixed KC %d MC %d NC -; derived KC %d MC %d NC %d; %d rounds, GFLOP/s median [min-max]\n",
           old_fixed.kc, old_fixed.mc, mine.kc, mine.mc, mine.nc, rounds);
    const shape shapes[] = {
        {"x*W^T all steps (b_trans)", 3200, 2048, 512, 0, 1, 0},
        {"step h*U^T N=64 (b_trans)", 64, 2048, 512, 0, 1, 0},
        {"step h*U^T N=16 (b_trans)", 16, 2048, 512, 0, 1, 0},
        {"step h*U^T N=1 (b_trans)", 1, 2048, 512, 0, 1, 0},
        {"dh = dG*U N=64", 64, 512, 2048, 0, 0, 0},
        {"dW = dG^T*X (a_trans)", 2048, 512, 3200, 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        const int M = s->M, N = s->Ncols, K = s->K;
        const int lda = s->a_trans ? M : K, ldb = s->b_trans ? K : N;
        float *A = alloc_fill((size_t)M * K, 1), *B = alloc_fill((size_t)K * N, 2);
        float *C = alloc_fill((size_t)M * N, 3), *Bp = alloc_fill(g->packed_floats(K, N) + 1, 4);
        g->pack_b(Bp, K, N, B, ldb, s->b_trans ? RB_TRANS_B : RB_NO_TRANS);
        rb_gemm_op op[2];
        const rb_gemm_blocking *bks[2] = {&old_fixed, &mine};
        for (int c = 0; c < 2; c++)
            op[c] = (rb_gemm_op){.C = C, .ldc = N, .M = M, .j1 = N, .A = A, .lda = lda, .K = K, .Bp = Bp,
                                 .Ncols = N, .flags = s->a_trans ? RB_TRANS_A : 0, .blocking = bks[c]};
        const double flop = 2.0 * M * N * K;
        int calls = 1; /* ~20 ms per batch */
        for (;;) {
            const double t0 = cpu_s();
            for (int c = 0; c < calls; c++) g->run(&op[0]);
            if (cpu_s() - t0 > 0.02) break;
            calls *= 2;
        }
        double rate[2][AB_MAXR];
        const int nr = rounds < AB_MAXR ? rounds : AB_MAXR;
        for (int r = 0; r < nr; r++)
            for (int q = 0; q < 2; q++) {
                const int c = (r & 1) ? 1 - q : q;
                rate[c][r] = round_rate(g, &op[c], flop, calls);
            }
        printf("%-28s M=%-4d N=%-4d K=%-4d", s->what, M, N, K);
        ab_print(rate, nr, "old", "derived", 6, 1);
        printf("  ratio %.3f\n", rate[1][nr / 2] / rate[0][nr / 2]);
        fflush(stdout);
        free(A), free(B), free(C), free(Bp);
    }
}

/* ------------------------------------------------- --zigzag: B order */

/* Microseconds per product of `steps` consecutive products over one packed
 * B, each reading B in the same order (zig = 0) or alternately forwards and
 * backwards (RB_GEMM_REVERSE on odd steps, as the fast variants' steps do):
 * best of 3 batches. */
static double steps_us(const rb_gemm *g, rb_gemm_op op, int steps, int zig)
{
    double best = 1e30;
    for (int b = 0; b < 3; b++) {
        const double t0 = cpu_s();
        for (int t = 0; t < steps; t++) {
            op.flags = (op.flags & ~RB_GEMM_REVERSE) | (zig && (t & 1) ? RB_GEMM_REVERSE : 0u);
            g->run(&op);
        }
        const double us = (cpu_s() - t0) / steps * 1e6;
        if (us < best) best = us;
    }
    return best;
}

/* The per-step recurrent products of small batches (M = N rows; B = the
 * recurrent weights of gru_lbr and lstm at H = 256, forward h*U^T and
 * backward dh = dG*U), plain against zigzag order, interleaved rounds. */
static void zigzag(const rb_gemm *g, int rounds)
{
    const rb_caches *ca = rb_caches_detect();
    printf("L2 %zu KiB; %d rounds of 200 steps, us per step median [min-max], B read at GB/s of the median\n",
           ca->l2.size / 1024, rounds);
    const shape shapes[] = {
        {"gru_lbr fwd h*U^T N=1", 1, 768, 256, 0, 1, 0},  {"gru_lbr fwd h*U^T N=4", 4, 768, 256, 0, 1, 0},
        {"gru_lbr bwd dG*U N=1", 1, 256, 768, 0, 0, 0},   {"lstm fwd h*U^T N=1", 1, 1024, 256, 0, 1, 0},
        {"lstm bwd dG*U N=1", 1, 256, 1024, 0, 0, 0},     {"half gru_lbr (2 threads) N=1", 1, 384, 256, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        const int M = s->M, N = s->Ncols, K = s->K, ldb = s->b_trans ? K : N;
        float *A = alloc_fill((size_t)M * K, 1), *B = alloc_fill((size_t)K * N, 2);
        float *C = alloc_fill((size_t)M * N, 3), *Bp = alloc_fill(g->packed_floats(K, N) + 1, 4);
        g->pack_b(Bp, K, N, B, ldb, s->b_trans ? RB_TRANS_B : RB_NO_TRANS);
        const rb_gemm_op op = {.C = C, .ldc = N, .M = M, .j1 = N, .A = A, .lda = K, .K = K, .Bp = Bp, .Ncols = N,
                               .flags = RB_GEMM_OVERWRITE};
        double us[2][AB_MAXR];
        const int nr = rounds < AB_MAXR ? rounds : AB_MAXR;
        for (int r = 0; r < nr; r++)
            for (int q = 0; q < 2; q++) {
                const int z = (r & 1) ? 1 - q : q;
                us[z][r] = steps_us(g, op, 200, z);
            }
        printf("%-30s M=%d K=%-4d N=%-4d B %4zu KiB", s->what, M, K, N, (size_t)K * N * sizeof(float) / 1024);
        ab_print(us, nr, "plain", "zigzag", 6, 2);
        printf("  ratio %.2f  (%.1f / %.1f GB/s)\n", us[0][nr / 2] / us[1][nr / 2],
               (double)K * N * sizeof(float) / us[0][nr / 2] * 1e-3, (double)K * N * sizeof(float) / us[1][nr / 2] * 1e-3);
        fflush(stdout);
        free(A), free(B), free(C), free(Bp);
    }
}

/* ------------------------------------- --hoisted: small-batch products */

/* One product of a cell's chunk as the fast variants call it: the packings
 * it does per call (the weight gradients' B operands), then its GEMMs. */
typedef struct {
    float *Bp;
    const float *B;
    int k0, K, Ktot, Ncols, ldb;
} hoisted_pack;

typedef struct {
    char what[48];
    int npack, nops;
    hoisted_pack pack[2];
    rb_gemm_op op[4];
    double flop;
} hoisted;

static void hoisted_call(const rb_gemm *g, const hoisted *h)
{
    for (int i = 0; i < h->npack; i++) {
        const hoisted_pack *k = &h->pack[i];
        g->pack_b_rows(k->Bp, k->Ktot, k->k0, k->K, k->Ncols, k->B, k->ldb, RB_NO_TRANS);
    }
    for (int i = 0; i < h->nops; i++) g->run(&h->op[i]);
}

/* Microseconds per call: best of 3 batches of `calls`. */
static double hoisted_us(const rb_gemm *g, const hoisted *h, int calls)
{
    double best = 1e30;
    for (int b = 0; b < 3; b++) {
        const double t0 = cpu_s();
        for (int c = 0; c < calls; c++) hoisted_call(g, h);
        const double us = (cpu_s() - t0) / calls * 1e6;
        if (us < best) best = us;
    }
    return best;
}

/* The hoisted products of one layer (T steps, batch N, G gates) in one
 * chunk of R = T*N rows (backward: plan.inc's 4096-row chunk holds them
 * all): forward x·Wᵀ (one GEMM per gate into the [R][G*H] buffer), then
 * backward dx = dax·W, dweight_ih = daxᵀ·x (packing x first) and
 * dweight_hh = dahᵀ·[h0; y] (packing h0 and y into one operand, one GEMM),
 * as variants/fast/cell_fwd.inc and cell_bwd.inc call them; and
 * dweight_hh as it was before (h0 and y packed apart, a GEMM of K = N
 * storing, then one of K = R - N adding). Appends to hs. */
static int hoisted_cell(const rb_gemm *g, const char *cell, int G, int T, int N, int I, int H, hoisted *hs)
{
    const int R = T * N, GH = G * H;
    float *x = alloc_fill((size_t)R * I, 11), *y = alloc_fill((size_t)R * H, 12), *h0 = alloc_fill((size_t)N * H, 13);
    float *dax = alloc_fill((size_t)R * GH, 14), *W = alloc_fill((size_t)GH * I, 15);
    float *xp = alloc_fill((size_t)R * GH, 16), *dx = alloc_fill((size_t)R * I, 17);
    float *dW = alloc_fill((size_t)GH * I, 18), *dU = alloc_fill((size_t)GH * H, 19);
    float *wb = alloc_fill(g->packed_floats(GH, I), 20), *px = alloc_fill(g->packed_floats(R, I), 21);
    float *py = alloc_fill(g->packed_floats(R, H), 22), *ph0 = alloc_fill(g->packed_floats(N, H), 23);
    g->pack_b(wb, GH, I, W, I, RB_NO_TRANS);
    int n = 0;
    hoisted *h = &hs[n++];
    *h = (hoisted){.nops = G, .flop = 2.0 * R * GH * I};
    snprintf(h->what, sizeof h->what, "%s fwd x*W^T (%d gates)", cell, G);
    for (int q = 0; q < G; q++) {
        float *wf = alloc_fill(g->packed_floats(I, H), 30 + (unsigned)q);
        g->pack_b(wf, I, H, W + (size_t)q * H * I, I, RB_TRANS_B);
        h->op[q] = (rb_gemm_op){.C = xp + (size_t)q * H, .ldc = GH, .M = R, .j1 = H, .A = x, .lda = I, .K = I,
                                .Bp = wf, .Ncols = H, .flags = RB_GEMM_OVERWRITE};
    }
    h = &hs[n++];
    *h = (hoisted){.nops = 1, .flop = 2.0 * R * GH * I};
    snprintf(h->what, sizeof h->what, "%s bwd dx = dax*W", cell);
    h->op[0] = (rb_gemm_op){.C = dx, .ldc = I, .M = R, .j1 = I, .A = dax, .lda = GH, .K = GH, .Bp = wb,
                            .Ncols = I, .flags = RB_GEMM_OVERWRITE};
    h = &hs[n++];
    *h = (hoisted){.npack = 1, .nops = 1, .flop = 2.0 * R * GH * I};
    snprintf(h->what, sizeof h->what, "%s bwd dW_ih = dax^T*x", cell);
    h->pack[0] = (hoisted_pack){.Bp = px, .B = x, .K = R, .Ktot = R, .Ncols = I, .ldb = I};
    h->op[0] = (rb_gemm_op){.C = dW, .ldc = I, .M = GH, .j1 = I, .A = dax, .lda = GH, .K = R, .Bp = px,
                            .Ncols = I, .flags = RB_GEMM_OVERWRITE | RB_TRANS_A};
    h = &hs[n++];
    *h = (hoisted){.npack = 2, .nops = 1, .flop = 2.0 * R * GH * H};
    snprintf(h->what, sizeof h->what, "%s bwd dW_hh = dah^T*[h0;y]", cell);
    h->pack[0] = (hoisted_pack){.Bp = py, .B = h0, .K = N, .Ktot = R, .Ncols = H, .ldb = H};
    h->pack[1] = (hoisted_pack){.Bp = py, .B = y, .k0 = N, .K = R - N, .Ktot = R, .Ncols = H, .ldb = H};
    h->op[0] = (rb_gemm_op){.C = dU, .ldc = H, .M = GH, .j1 = H, .A = dax, .lda = GH, .K = R, .Bp = py,
                            .Ncols = H, .flags = RB_GEMM_OVERWRITE | RB_TRANS_A};
    py = alloc_fill(g->packed_floats(R, H), 24);
    h = &hs[n++];
    *h = (hoisted){.npack = 2, .nops = 2, .flop = 2.0 * R * GH * H};
    snprintf(h->what, sizeof h->what, "%s   before: h0, y apart", cell);
    h->pack[0] = (hoisted_pack){.Bp = ph0, .B = h0, .K = N, .Ktot = N, .Ncols = H, .ldb = H};
    h->pack[1] = (hoisted_pack){.Bp = py, .B = y, .K = R - N, .Ktot = R - N, .Ncols = H, .ldb = H};
    h->op[0] = (rb_gemm_op){.C = dU, .ldc = H, .M = GH, .j1 = H, .A = dax, .lda = GH, .K = N, .Bp = ph0,
                            .Ncols = H, .flags = RB_GEMM_OVERWRITE | RB_TRANS_A};
    h->op[1] = (rb_gemm_op){.C = dU, .ldc = H, .M = GH, .j1 = H, .A = dax + (size_t)N * GH, .lda = GH,
                            .K = R - N, .Bp = py, .Ncols = H, .flags = RB_GEMM_ACCUMULATE | RB_TRANS_A};
    return n; /* buffers live until the process ends */
}

/* One large product (the engine's speed, for comparison): op(A) M x K,
 * stored [K][M] when a_trans; op(B) K x N, stored [N][K] when b_trans. */
static hoisted large_product(const rb_gemm *g, const char *what, int M, int N, int K, int a_trans, int b_trans)
{
    float *A = alloc_fill((size_t)M * K, 1), *B = alloc_fill((size_t)K * N, 2), *C = alloc_fill((size_t)M * N, 3);
    float *Bp = alloc_fill(g->packed_floats(K, N), 4);
    g->pack_b(Bp, K, N, B, b_trans ? K : N, b_trans ? RB_TRANS_B : RB_NO_TRANS);
    hoisted h = {.nops = 1, .flop = 2.0 * M * N * K};
    snprintf(h.what, sizeof h.what, "%s", what);
    h.op[0] = (rb_gemm_op){.C = C, .ldc = N, .M = M, .j1 = N, .A = A, .lda = a_trans ? M : K, .K = K, .Bp = Bp,
                           .Ncols = N, .flags = RB_GEMM_OVERWRITE | (a_trans ? RB_TRANS_A : 0u)};
    return h; /* buffers live until the process ends */
}

/* The small-batch cells' hoisted products (docs/small-batch.md) next to
 * two large products (the engine's speed), interleaved: each round times
 * every product once (best of 3 batches of ~10 ms), the order rotated
 * between rounds. ms per product median [min-max], and the median's
 * GFLOP/s as a fraction of the FMA probe's best. */
static void hoisted_products(const rb_gemm *g, const char *isa, int rounds)
{
    enum { MAXH = 20, MAXR = 64 };
    static hoisted hs[MAXH];
    int nh = 0;
    nh += hoisted_cell(g, "lstm T100 N1 H256", 4, 100, 1, 256, 256, hs + nh);
    nh += hoisted_cell(g, "gru_lbr T100 N1 H256", 3, 100, 1, 256, 256, hs + nh);
    nh += hoisted_cell(g, "lstm T25 N4 H1024", 4, 25, 4, 1024, 1024, hs + nh);
    hs[nh++] = large_product(g, "large x*W^T M3200 N2048 K512", 3200, 2048, 512, 0, 1);
    hs[nh++] = large_product(g, "large dW a_trans M2048 N512 K3200", 2048, 512, 3200, 1, 0);
    double peak_fpc, peak;
    probe_peak(probe_for(isa), &peak_fpc, &peak);
    int calls[MAXH];
    for (int i = 0; i < nh; i++) {
        calls[i] = 1;
        for (;;) {
            const double t0 = cpu_s();
            for (int c = 0; c < calls[i]; c++) hoisted_call(g, &hs[i]);
            if (cpu_s() - t0 > 0.01) break;
            calls[i] *= 2;
        }
    }
    const int nr = rounds < MAXR ? rounds : MAXR;
    static double us[MAXH][MAXR];
    for (int r = 0; r < nr; r++)
        for (int q = 0; q < nh; q++) {
            const int i = (q + r) % nh;
            us[i][r] = hoisted_us(g, &hs[i], calls[i]);
        }
    printf("FMA probe %.1f GFLOP/s; %d rounds; ms per product median [min-max], GFLOP/s and %% of the probe "
           "at the median\n", peak, nr);
    for (int i = 0; i < nh; i++) {
        qsort(us[i], (size_t)nr, sizeof us[i][0], cmp_double);
        const double gf = hs[i].flop / us[i][nr / 2] * 1e-3;
        printf("%-40s %7.3f [%7.3f-%7.3f] ms  %6.1f GFLOP/s  %5.1f%%\n", hs[i].what, us[i][nr / 2] * 1e-3,
               us[i][0] * 1e-3, us[i][nr - 1] * 1e-3, gf, peak > 0 ? 100.0 * gf / peak : 0);
    }
}

/* ------------------------------- --slices: K slices of the step products */

/* The backward's per-step dh = dG·U of small batches (M = N rows, K = G*H,
 * RB_GEMM_REVERSE on odd steps as the fast variants run it), 100 steps per
 * batch, with the derived blocking against one K slice as deep as K
 * (kc = K): with one micro-panel of A the B slice is used once, so keeping
 * it in L1 buys nothing. Interleaved rounds, µs per step. */
static void slices(const rb_gemm *g, int rounds)
{
    const rb_gemm_blocking derived = rb_gemm_blocking_for(g->mr, g->nr);
    printf("derived KC %d; %d rounds of 100 zigzag steps, us per step median [min-max]\n", derived.kc, rounds);
    const shape shapes[] = {
        {"gru_lbr bwd dG*U N=1 H=256", 1, 256, 768, 0, 0, 0}, {"lstm bwd dG*U N=1 H=256", 1, 256, 1024, 0, 0, 0},
        {"lstm bwd dG*U N=4 H=256", 4, 256, 1024, 0, 0, 0},   {"lstm bwd dG*U N=4 H=1024", 4, 1024, 4096, 0, 0, 0},
        {"lstm bwd dG*U N=6 H=256", 6, 256, 1024, 0, 0, 0},   {"lstm bwd dG*U N=8 H=256", 8, 256, 1024, 0, 0, 0},
        {"lstm bwd dG*U N=12 H=256", 12, 256, 1024, 0, 0, 0},
        {"lstm fwd h*U_g^T N=4 H=1024", 4, 1024, 1024, 0, 0, 0}, {"lstm fwd h*U_g^T N=1 H=1024", 1, 1024, 1024, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        const int M = s->M, N = s->Ncols, K = s->K;
        float *A = alloc_fill((size_t)M * K, 1), *B = alloc_fill((size_t)K * N, 2);
        float *C = alloc_fill((size_t)M * N, 3), *Bp = alloc_fill(g->packed_floats(K, N) + 1, 4);
        g->pack_b(Bp, K, N, B, N, RB_NO_TRANS);
        const rb_gemm_blocking deep = {.kc = K, .mc = derived.mc, .nc = derived.nc};
        const rb_gemm_blocking *bks[2] = {&derived, &deep};
        double us[2][AB_MAXR];
        const int nr = rounds < AB_MAXR ? rounds : AB_MAXR;
        for (int r = 0; r < nr; r++)
            for (int q = 0; q < 2; q++) {
                const int c = (r & 1) ? 1 - q : q;
                const rb_gemm_op op = {.C = C, .ldc = N, .M = M, .j1 = N, .A = A, .lda = K, .K = K, .Bp = Bp,
                                       .Ncols = N, .flags = RB_GEMM_ACCUMULATE, .blocking = bks[c]};
                us[c][r] = steps_us(g, op, 100, 1);
            }
        printf("%-28s M=%d K=%-4d N=%-4d", s->what, M, K, N);
        ab_print(us, nr, "derived", "kc=K", 7, 2);
        printf("  ratio %.3f\n", us[0][nr / 2] / us[1][nr / 2]);
        fflush(stdout);
        free(A), free(B), free(C), free(Bp);
    }
}

/* ------------------------------------------ --groups: one step's gates */

/* Microseconds per step of `steps` steps, each h*U_g^T for the G gates of
 * w columns as G plain products (grouped = 0, as the forward did before)
 * or one grouped product, zigzag order as the fast variants run it: best
 * of 3 batches. */
static double gate_steps_us(const rb_gemm *g, rb_gemm_op op, int G, int steps, int grouped)
{
    const size_t pf = g->packed_floats(op.K, op.Ncols);
    double best = 1e30;
    for (int b = 0; b < 3; b++) {
        const double t0 = cpu_s();
        for (int t = 0; t < steps; t++) {
            rb_gemm_op o = op;
            o.flags |= t & 1 ? RB_GEMM_REVERSE : 0u;
            if (grouped) {
                o.groups = G;
                g->run(&o);
            } else
                for (int q = 0; q < G; q++) {
                    const int gate = t & 1 ? G - 1 - q : q;
                    o.C = op.C + (size_t)gate * op.group_ldc;
                    o.Bp = op.Bp + (size_t)gate * pf;
                    g->run(&o);
                }
        }
        const double us = (cpu_s() - t0) / steps * 1e6;
        if (us < best) best = us;
    }
    return best;
}

/* The forward step's recurrent product of the cells rnnbench's small and
 * large batch points run (M = N rows, K = H, G gates of w = H units, or
 * w = H/2 for one of 2 threads), per gate against grouped, interleaved. */
static void groups(const rb_gemm *g, int rounds)
{
    typedef struct {
        const char *what;
        int G, M, K, w, steps;
    } gshape;
    const gshape shapes[] = {
        {"lstm H=256 N=1", 4, 1, 256, 256, 200},      {"gru_lbr H=256 N=1", 3, 1, 256, 256, 200},
        {"lstm H=256 N=1 half", 4, 1, 256, 128, 200}, {"gru_lbr H=256 N=1 half", 3, 1, 256, 128, 200},
        {"lstm H=1024 N=4", 4, 4, 1024, 1024, 20},    {"lstm H=1024 N=4 half", 4, 4, 1024, 512, 40},
        {"lstm H=512 N=64", 4, 64, 512, 512, 10},     {"lstm H=512 N=64 half", 4, 64, 512, 256, 20},
    };
    printf("%d rounds, us per step median [min-max] (thread CPU time, best of 3 batches)\n", rounds);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const gshape *s = &shapes[i];
        const int GH = s->G * s->K; /* C rows hold all G*H gate columns, as xproj does */
        const size_t pf = g->packed_floats(s->K, s->w);
        float *A = alloc_fill((size_t)s->M * s->K, 1), *B = alloc_fill((size_t)s->G * s->w * s->K, 2);
        float *C = alloc_fill((size_t)s->M * GH, 3), *Bp = alloc_fill((size_t)s->G * pf + 1, 4);
        for (int q = 0; q < s->G; q++)
            g->pack_b(Bp + (size_t)q * pf, s->K, s->w, B + (size_t)q * s->w * s->K, s->K, RB_TRANS_B);
        const rb_gemm_op op = {.C = C, .ldc = GH, .M = s->M, .j1 = s->w, .A = A, .lda = s->K, .K = s->K,
                               .Bp = Bp, .Ncols = s->w, .flags = RB_GEMM_OVERWRITE, .group_ldc = s->K};
        double us[2][AB_MAXR];
        const int nr = rounds < AB_MAXR ? rounds : AB_MAXR;
        for (int r = 0; r < nr; r++)
            for (int q = 0; q < 2; q++) {
                const int gr = (r & 1) ? 1 - q : q;
                us[gr][r] = gate_steps_us(g, op, s->G, s->steps, gr);
            }
        printf("%-24s G=%d M=%-2d K=%-4d w=%-4d U %5zu KiB", s->what, s->G, s->M, s->K, s->w,
               (size_t)s->G * s->w * s->K * sizeof(float) / 1024);
        ab_print(us, nr, "per-gate", "grouped", 8, 2);
        printf("  ratio %.2f\n", us[0][nr / 2] / us[1][nr / 2]);
        fflush(stdout);
        free(A), free(B), free(C), free(Bp);
    }
}

/* The interleaved A/B modes: name, what runs, default rounds. */
typedef struct {
    const char *flag;
    void (*run)(const rb_gemm *g, const char *isa, int rounds);
    int rounds;
} ab_mode;
static void run_compare(const rb_gemm *g, const char *isa, int r) { (void)isa, compare(g, r); }
static void run_zigzag(const rb_gemm *g, const char *isa, int r) { (void)isa, zigzag(g, r); }
static void run_groups(const rb_gemm *g, const char *isa, int r) { (void)isa, groups(g, r); }
static void run_slices(const rb_gemm *g, const char *isa, int r) { (void)isa, slices(g, r); }
static const ab_mode modes[] = {
    {"--compare", run_compare, 11}, {"--zigzag", run_zigzag, 9},         {"--groups", run_groups, 9},
    {"--slices", run_slices, 9},    {"--hoisted", hoisted_products, 7},
};

int main(int argc, char **argv)
{
    const char *isa = argc > 1 ? argv[1] : "avx512";
    const ab_mode *mode = NULL;
    for (size_t i = 0; argc > 2 && i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(argv[2], modes[i].flag) == 0) mode = &modes[i];
    const double seconds = argc > 2 && !mode ? atof(argv[2]) : 1.0;
    const int only = argc > 3 ? atoi(argv[3]) : -1;
    const rb_gemm *g = rb_gemm_for_isa(isa);
    rb_isa id;
    if (!g || rb_isa_parse(isa, &id) != 0) {
        fprintf(stderr, "no %s engine in this build\n", isa);
        return 1;
    }
    if (!rb_cpu_has_hw(id)) {
        fprintf(stderr, "this CPU cannot run %s\n", isa);
        return 1;
    }
    if (mode) {
        printf("engine %s (MR %d x NR %d), 1 thread\n", g->name, g->mr, g->nr);
        mode->run(g, isa, argc > 3 ? atoi(argv[3]) : mode->rounds);
        return 0;
    }
    cycles_open();
    double peak_gflops;
    probe_peak(probe_for(isa), &g_peak_fpc, &peak_gflops);
    printf("engine %s (MR %d x NR %d), 1 thread; FMA probe: %.1f FLOP/cycle%s, %.1f GFLOP/s best\n",
           g->name, g->mr, g->nr, g_peak_fpc, cycles_fd < 0 ? " (no cycle counter)" : "",
           peak_gflops);
    const shape shapes[] = {
        {"1 fwd step h*U^T (b_trans)", 64, 2048, 512, 0, 1, 0},
        {"2 input proj x*W^T (b_trans)", 3200, 2048, 512, 0, 1, 0},
        {"3 bwd dh = dG*U", 64, 512, 2048, 0, 0, 0},
        {"4 dW = dG^T*X (a_trans) +pack_b", 2048, 512, 3200, 1, 0, 1},
        {"4 dW = dG^T*X (a_trans) prepacked", 2048, 512, 3200, 1, 0, 0},
        {"5 gemv-like M=1", 1, 1024, 256, 0, 1, 0},
        {"5 small batch M=4", 4, 1024, 256, 0, 1, 0},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (only < 0 || (size_t)only == i) bench(g, &shapes[i], seconds);
    return 0;
}
