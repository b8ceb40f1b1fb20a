/*
 * vmath_check.h: the checker that measures the per-ISA array forms of
 * vmath.h (exp, sigmoid, tanh; kernels/simd/vmath_array.h) against libm.
 * It lives in the harness: the kernels do not depend on it.
 *
 * This header is ISA-neutral: it declares functions and plain data only, so
 * the harness, `rnnbench check` and the tests include it from files built
 * without ISA flags, and call an ISA's functions only after the checker (or
 * the registry) has found that the CPU runs them.
 *
 * Which ISAs are in a build follows the Makefile's rule: an x86-64 build
 * compiles kernels/avx2/ and kernels/avx512/, the aarch64 build compiles
 * kernels/neon/. Which of those the running CPU supports is asked at run
 * time (__builtin_cpu_supports on x86; NEON is baseline on aarch64).
 *
 * How the checker measures (rb_vmath_measure): each function is run over
 *   - dense: every `stride`-th float bit pattern with 2^-24 <= |x| <= 20
 *     (stride 64: about 7.4 million points, relative spacing 7.6e-6, so
 *     every region of the curve and of the range reductions is hit; on
 *     these functions it finds the exhaustive maxima to within 2%),
 *   - tiny: every (256 stride)-th pattern with |x| < 2^-24, +-0 and the
 *     subnormals included,
 *   - large: every (64 stride)-th pattern with 20 < |x| <= FLT_MAX, and
 *     +-FLT_MAX itself,
 * and compared with the libm function evaluated in double (sigmoid as
 * 1/(1+exp(-x)) in double). Errors are:
 *   max_abs_err  max |got - ref|
 *   max_rel_err  max |got - ref| / |ref| over refs in the normal float range
 *                (below FLT_MIN the float result itself has fewer bits, so
 *                only ulps are meaningful there)
 *   max_ulp      max |got - ref| / ulp(ref), ulp of the float binade of ref
 *                (2^-149 in the subnormals). A result that should overflow
 *                must be +Inf exactly; anything else (or a NaN for a finite
 *                ref) counts as an infinite error.
 * worst_x is the input with the largest ulp error.
 * Special values (+-0, +-Inf, NaN, +-100, +-1e30, +-FLT_MIN, +-FLT_MAX, the
 * smallest subnormal and 1e-40) must give: NaN for NaN; the exact infinity
 * or zero, sign included, where libm gives one (tanh(-0) = -0, exp(-Inf) =
 * +0, sigmoid(-Inf) = +0); otherwise within the function's ulp bound.
 */
#ifndef RB_VMATH_CHECK_H
#define RB_VMATH_CHECK_H

#include <stddef.h>

#include "../kernels/simd/vmath_array.h"

/* ---- documented error bounds (what the tests assert) ----
 *
 * Measured on every one of the 2^32 floats (exhaustive run, avx512, Zen 4,
 * gcc 12 -O2); the checker's stride-64 sweep finds nearly the same maxima
 * (exp 0.876 ulp, sigmoid 2.402, tanh 1.493), and the avx2 and neon
 * (qemu-aarch64) builds give bit-identical outputs (compared on every 997th
 * bit pattern), as they perform the same IEEE operations in the same order:
 *   exp      max 0.896 ulp  rel 7.74e-8
 *   sigmoid  max 2.402 ulp  rel 1.77e-7  abs 8.93e-8
 *   tanh     max 1.511 ulp  rel 1.56e-7  abs 9.01e-8
 *            |x| < 0.625 (odd polynomial): 0.721 ulp, rel 7.8e-8, abs 4.14e-8
 * No NaN for a non-NaN input, and +Inf exactly where exp overflows.
 * The bounds sit a little above those, so a sparser stride (which can only
 * find smaller errors) passes and a regression of a fraction of an ulp
 * fails.
 */
#define RB_VMATH_MAX_ULP_EXP 1.0
#define RB_VMATH_MAX_REL_EXP 1.0e-7
#define RB_VMATH_MAX_ULP_SIGMOID 2.5
#define RB_VMATH_MAX_REL_SIGMOID 2.0e-7
#define RB_VMATH_MAX_ABS_SIGMOID 1.0e-7
#define RB_VMATH_MAX_ULP_TANH 1.75
#define RB_VMATH_MAX_REL_TANH 1.75e-7
#define RB_VMATH_MAX_ABS_TANH 1.0e-7
/* tanh for |x| < 0.625, where it is x + x^3 P(x^2) (tests/test_vmath.c). */
#define RB_VMATH_MAX_ABS_TANH_NEAR0 5.0e-8

/* ---- the checker ---- */

typedef enum { RB_VMATH_EXP, RB_VMATH_SIGMOID, RB_VMATH_TANH, RB_VMATH_NFNS } rb_vmath_fn_id;

typedef struct {
    const char *isa;   /* "avx2", "avx512", "neon", or the caller's name   */
    const char *fn;    /* "exp", "sigmoid", "tanh"                          */
    double max_abs_err, max_rel_err, max_ulp;
    float worst_x;     /* input of max_ulp                                  */
    int special_ok;    /* 1 when every special value came out right         */
    char special_detail[128]; /* "18 special values ok" or the first failure */
} rb_vmath_report;

/* One ISA of this build: its name, whether the CPU runs it, its functions
 * indexed by rb_vmath_fn_id. */
typedef struct {
    const char *isa;
    int supported;
    rb_vmath_array_fn fn[RB_VMATH_NFNS];
} rb_vmath_isa;

/* The default stride, and one for slow (emulated) runs: ~30x fewer points. */
#define RB_VMATH_STRIDE_DEFAULT 64u
#define RB_VMATH_STRIDE_EMULATED 2048u

const char *rb_vmath_fn_name(rb_vmath_fn_id id);

/* Fills *isas with this build's ISAs (supported or not, so a caller can
 * report the ones it skips) and returns how many. */
int rb_vmath_isas(rb_vmath_isa *isas, int max);

/* Measures one array function f as function `id` (see above) and fills *out
 * (out->isa = isa). stride 0 means RB_VMATH_STRIDE_DEFAULT. Returns
 * rb_vmath_report_ok(out). Works for any f: the tests also feed it wrong
 * functions to prove it fails them. */
int rb_vmath_measure(rb_vmath_report *out, const char *isa, rb_vmath_fn_id id,
                     rb_vmath_array_fn f, unsigned stride);

/* 1 when r is within the RB_VMATH_MAX_* bounds of its function and its
 * special values were right, else 0. */
int rb_vmath_report_ok(const rb_vmath_report *r);

/* Measures every function of every ISA that is in this build and that the
 * CPU supports, writing at most max reports; returns how many it wrote.
 * stride 0 means RB_VMATH_STRIDE_DEFAULT (about 0.3 s per ISA natively,
 * 10 s under qemu-aarch64); under an emulator pass RB_VMATH_STRIDE_EMULATED
 * (0.2 s under qemu) or larger. */
int rb_vmath_check_all(rb_vmath_report *out, int max, unsigned stride);

#endif /* RB_VMATH_CHECK_H */
