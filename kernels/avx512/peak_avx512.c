/*
 * peak_avx512.c: fp32 FMA throughput probe, 512-bit (see peak.h).
 *
 * 16 independent zmm accumulators, each acc = acc + x*y per iteration:
 * 16 x 16 lanes x 2 = 512 FLOPs an iteration. Two 512-bit FMA pipes with
 * 4-cycle latency (Intel since Skylake-SP, AMD Zen 5) need 8 chains in
 * flight; 16 leave margin and still fit the 32 zmm registers with x and y.
 * x and y are read through volatile so the compiler cannot fold the chains,
 * and the accumulators start different so it cannot merge them either.
 */
#if defined(__x86_64__)
#ifndef __AVX512F__
#error "peak_avx512.c must be built with -mavx512f -mfma (the Makefile does for kernels/avx512/)"
#endif

#include <immintrin.h>

#include "../peak.h"

/* Written, never read: a volatile store the loop result must reach. */
static volatile float peak_sink;

double rb_peak_fma_flops__avx512(long iters)
{
    static volatile float xv = 1.0e-4f, yv = 1.0e-4f; /* read once, not written */
    const __m512 x = _mm512_set1_ps(xv), y = _mm512_set1_ps(yv);

#define RB_ACCS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) \
                   X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define RB_DECL(k) __m512 c##k = _mm512_set1_ps((float)(k));
#define RB_STEP(k) c##k = _mm512_fmadd_ps(x, y, c##k);
#define RB_SUM(k) s = _mm512_add_ps(s, c##k);
    RB_ACCS(RB_DECL)
    for (long i = 0; i < iters; i++) {
        RB_ACCS(RB_STEP)
    }
    __m512 s = _mm512_setzero_ps();
    RB_ACCS(RB_SUM)
    peak_sink = _mm512_reduce_add_ps(s); /* keeps the loop alive */
#undef RB_ACCS
#undef RB_DECL
#undef RB_STEP
#undef RB_SUM
    return (double)iters * 16 * 16 * 2;
}

#else
typedef int rb_peak_avx512_empty; /* not x86-64: nothing to build */
#endif
