/*
 * vmath.h: vectorized exp, sigmoid, tanh and relu, written once over the
 * rb_vf vocabulary. Include one kernels/simd/vec_*.h first; every function
 * here is static inline, so each ISA's kernels get their own copy compiled
 * with their own flags.
 *
 * exp(x)
 *   Clamp x to [-104, 89] (beyond it the float result is 0 or +Inf anyway),
 *   reduce x = n ln2 + r with n = round(x / ln2), |r| <= ln2/2, r computed
 *   with two FMAs against a hi/lo split of ln2 (Cody-Waite), and
 *   e^r = 1 + r + r^2 (c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4), a degree-6
 *   polynomial fitted by weighted minimax (Lawson's IRLS) to the relative
 *   error of e^r on [-0.354, 0.354] (fit error 3.5e-9, far below float
 *   rounding). 2^n is built by adding n + 127 into the exponent field. n
 *   spans [-150, 128], which no single float exponent covers, so 2^n is
 *   applied as two factors 2^(n>>1) * 2^(n - (n>>1)), each a normal float:
 *   results that overflow come out +Inf, results in the subnormal range are
 *   rounded once by the last multiply (graceful underflow), results below
 *   2^-150 are +0.
 *
 * sigmoid(x) = 1 / (1 + e^-x)
 *   With z = e^-|x| (never overflows): sigmoid = 1/(1+z) for x >= 0 and
 *   z/(1+z) for x < 0, one division for both. Saturates to exactly 1 for
 *   large x and follows e^x into the subnormals and to 0 for very negative x.
 *
 * tanh(x)
 *   |x| < 0.625: x + x^3 P(x^2), P of degree 5 fitted by weighted minimax to
 *   the relative error (fit error 4.4e-9). Odd by construction, so tanh(-0)
 *   = -0, and exact (x) for tiny x: no cancellation near 0.
 *   |x| >= 0.625: with z = e^-2|x|, tanh|x| = (1 - z)/(1 + z), sign of x
 *   copied back. z <= e^-1.25, so 1 - z loses at most about one bit. For
 *   |x| > 9 z rounds away and the result is exactly +-1; no Inf/Inf.
 *
 * relu(x) = max(0, x).
 *
 * Special values: NaN in -> NaN out (the clamps use rb_vf_max/min with x
 * as the NaN-winning operand, and NaN flows through the arithmetic);
 * exp(+-Inf) = +Inf / +0, sigmoid(+-Inf) = 1 / 0, tanh(+-Inf) = +-1,
 * exp(+-0) = 1, sigmoid(+-0) = 0.5, tanh(+-0) = +-0.
 *
 * Measured error against libm in double, exhaustively over all 2^32 floats
 * on avx512; avx2 and neon (qemu) give bit-identical outputs (compared on
 * every 997th bit pattern), as they do the same IEEE operations in the same
 * order, with no contraction left to the compiler:
 *   exp      max 0.90 ulp, max rel 7.7e-8
 *   sigmoid  max 2.40 ulp, max rel 1.8e-7, max abs 8.9e-8
 *   tanh     max 1.51 ulp, max rel 1.6e-7, max abs 9.0e-8;
 *            |x| < 0.625: 0.72 ulp, max abs 4.1e-8
 * The bounds the tests assert are RB_VMATH_MAX_* in harness/vmath_check.h; the
 * measurement is harness/vmath_check.c.
 */
#ifndef RB_VMATH_H
#define RB_VMATH_H

#ifndef RB_VEC_ISA_INCLUDED
#error "include one kernels/simd/vec_*.h before vmath.h"
#endif

/* Input range of exp past which the float result is +Inf or +0 anyway:
 * e^89 > FLT_MAX, e^-104 < 2^-150 (half the smallest subnormal). */
#define RB_VEXP_HI 89.0f
#define RB_VEXP_LO -104.0f
/* Below this |x| tanh uses its odd polynomial. */
#define RB_VTANH_POLY_MAX 0.625f

