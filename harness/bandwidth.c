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

/* ------------------------------------------------------- read bandwidth */

/* Sums n floats (n a multiple of 64) with eight independent 8-lane
 * accumulators, so that loads, not add latency, bound the loop. GCC's
 * vector extension; on x86-64 cloned for AVX-512, AVX2 and the baseline
 * and chosen by the CPU at load time (target_clones): the probe must load
 * as wide as the kernels it bounds do, and this file carries no ISA flags
 * (the peak probes, which need intrinsics, live in kernels/<isa>/). */
typedef float v8f __attribute__((vector_size(32)));
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static float read_sum(const float *restrict a, long n)
{
    v8f s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, s4 = {0}, s5 = {0}, s6 = {0}, s7 = {0};
    const v8f *v = (const v8f *)a; /* a is 64-byte aligned */
    for (long i = 0; i < n / 8; i += 8) {
        s0 += v[i]; s1 += v[i + 1]; s2 += v[i + 2]; s3 += v[i + 3];
        s4 += v[i + 4]; s5 += v[i + 5]; s6 += v[i + 6]; s7 += v[i + 7];
    }
    v8f s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    float r = 0;
    for (int k = 0; k < 8; k++) r += s[k];
    return r;
}

static volatile float read_sink;

/* One timed run: every thread reads its block `passes` times between two
 * barriers; the wall time of the slowest. *share: the smallest fraction
 * of it a thread spent on a CPU. */
static double read_run(float **blk, long n, long passes, int threads, double *share)
{
    double t0 = 0, t1 = 0, cpu_min = 1e300;
    float sum = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sum) reduction(min : cpu_min)
    {
        const float *a = blk[omp_get_thread_num()];
#pragma omp barrier
#pragma omp master
        t0 = omp_get_wtime();
#pragma omp barrier
        const double c0 = thread_cpu_seconds();
        for (long p = 0; p < passes; p++) sum += read_sum(a, n);
        cpu_min = thread_cpu_seconds() - c0;
#pragma omp barrier
#pragma omp master
        t1 = omp_get_wtime();
    }
    read_sink = sum;
    if (share) *share = t1 > t0 ? cpu_min / (t1 - t0) : 0;
    return t1 - t0;
}

double rb_measure_read_gbs(size_t bytes, int threads, double seconds, int runs, double *cpu_share)
{
    if (threads < 1) threads = 1;
    if (runs < 1) runs = 1;
    const long n = (long)((bytes + 255) / 256 * 64); /* floats, a multiple of 64 */
    long passes = 1; /* over the block, per run */
    double best = 0, best_share = 0;
    int failed = 0;
    float **blk = calloc((size_t)threads, sizeof *blk);
    if (!blk) return 0;
#pragma omp parallel num_threads(threads) reduction(+ : failed)
    {
        /* each thread allocates and touches its own block: its own NUMA
         * node, its own cache */
        const int me = omp_get_thread_num();
        blk[me] = aligned_alloc(64, (size_t)n * sizeof(float));
        if (!blk[me]) failed++;
        else
            for (long i = 0; i < n; i++) blk[me][i] = 1.0f / (float)(1 + (i & 7));
    }
    /* Calibrate: double the passes until a run takes an eighth of the
     * target (a run must dwarf the two barriers that time it, and the
     * first also starts the team and brings the blocks into their level),
     * then scale to the target. */
    for (double t = 0; !failed;) {
        const double ta = read_run(blk, n, passes, threads, NULL);
        const double tb = read_run(blk, n, passes, threads, NULL);
        t = ta < tb ? ta : tb; /* the faster of two: one preempted run or
                                * the team's start must not end it early */
        if (t >= seconds / 8 || passes >= (1L << 30)) {
            if (t > 0) passes = (long)((double)passes * seconds / t) + 1;
            break;
        }
        passes *= 2;
    }
    for (int r = 0; r < runs && !failed; r++) {
        double share;
        const double t = read_run(blk, n, passes, threads, &share);
        const double gbs = t > 0 ? 4.0 * n * passes * threads / t * 1e-9 : 0;
        if (gbs > best) {
            best = gbs;
            best_share = share;
        }
    }
    for (int i = 0; i < threads; i++) free(blk[i]);
    free(blk);
    if (cpu_share) *cpu_share = best_share;
    return best;
}

/* ------------------------------------------------------------- barrier */

static int cmp_dbl(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double rb_measure_barrier_s(int threads, int batches, int per_batch)
{
    if (threads < 2) return 0;
    if (batches < 1) batches = 1;
    if (per_batch < 1) per_batch = 1;
    double *t = malloc(sizeof *t * (size_t)batches);
    if (!t) return 0;
    /* At most about 0.2 s: on a crowded machine a barrier can wait for a
     * preempted thread (milliseconds), and the median needs only a few
     * batches. The master decides after a batch's barriers; the others
     * read its decision after the next barrier, so no write races a read. */
    const double deadline = omp_get_wtime() + 0.2;
    int done = 0, stop = 0;
#pragma omp parallel num_threads(threads)
    {
        for (int b = 0; b < batches; b++) {
            double t0 = 0;
#pragma omp barrier
            if (stop) break;
#pragma omp master
            t0 = omp_get_wtime();
            for (int i = 0; i < per_batch; i++) {
#pragma omp barrier
            }
#pragma omp master
            {
                const double now = omp_get_wtime();
                t[b] = (now - t0) / per_batch;
                done = b + 1;
                stop = now > deadline;
            }
        }
    }
    qsort(t, (size_t)done, sizeof *t, cmp_dbl);
    const double med = done ? t[done / 2] : 0;
    free(t);
    return med;
}
