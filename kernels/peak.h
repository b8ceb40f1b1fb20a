/*
 * peak.h: register-only fp32 FMA probes, one per ISA, for the measured
 * compute ceiling (harness/probes.c chooses and times them).
 *
 * Each probe runs `iters` iterations of a loop that updates K independent
 * vector accumulators with acc = acc + x*y (one fused multiply-add each),
 * touching no memory, and returns the FLOPs it did (2 per lane per FMA).
 * K is chosen to cover FMA latency x FMA pipes with room to spare, so the
 * loop is bound by FMA throughput, not latency. Timing is the caller's.
 *
 * A probe exists only where its ISA can be built: avx2/avx512 on x86-64,
 * neon on aarch64; the caller guards its calls with the same #if. The
 * scalar baseline needs no ISA flags and lives with the dispatch, in
 * harness/probes.c.
 */
#ifndef RB_PEAK_H
#define RB_PEAK_H

#if defined(__x86_64__)
double rb_peak_fma_flops__avx2(long iters);   /* 12 ymm accumulators */
double rb_peak_fma_flops__avx512(long iters); /* 16 zmm accumulators */
#endif
#if defined(__aarch64__)
double rb_peak_fma_flops__neon(long iters);   /* 24 q-register accumulators */
#endif

#endif