/* e^x for x in [RB_VEXP_LO, RB_VEXP_HI] or NaN; the callers clamp. */
static inline rb_vf rb_vexp__core(rb_vf x)
{
    const rb_vf log2e = rb_vf_set1(0x1.715476p0f);
    /* ln2 = ln2_hi + ln2_lo to ~1e-16: the FMA-based reduction then leaves
     * r with a single rounding error. */
    const rb_vf ln2_hi = rb_vf_set1(0x1.62e430p-1f);
    const rb_vf ln2_lo = rb_vf_set1(-0x1.05c610p-29f);

    rb_vf nf = rb_vf_round(rb_vf_mul(x, log2e));
    rb_vf r = rb_vf_fnmadd(nf, ln2_hi, x);
    r = rb_vf_fnmadd(nf, ln2_lo, r);

    /* Horner; the last two steps are the exact 1 + r + r^2 q. */
    rb_vf p = rb_vf_set1(0x1.6a1068p-10f);
    p = rb_vf_fmadd(p, r, rb_vf_set1(0x1.1245d4p-7f));
    p = rb_vf_fmadd(p, r, rb_vf_set1(0x1.55593ep-5f));
    p = rb_vf_fmadd(p, r, rb_vf_set1(0x1.555482p-3f));
    p = rb_vf_fmadd(p, r, rb_vf_set1(0x1.fffffcp-2f));
    p = rb_vf_fmadd(p, r, rb_vf_set1(1.0f));
    p = rb_vf_fmadd(p, r, rb_vf_set1(1.0f));

    /* 2^n = 2^n1 * 2^n2, n1 = floor(n/2), both in [-75, 64]: normal floats.
     * For a NaN lane n is garbage but p is NaN, and NaN * s stays NaN. */
    rb_vi n = rb_vf_to_vi(nf);
    rb_vi n1 = rb_vi_srai(n, 1);
    rb_vi n2 = rb_vi_sub(n, n1);
    const rb_vi bias = rb_vi_set1(127);
    rb_vf s1 = rb_vi_as_vf(rb_vi_slli(rb_vi_add(n1, bias), 23));
    rb_vf s2 = rb_vi_as_vf(rb_vi_slli(rb_vi_add(n2, bias), 23));
    return rb_vf_mul(rb_vf_mul(p, s1), s2);
}

static inline rb_vf rb_vexp(rb_vf x)
{
    /* x second: a NaN lane survives both clamps. */
    x = rb_vf_max(rb_vf_set1(RB_VEXP_LO), x);
    x = rb_vf_min(rb_vf_set1(RB_VEXP_HI), x);
    return rb_vexp__core(x);
}

static inline rb_vf rb_vsigmoid(rb_vf x)
{
    const rb_vf one = rb_vf_set1(1.0f);
    /* -|x| <= 0: only the lower clamp matters; -Inf becomes -104 -> z = 0. */
    rb_vf z = rb_vexp__core(rb_vf_max(rb_vf_set1(RB_VEXP_LO), rb_vf_neg(rb_vf_abs(x))));
    rb_vf num = rb_vf_select(rb_vf_cmplt(x, rb_vf_zero()), z, one);
    return rb_vf_div(num, rb_vf_add(one, z));
}

static inline rb_vf rb_vtanh(rb_vf x)
{
    const rb_vf one = rb_vf_set1(1.0f);
    const rb_vf sign = rb_vf_set1(-0.0f);
    rb_vf ax = rb_vf_abs(x);

    /* Small |x|: x + x^3 P(x^2). */
    rb_vf x2 = rb_vf_mul(x, x);
    rb_vf p = rb_vf_set1(-0x1.75e1dcp-8f);
    p = rb_vf_fmadd(p, x2, rb_vf_set1(0x1.52269ep-6f));
    p = rb_vf_fmadd(p, x2, rb_vf_set1(-0x1.b83c5ap-5f));
    p = rb_vf_fmadd(p, x2, rb_vf_set1(0x1.110726p-3f));
    p = rb_vf_fmadd(p, x2, rb_vf_set1(-0x1.555532p-2f));
    rb_vf ys = rb_vf_fmadd(rb_vf_mul(x2, x), p, x);

    /* Large |x|: (1 - z)/(1 + z), z = e^-2|x| in [0, e^-1.25]. The clamp
     * also turns -2|x| = -Inf into -104 (z = 0). */
    rb_vf z = rb_vexp__core(rb_vf_max(rb_vf_set1(RB_VEXP_LO), rb_vf_mul(rb_vf_set1(-2.0f), ax)));
    rb_vf yl = rb_vf_div(rb_vf_sub(one, z), rb_vf_add(one, z));

    /* NaN compares false and takes yl, which is NaN. Then the sign of x:
     * yl >= 0 needs it, ys has it already except for x = -0, where
     * -0 * x^2 P + -0 rounds to +0. */
    rb_vf y = rb_vf_select(rb_vf_cmplt(ax, rb_vf_set1(RB_VTANH_POLY_MAX)), ys, yl);
    return rb_vf_or(y, rb_vf_and(sign, x));
}

static inline rb_vf rb_vrelu(rb_vf x)
{
    return rb_vf_max(rb_vf_zero(), x); /* NaN stays NaN */
}

/* The array form every ISA exports (rb_vsigmoid__avx2 and friends):
 * y[i] = vfn(x[i]) for i < n, a full-vector loop then one partial vector
 * for the n % W tail, so nothing past x[n-1] is read or y[n-1] written.
 * Each vector is loaded before it is stored, so x == y (in place) works;
 * other overlaps of x and y are not supported. */
#define RB_VMATH_DEFINE_ARRAY(fname, vfn)                                    \
    void fname(size_t n, const float *x, float *y)                          \
    {                                                                       \
        size_t i = 0;                                                       \
        for (; i + RB_VF_WIDTH <= n; i += RB_VF_WIDTH)                      \
            rb_vf_storeu(y + i, vfn(rb_vf_loadu(x + i)));                   \
        if (i < n)                                                          \
            rb_vf_store_part(y + i, vfn(rb_vf_load_part(x + i, n - i)), n - i); \
    }

#endif /* RB_VMATH_H */
