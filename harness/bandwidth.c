/*
 * bandwidth.c: the measured memory ceiling, a STREAM-triad-like loop
 * a[i] = b[i] + s*c[i] over three arrays far larger than the last-level
 * cache (see rb_measure_triad_gbs in probes.h).
 *
 * Bytes counted: 12 per element (read b and c, write a), as STREAM counts.
 * The write-allocate read of a (the line is read before it is overwritten,
 * unless the stores stream) is NOT counted, so the true DRAM traffic is up
 * to 16/12 of what is reported; this keeps the number comparable with
 * published STREAM results.
 *
 * Pages are first touched by the same static schedule the triad uses, so
 * on a NUMA machine each thread's block lives on its own node.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* clock_gettime, CLOCK_THREAD_CPUTIME_ID */
#endif

#include "probes.h"

#include <omp.h>
#include <stdlib.h>
#include <time.h>

/* Written, never read: a result the timed loops must produce. */
static volatile float triad_sink;

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One triad pass; returns wall seconds and sets *share, the smallest
 * fraction of them a thread spent on a CPU (its wait at the closing
 * barrier spins, so counts as on-CPU: only preemption lowers it). */
static double triad(float *restrict a, const float *restrict b,
                    const float *restrict c, float s, long n, int threads,
                    double *share)
{
    double cpu_min = 1e300;
    const double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(min : cpu_min)
    {
        const double c0 = thread_cpu_seconds();
#pragma omp for simd schedule(static)
        for (long i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        cpu_min = thread_cpu_seconds() - c0;
    }
    const double t = omp_get_wtime() - t0;
    *share = t > 0.0 ? cpu_min / t : 0.0;
    return t;
}

double rb_measure_triad_gbs(size_t n, int threads, int runs, double *cpu_share)
{
    /* aligned_alloc wants a size that is a multiple of the alignment */
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *a = aligned_alloc(64, bytes);
    float *b = aligned_alloc(64, bytes);
    float *c = aligned_alloc(64, bytes);
    const long nn = (long)n;
    double best = 0.0, best_share = 0.0, share;

    if (cpu_share)
        *cpu_share = 0.0;
    if (threads < 1)
        threads = 1;
    if (runs < 1)
        runs = 1;
    if (!a || !b || !c || n == 0) {
        free(a), free(b), free(c);
        return 0.0;
    }

#pragma omp parallel for simd schedule(static) num_threads(threads)
    for (long i = 0; i < nn; i++) {
        a[i] = 0.0f;
        b[i] = 1.0f;
        c[i] = 2.0f;
    }

    /* Run 0 is a warm-up (thread pool, TLB) and is not timed. */
    for (int r = 0; r <= runs; r++) {
        const float s = 0.5f + 0.125f * (float)(r & 3); /* not loop-invariant */
        const double t = triad(a, b, c, s, nn, threads, &share);
        if (r > 0 && t > 0.0 && 12.0 * (double)n / t * 1e-9 > best) {
            best = 12.0 * (double)n / t * 1e-9;
            best_share = share;
        }
    }
    triad_sink = a[n / 2];
    free(a), free(b), free(c);
    if (cpu_share)
        *cpu_share = best_share;
    return best;
}
