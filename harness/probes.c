/*
 * probes.c: the measured compute ceiling: the fp32 FMA probe of the best
 * ISA rnnbench may use (after RNNBENCH_ISA), timed here: calibrated to
 * about `seconds` a run, best of `runs`; on all cores, every thread runs
 * the same count between two barriers and the wall time of the slowest
 * counts. The vector probe bodies live in kernels/<isa>/peak_<isa>.c
 * (they need the ISA's flags, kernels/peak.h); the scalar baseline, which
 * needs none, and the choice between them are here, the one place that
 * knows every probe. The bandwidth probe is bandwidth.c.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* clock_gettime, CLOCK_THREAD_CPUTIME_ID */
#endif

#include "probes.h"

#include <omp.h>
#include <time.h>

#include "../kernels/peak.h"

/* ---------------------------------------------------------------- probes */

/* Written, never read: the result the scalar loop must produce. */
static volatile float scalar_sink;

/* The no-ISA-flags baseline, the same contract as the probes of
 * kernels/peak.h: without -mfma it is a multiply and an add (still 2
 * FLOPs), whatever the compiler makes of it at -O2. acc = acc*x + y, not
 * acc + x*y: without FMA, x*y would be hoisted out of the loop and only
 * the adds would remain. x < 1 keeps every chain converging to
 * y/(1-x) = 0.1, far from overflow and subnormals. 8 chains cover add
 * latency on any core. */
static double peak_fma_flops__scalar(long iters)
{
    static volatile float xv = 0.999f, yv = 1.0e-4f;
    const float x = xv, y = yv;
    float c0 = 0, c1 = 1, c2 = 2, c3 = 3, c4 = 4, c5 = 5, c6 = 6, c7 = 7;

    for (long i = 0; i < iters; i++) {
        c0 = c0 * x + y; c1 = c1 * x + y; c2 = c2 * x + y; c3 = c3 * x + y;
        c4 = c4 * x + y; c5 = c5 * x + y; c6 = c6 * x + y; c7 = c7 * x + y;
    }
    scalar_sink = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
    return (double)iters * 8 * 2;
}

typedef double (*peak_fn)(long iters);

/* The probe of isa, or NULL when this build has none or the CPU lacks it. */
static peak_fn probe_for(rb_isa isa)
{
    if (!rb_cpu_has_hw(isa))
        return NULL;
    switch (isa) {
    case RB_ISA_SCALAR: return peak_fma_flops__scalar;
#if defined(__x86_64__)
    case RB_ISA_AVX2: return rb_peak_fma_flops__avx2;
    case RB_ISA_AVX512: return rb_peak_fma_flops__avx512;
#endif
#if defined(__aarch64__)
    case RB_ISA_NEON: return rb_peak_fma_flops__neon;
#endif
    default: return NULL;
    }
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One timed run on `threads` threads; returns wall seconds, sets *flops
 * and *share: the smallest fraction of that wall time any thread spent on
 * a CPU (1.0 on an idle machine; 0.5 when another process shares a core). */
static double probe_once(peak_fn fn, long iters, int threads, double *flops,
                         double *share)
{
    double t0 = 0.0, t1 = 0.0, sum = 0.0, cpu_min = 1e300;

#pragma omp parallel num_threads(threads) reduction(+ : sum) reduction(min : cpu_min)
    {
        /* Start together and stop when the last thread is done. */
#pragma omp barrier
#pragma omp master
        t0 = omp_get_wtime();
#pragma omp barrier
        const double c0 = thread_cpu_seconds();
        sum += fn(iters);
        cpu_min = thread_cpu_seconds() - c0;
#pragma omp barrier
#pragma omp master
        t1 = omp_get_wtime();
    }
    *flops = sum;
    *share = t1 > t0 ? cpu_min / (t1 - t0) : 0.0;
    return t1 - t0;
}

double rb_measure_peak_gflops(rb_isa isa, int threads, double seconds, int runs,
                              double *cpu_share)
{
    peak_fn fn = probe_for(isa);
    double flops, t, share, best = 0.0, best_share = 0.0;
    long iters = 1024;

    if (cpu_share)
        *cpu_share = 0.0;
    if (!fn)
        return 0.0;
    if (threads < 1)
        threads = 1;
    if (runs < 1)
        runs = 1;
    if (!(seconds > 0.0))
        seconds = 0.05;

    /* Calibrate on one thread, free of barriers and thread start-up: double
     * until the faster of two runs takes a tenth of the target, then scale
     * to the target. Taking the faster of two keeps one preempted run from
     * stopping the doubling early (it once left runs so short that barrier
     * waits on a busy machine were all that was timed). Every thread then
     * does the same count. */
    for (;;) {
        double ta = probe_once(fn, iters, 1, &flops, &share);
        double tb = probe_once(fn, iters, 1, &flops, &share);
        t = ta < tb ? ta : tb;
        if (t >= seconds * 0.1 || iters > (1L << 40))
            break;
        iters *= 2;
    }
    if (t > 0.0)
        iters = (long)((double)iters * seconds / t) + 1;

    for (int r = 0; r < runs; r++) {
        t = probe_once(fn, iters, threads, &flops, &share);
        if (t > 0.0 && flops / t * 1e-9 > best) {
            best = flops / t * 1e-9;
            best_share = share;
        }
    }
    if (cpu_share)
        *cpu_share = best_share;
    return best;
}
