/*
 * test_vmath.c: the vectorized exp/sigmoid/tanh of every ISA against libm.
 *
 * For each ISA (avx2, avx512, neon) one group of tests, skipped (never
 * passed) when the ISA is not in this build or the CPU lacks it:
 *   sweep     the checker's dense sweep is within the RB_VMATH_MAX_* bounds
 *             and the special values (+-0, +-Inf, NaN, ...) are right; tanh
 *             near 0 has its own, tighter absolute bound
 *   tails     n = 0 .. 2W+3: every element equals the full-vector result
 *             bit for bit, nothing is written past y[n-1] (canaries) and
 *             nothing is read past x[n-1] (x ends at a PROT_NONE page)
 *   inplace   f(n, buf, buf) equals f(n, x, y)
 * and, ISA-free, proof that the checker fails a wrong function.
 */
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "../harness/vmath_check.h"

/* Vector width of each ISA, for the tail lengths. */
static int width_of(const char *isa)
{
    if (strcmp(isa, "avx2") == 0)
        return 8;
    if (strcmp(isa, "avx512") == 0)
        return 16;
    return 4; /* neon */
}

/* The ISA called `name`, or skip() with the reason. */
static rb_vmath_isa need_isa(const char *name)
{
    rb_vmath_isa isas[4];
    int n = rb_vmath_isas(isas, 4);
    for (int i = 0; i < n; i++) {
        if (strcmp(isas[i].isa, name) != 0)
            continue;
        if (!isas[i].supported) {
            print_message("%s: not supported by this CPU, skipped\n", name);
            skip();
        }
        return isas[i];
    }
    print_message("%s: not in this build, skipped\n", name);
    skip();
    return isas[0]; /* not reached: skip() leaves the test */
}

static void test_sweep(void **state)
{
    const char *name = *state;
    rb_vmath_isa isa = need_isa(name);
    for (int id = 0; id < RB_VMATH_NFNS; id++) {
        rb_vmath_report r;
        int ok = rb_vmath_measure(&r, isa.isa, (rb_vmath_fn_id)id, isa.fn[id], 0);
        print_message("%-7s %-8s max ulp %.3f  rel %.3e  abs %.3e  worst x %.9g  %s\n", r.isa,
                      r.fn, r.max_ulp, r.max_rel_err, r.max_abs_err, (double)r.worst_x,
                      r.special_detail);
        assert_true(r.special_ok);
        assert_true(ok);
    }

    /* tanh near 0: every 128th float with |x| < 0.625 (the polynomial range)
     * and 1e-3 in absolute terms, the accuracy that matters for small
     * pre-activations. */
    enum { CH = 4096 };
    float x[CH], y[CH];
    double max_abs = 0.0;
    for (uint32_t sign = 0; sign <= 1; sign++) {
        uint64_t b = 0;
        while (b <= 0x3f200000u) { /* 0.625 */
            size_t n = 0;
            for (; n < CH && b <= 0x3f200000u; n++, b += 128) {
                uint32_t bits = (uint32_t)b | (sign << 31);
                memcpy(&x[n], &bits, sizeof bits);
            }
            isa.fn[RB_VMATH_TANH](n, x, y);
            for (size_t i = 0; i < n; i++) {
                double e = fabs((double)y[i] - tanh((double)x[i]));
                if (e > max_abs)
                    max_abs = e;
            }
        }
    }
    print_message("%-7s tanh     |x| < 0.625: max abs %.3e\n", name, max_abs);
    assert_true(max_abs <= RB_VMATH_MAX_ABS_TANH_NEAR0);
}

/* Inputs for the tails: finite values across both exp clamps and both
 * sigmoid/tanh branches, plus the special values, so the tail path meets
 * them too. */
#define NX 64
static void tail_inputs(float *x)
{
    for (int i = 0; i < NX; i++)
        x[i] = (float)(i - 31) * 3.7f - 0.013f * (float)i;
    x[3] = -0.0f;
    x[5] = INFINITY;
    x[8] = -INFINITY;
    x[13] = NAN;
    x[17] = 0.3f;
    x[20] = -120.0f;
    x[33] = 95.0f;
}

