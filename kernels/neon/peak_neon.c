/*
 * peak_neon.c: fp32 FMA throughput probe, 128-bit Advanced SIMD (peak.h).
 *
 * 24 independent q-register accumulators, each acc = acc + x*y (FMLA) per
 * iteration: 24 x 4 lanes x 2 = 192 FLOPs an iteration. Wide cores have
 * four 128-bit FMA pipes with 4-cycle latency (Neoverse V1/V2, Apple M1),
 * which need 16 chains in flight; 24 plus x and y fit the 32 registers.
 * x and y come through volatile so the chains cannot be folded; the
 * accumulators start different so they cannot be merged.
 */
#if defined(__aarch64__)

#include <arm_neon.h>

#include "../peak.h"

/* Written, never read: a volatile store the loop result must reach. */
static volatile float peak_sink;

double rb_peak_fma_flops__neon(long iters)
{
    static volatile float xv = 1.0e-4f, yv = 1.0e-4f;
    const float32x4_t x = vdupq_n_f32(xv), y = vdupq_n_f32(yv);

#define RB_ACCS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) \
    X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)
#define RB_DECL(k) float32x4_t c##k = vdupq_n_f32((float)(k));
#define RB_STEP(k) c##k = vfmaq_f32(c##k, x, y);
#define RB_SUM(k) s = vaddq_f32(s, c##k);
    RB_ACCS(RB_DECL)
    for (long i = 0; i < iters; i++) {
        RB_ACCS(RB_STEP)
    }
    float32x4_t s = vdupq_n_f32(0.0f);
    RB_ACCS(RB_SUM)
    peak_sink = vaddvq_f32(s);
#undef RB_ACCS
#undef RB_DECL
#undef RB_STEP
#undef RB_SUM
    return (double)iters * 24 * 4 * 2;
}

#else
typedef int rb_peak_neon_empty; /* not aarch64: nothing to build */
#endif
