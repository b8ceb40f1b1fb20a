/*
 * peak_avx2.c: fp32 FMA throughput probe, 256-bit (see peak.h).
 *
 * 12 independent ymm accumulators, each acc = acc + x*y per iteration:
 * 12 x 8 lanes x 2 = 192 FLOPs an iteration. Two FMA pipes with 4-5 cycle
 * latency (Haswell has 5) need 8-10 chains in flight; 12 plus x and y fit
 * the 16 ymm registers without spills. x and y are read through volatile
 * so the compiler cannot fold the chains; the accumulators start different
 * so it cannot merge them.
 */
#if defined(__x86_64__)
#if !defined(__AVX2__) || !defined(__FMA__)
#error "peak_avx2.c must be built with -mavx2 -mfma (the Makefile does for kernels/avx2/)"
#endif

#include <immintrin.h>

#include "../peak.h"

/* Written, never read: a volatile store the loop result must reach. */
static volatile float peak_sink;

double rb_peak_fma_flops__avx2(long iters)
{
    static volatile float xv = 1.0e-4f, yv = 1.0e-4f;
    const __m256 x = _mm256_set1_ps(xv), y = _mm256_set1_ps(yv);

#define RB_ACCS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define RB_DECL(k) __m256 c##k = _mm256_set1_ps((float)(k));
#define RB_STEP(k) c##k = _mm256_fmadd_ps(x, y, c##k);
#define RB_SUM(k) s = _mm256_add_ps(s, c##k);
    RB_ACCS(RB_DECL)
    for (long i = 0; i < iters; i++) {
        RB_ACCS(RB_STEP)
    }
    __m256 s = _mm256_setzero_ps();
    RB_ACCS(RB_SUM)
    /* Horizontal sum; its cost is nothing next to the loop. */
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    peak_sink = _mm_cvtss_f32(h);
#undef RB_ACCS
#undef RB_DECL
#undef RB_STEP
#undef RB_SUM
    return (double)iters * 12 * 8 * 2;
}

#else
typedef int rb_peak_avx2_empty; /* not x86-64: nothing to build */
#endif