static void test_tails(void **state)
{
    const char *name = *state;
    rb_vmath_isa isa = need_isa(name);
    const int W = width_of(name);
    const long page = sysconf(_SC_PAGESIZE);
    enum { CANARY = 16 };
    const uint32_t canary = 0x7fc0dead; /* a NaN no function returns */
    float xs[NX], full[NX];

    /* Two pages; the second PROT_NONE, so reading past the input faults. */
    unsigned char *map = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + page, (size_t)page, PROT_NONE), 0);

    tail_inputs(xs);
    for (int id = 0; id < RB_VMATH_NFNS; id++) {
        isa.fn[id](NX, xs, full);
        for (int n = 0; n <= 2 * W + 3; n++) {
            float *x = (float *)(map + page) - n; /* x[n] is on the guard page */
            float ybuf[CANARY + NX + CANARY];
            float *y = ybuf + CANARY;
            memcpy(x, xs, (size_t)n * sizeof(float));
            for (int i = 0; i < CANARY + NX + CANARY; i++)
                memcpy(&ybuf[i], &canary, sizeof canary);

            isa.fn[id]((size_t)n, x, y);

            for (int i = 0; i < n; i++) {
                if (memcmp(&y[i], &full[i], sizeof(float)) != 0)
                    fail_msg("%s %s n=%d: y[%d] = %.9g, full-vector result %.9g", name,
                             rb_vmath_fn_name((rb_vmath_fn_id)id), n, i, (double)y[i],
                             (double)full[i]);
            }
            for (int i = -CANARY; i < 0; i++)
                assert_memory_equal(&y[i], &canary, sizeof canary);
            for (int i = n; i < NX + CANARY; i++)
                if (memcmp(&y[i], &canary, sizeof canary) != 0)
                    fail_msg("%s %s n=%d: wrote y[%d], past the end", name,
                             rb_vmath_fn_name((rb_vmath_fn_id)id), n, i);
        }
    }
    munmap(map, 2 * (size_t)page);
}

static void test_inplace(void **state)
{
    const char *name = *state;
    rb_vmath_isa isa = need_isa(name);
    const int W = width_of(name);
    float xs[NX], y[NX], buf[NX];
    tail_inputs(xs);
    const int sizes[] = {1, W - 1, W, W + 1, 2 * W + 3, NX};
    for (int id = 0; id < RB_VMATH_NFNS; id++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = (size_t)sizes[k];
            isa.fn[id](n, xs, y);
            memcpy(buf, xs, n * sizeof(float));
            isa.fn[id](n, buf, buf);
            assert_memory_equal(buf, y, n * sizeof(float));
        }
    }
}

/* ---- the checker itself must be able to fail ---- */

/* sigmoid(x + 1e-3): off by up to ~1e-3 relative, far past the bound. */
static void shifted_sigmoid(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (float)(1.0 / (1.0 + exp(-((double)x[i] + 1e-3))));
}

/* tanh correctly rounded except that it loses the sign of -0. */
static void unsigned_zero_tanh(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] == 0.0f ? 0.0f : (float)tanh((double)x[i]);
}

static void test_checker_fails(void **state)
{
    (void)state;
    rb_vmath_report r;

    /* A sparse stride is plenty to see a 1e-3 error. */
    int ok = rb_vmath_measure(&r, "shifted", RB_VMATH_SIGMOID, shifted_sigmoid, 4096);
    print_message("shifted sigmoid: max rel %.3e (bound %.1e), ulp %.1f\n", r.max_rel_err,
                  RB_VMATH_MAX_REL_SIGMOID, r.max_ulp);
    assert_false(ok);
    assert_true(r.max_rel_err > RB_VMATH_MAX_REL_SIGMOID);
    assert_false(rb_vmath_report_ok(&r));

    /* Right everywhere except one special value: the sweep passes, the
     * special check fails it and says why. */
    ok = rb_vmath_measure(&r, "nosign", RB_VMATH_TANH, unsigned_zero_tanh, 4096);
    print_message("unsigned-zero tanh: %s\n", r.special_detail);
    assert_false(ok);
    assert_false(r.special_ok);
    assert_true(r.max_ulp <= 0.51); /* rounded from double: 0.5 ulp */
    assert_non_null(strstr(r.special_detail, "tanh(-0)"));
}

int main(void)
{
    /* String literals as the initial state: the ISA each test is about. */
    const struct CMUnitTest tests[] = {
        {"avx2_sweep", test_sweep, NULL, NULL, (void *)"avx2"},
        {"avx2_tails", test_tails, NULL, NULL, (void *)"avx2"},
        {"avx2_inplace", test_inplace, NULL, NULL, (void *)"avx2"},
        {"avx512_sweep", test_sweep, NULL, NULL, (void *)"avx512"},
        {"avx512_tails", test_tails, NULL, NULL, (void *)"avx512"},
        {"avx512_inplace", test_inplace, NULL, NULL, (void *)"avx512"},
        {"neon_sweep", test_sweep, NULL, NULL, (void *)"neon"},
        {"neon_tails", test_tails, NULL, NULL, (void *)"neon"},
        {"neon_inplace", test_inplace, NULL, NULL, (void *)"neon"},
        cmocka_unit_test(test_checker_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
