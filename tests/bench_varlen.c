/*
 * bench_varlen.c: what variable lengths cost a variant, against full
 * length at the same T (issue 10, "Fast variants": the time should come
 * close to Σlen/(N·T) of the full-length time). Not a cmocka test (the name
 * keeps it out of the Makefile's tests/test_*.c rule); build it by hand
 * after `make`:
 *
 *   gcc -std=c11 -O2 -fopenmp -D_GNU_SOURCE tests/bench_varlen.c \
 *       build/librnnbench.a -o build/bench_varlen -lm $(pkg-config --libs hwloc) \
 *       [-ldnnl -lopenblas -lstdc++ when the build found them]
 *   build/bench_varlen [variant [cell [T N I H [reps [seed [threads]]]]]]
 *   (avx2 lstm 50 64 256 256, 15 repetitions, seed 1, 1 thread by default)
 *
 * Lengths are uniform in [1, T], drawn from the seed. Two plans of the same
 * variant, full length and those lengths, each run `reps` times in turn
 * (full, varlen, full, varlen, ...: a machine shared with others slows both
 * alike), for inference (forward without a workspace) and for training
 * (forward with a workspace, then backward). Reported: the medians of the
 * wall time and of the thread's CPU time (the CPU time leaves out time
 * other tenants took from a 1-thread run), their ratio varlen / full, and
 * Σlen/(N·T), the ratio that no work on padding would give with no
 * overhead. The varlen run includes the network driver's packing and
 * sorting (variants/network.c); the full-length one goes straight to the
 * layer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../harness/rng.h"
#include "../harness/tensors.h"
#include "../kernels/platform/memory.h"
#include "../variants/variant.h"

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct {
    rb_tset ts;
    void *plan;
    void *ws;
} config;

static void setup(config *c, const rb_variant *v, const rb_shape *s, int threads)
{
    char err[256];
    rb_problem p = {.s = *s, .threads = threads};
    const char *why = rb_variant_why_not(v, &p);
    if (why) {
        fprintf(stderr, "bench_varlen: %s: %s\n", v->name, why);
        exit(2);
    }
    if (rb_tset_alloc(&c->ts, s, err, sizeof err) != 0) {
        fprintf(stderr, "bench_varlen: %s\n", err);
        exit(2);
    }
    rb_tset_init(&c->ts, 1);
    c->plan = v->ops->plan_create(&p, err, sizeof err);
    if (!c->plan) {
        fprintf(stderr, "bench_varlen: %s\n", err);
        exit(2);
    }
    const size_t wsb = v->ops->workspace_bytes(&p);
    c->ws = rb_alloc(wsb ? wsb : 64);
    memset(c->ws, 0, wsb ? wsb : 64);
    v->ops->set_params(c->plan, &c->ts.t);
}

/* One run: inference (train = 0) or training forward + backward. */
static void run(const rb_variant *v, config *c, int train, double *wall, double *cpu)
{
    const double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
    if (train) {
        v->ops->forward(c->plan, &c->ts.t, c->ws);
        v->ops->backward(c->plan, &c->ts.t, c->ws);
    } else {
        v->ops->forward(c->plan, &c->ts.t, NULL);
    }
    *cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
    *wall = now(CLOCK_MONOTONIC) - w0;
}

int main(int argc, char **argv)
{
    const char *vname = argc > 1 ? argv[1] : "avx2";
    const char *cname = argc > 2 ? argv[2] : "lstm";
    rb_shape s = {.cell = RB_LSTM, .T = 50, .N = 64, .I = 256, .H = 256};
    if (argc > 6) {
        s.T = atoi(argv[3]);
        s.N = atoi(argv[4]);
        s.I = atoi(argv[5]);
        s.H = atoi(argv[6]);
    }
    const int reps = argc > 7 ? atoi(argv[7]) : 15;
    const uint64_t seed = argc > 8 ? strtoull(argv[8], NULL, 10) : 1;
    const int threads = argc > 9 ? atoi(argv[9]) : 1;
    const rb_variant *v = rb_variant_find(vname);
    if (!v || rb_cell_parse(cname, &s.cell) != 0 || s.T < 1 || s.N < 1 || s.I < 1 || s.H < 1 || reps < 1 ||
        reps > 1000 || threads < 1) {
        fprintf(stderr, "bench_varlen: usage: bench_varlen [variant [cell [T N I H [reps [seed [threads]]]]]]\n");
        return 2;
    }
    int *len = malloc(sizeof(int) * (size_t)s.N);
    rb_rng r = rb_rng_stream(seed, 0x7e57);
    long long tokens = 0;
    for (int n = 0; n < s.N; n++) {
        len[n] = 1 + (int)(rb_rng_next(&r) % (uint64_t)s.T);
        tokens += len[n];
    }
    rb_shape sv = s;
    sv.lengths = len;

    config full, var;
    setup(&full, v, &s, threads);
    setup(&var, v, &sv, threads);
    const double expect = (double)tokens / ((double)s.N * s.T);
    printf("%s %s T=%d N=%d I=%d H=%d threads=%d, lengths uniform in [1, T] (seed %llu): "
           "sum(len)/(N*T) = %.4f\n",
           v->name, rb_cell_name(s.cell), s.T, s.N, s.I, s.H, threads, (unsigned long long)seed, expect);
    printf("%d interleaved repetitions each, medians:\n", reps);
    printf("%-24s %12s %12s %10s %12s %12s %10s\n", "pass", "full wall ms", "var wall ms", "ratio",
           "full cpu ms", "var cpu ms", "ratio");
    double *fw = malloc(sizeof(double) * (size_t)reps * 4), *vw = fw + reps, *fc = vw + reps, *vc = fc + reps;
    for (int train = 0; train <= 1; train++) {
        double w, c;
        run(v, &full, train, &w, &c); /* warm-up */
        run(v, &var, train, &w, &c);
        for (int k = 0; k < reps; k++) {
            run(v, &full, train, &fw[k], &fc[k]);
            run(v, &var, train, &vw[k], &vc[k]);
        }
        const double mfw = median(fw, reps), mvw = median(vw, reps), mfc = median(fc, reps), mvc = median(vc, reps);
        printf("%-24s %12.2f %12.2f %10.3f %12.2f %12.2f %10.3f\n",
               train ? "forward+backward (train)" : "forward (inference)", 1e3 * mfw, 1e3 * mvw, mvw / mfw,
               1e3 * mfc, 1e3 * mvc, mvc / mfc);
    }
    free(fw);
    free(len);
    return 0;
}
