/*
 * probes.h: the two ceilings a roofline needs, measured on this machine:
 * fp32 FMA peak (probes.c, with the ISA probe bodies of kernels/peak.h)
 * and STREAM-triad bandwidth (bandwidth.c). Every peak probe is reached
 * through rb_measure_peak_gflops; nothing else calls one.
 *
 * Both time by wall clock and take the best run; *cpu_share (may be NULL)
 * gets the best run's smallest per-thread CPU-time / wall-time ratio
 * (well below 1: other processes shared the cores).
 */
#ifndef RB_PROBES_H
#define RB_PROBES_H

#include <stddef.h>

#include "../kernels/platform/cpu.h"

/* fp32 FMA GFLOP/s of the probe for isa on `threads` OpenMP threads, best
 * of `runs` runs of about `seconds` each; 0 if isa has no probe in this
 * build or the CPU lacks it. */
double rb_measure_peak_gflops(rb_isa isa, int threads, double seconds, int runs,
                              double *cpu_share);
/* STREAM triad a[i] = b[i] + s*c[i] over three arrays of n floats on
 * `threads` threads, best of `runs`, in GB/s (1e9 B/s) counting 12 bytes
 * per element; 0 if the arrays cannot be allocated. */
double rb_measure_triad_gbs(size_t n, int threads, int runs, double *cpu_share);

/* Read bandwidth of `threads` threads, each summing its own block of
 * `bytes` (rounded to 256) again and again: best of `runs` runs of about
 * `seconds`, in GB/s (1e9 B/s) for the team; 0 if the blocks cannot be
 * allocated. Sized to a cache level, it measures that level. */
double rb_measure_read_gbs(size_t bytes, int threads, double seconds, int runs, double *cpu_share);
/* One OpenMP barrier across `threads` threads: the median over `batches`
 * batches of `per_batch` barriers, in seconds (0 for one thread). */
double rb_measure_barrier_s(int threads, int batches, int per_batch);

#endif
