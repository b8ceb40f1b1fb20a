/*
 * test_determinism.c: what the README promises about reproducibility.
 *
 * 1. Every runnable variant gives bit-identical outputs and gradients from
 *    run to run at a given thread count (parallel ones at 2 and 3 threads).
 * 2. Against the serial variant of the same vectorized ISA: omp_hidden gives
 *    the same bits at every thread count (threads split columns; every
 *    element is summed in the same order). omp_batch gives the same bits at
 *    1 thread only: at more threads the batch split changes which rows fall
 *    in the GEMM engine's row tail (fewer than MR rows), which sums in a
 *    different order. Its difference is printed; agreement within the
 *    tolerance model is what test_agree proves.
 * 3. omp_grid: the row split decides the bits, the slice split does not:
 *    grid 1 x S equals the serial variant, 2 x S equals 2 x 1 for every S,
 *    and B x 1 equals omp_batch at B threads.
 * Shapes with uneven splits (N and H not multiples of the thread count or
 * of the vector width) so that every tail path is compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/tensors.h"
#include "../variants/variant.h"

static const rb_shape shapes[] = {
    {.cell = RB_LSTM, .T = 5, .N = 7, .I = 19, .H = 37},
    {.cell = RB_GRU, .T = 4, .N = 5, .I = 33, .H = 70},
    {.cell = RB_GRU_LBR, .T = 3, .N = 9, .I = 8, .H = 17},
    {.cell = RB_RNN_TANH, .T = 6, .N = 3, .I = 65, .H = 129},
    {.cell = RB_RNN_RELU, .T = 2, .N = 1, .I = 3, .H = 5},
    /* 3H = 540 above AVX2's KC of 512 (and AVX-512's 192): dx = dax W
     * runs K in two slices, and the team's row pieces (6, 6, 8 of 20) must
     * be sliced as the serial product is. */
    {.cell = RB_GRU, .T = 4, .N = 5, .I = 33, .H = 180},
};

/* Runs training forward + backward on grid B x S (0 x 0: not forced);
 * returns a malloc'ed copy of every output and gradient, concatenated. */
static float *run_grid(const rb_variant *v, const rb_shape *s, int threads, int B, int S, size_t *len)
{
    char err[256];
    rb_tset ts;
    assert_int_equal(rb_tset_alloc(&ts, s, err, sizeof err), 0);
    rb_tset_init(&ts, 5);
    rb_problem p = {.s = *s, .threads = threads, .grid_b = B, .grid_s = S};
    void *plan = v->ops->plan_create(&p, err, sizeof err);
    assert_non_null(plan);
    void *ws = rb_alloc(v->ops->workspace_bytes(&p));
    assert_non_null(ws);
    v->ops->set_params(plan, &ts.t);
    v->ops->forward(plan, &ts.t, ws);
    v->ops->backward(plan, &ts.t, ws);
    size_t n = 0;
    for (int id = 0; id < RB_NTENSORS; id++) {
        rb_tensor_role r = rb_tensor_role_of((rb_tensor_id)id);
        if (ts.t.t[id] && (r == RB_ROLE_OUTPUT || r == RB_ROLE_GRAD)) n += rb_tensor_numel(s, (rb_tensor_id)id);
    }
    float *out = malloc(n * sizeof(float)), *q = out;
    assert_non_null(out);
    for (int id = 0; id < RB_NTENSORS; id++) {
        rb_tensor_role r = rb_tensor_role_of((rb_tensor_id)id);
        if (!ts.t.t[id] || (r != RB_ROLE_OUTPUT && r != RB_ROLE_GRAD)) continue;
        size_t k = rb_tensor_numel(s, (rb_tensor_id)id);
        memcpy(q, ts.t.t[id], k * sizeof(float));
        q += k;
    }
    rb_free(ws);
    v->ops->plan_destroy(plan);
    rb_tset_free(&ts);
    *len = n;
    return out;
}

static float *run_all(const rb_variant *v, const rb_shape *s, int threads, size_t *len)
{
    return run_grid(v, s, threads, 0, 0, len);
}

static void test_run_to_run(void **state)
{
    (void)state;
    int checked = 0;
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            if (rb_variant_why_not(v, &(rb_problem){.s = {.cell = shapes[k].cell}, .threads = 1})) continue;
            const int max_t = rb_variant_is_parallel(v) ? 3 : 1;
            for (int th = (max_t > 1 ? 2 : 1); th <= max_t; th++) {
                size_t n1, n2;
                float *a = run_all(v, &shapes[k], th, &n1);
                float *b = run_all(v, &shapes[k], th, &n2);
                assert_int_equal(n1, n2);
                if (memcmp(a, b, n1 * sizeof(float)) != 0) {
                    print_error("%s %s threads=%d: two runs differ\n", v->name, rb_cell_name(shapes[k].cell), th);
                    fail();
                }
                free(a);
                free(b);
                checked++;
            }
        }
    }
    assert_true(checked > 0);
}

static size_t count_diff(const float *a, const float *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return d;
}

/* omp_grid: the row split (B groups) decides the bits, the slice split
 * does not. B = 1 at 1, 2, 3 slices gives the serial variant's bits; B = 2
 * gives the same bits at 1, 2, 3 slices; B x 1 gives omp_batch's bits at B
 * threads. */
static void test_grid_bits(void **state)
{
    (void)state;
    const char *isas[] = {"avx2", "avx512", "neon"};
    int compared = 0;
    for (size_t a = 0; a < sizeof isas / sizeof isas[0]; a++) {
        char name[64], bname[64];
        snprintf(name, sizeof name, "%s_omp_grid", isas[a]);
        snprintf(bname, sizeof bname, "%s_omp_batch", isas[a]);
        const rb_variant *base = rb_variant_find(isas[a]), *v = rb_variant_find(name);
        const rb_variant *batch = rb_variant_find(bname);
        if (!base || !v || !batch || rb_variant_why_not(v, &(rb_problem){.s = {.cell = RB_LSTM}, .threads = 1})) continue;
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            const rb_shape *sh = &shapes[k];
            size_t n0, n;
            float *ref = run_all(base, sh, 1, &n0);
            for (int S = 1; S <= 3; S++) {
                float *got = run_grid(v, sh, S, 1, S, &n);
                assert_int_equal(n, n0);
                if (count_diff(got, ref, n)) {
                    print_error("%s grid 1x%d differs from %s (%s)\n", name, S, isas[a], rb_cell_name(sh->cell));
                    fail();
                }
                free(got);
                compared++;
            }
            float *two = run_grid(v, sh, 2, 2, 1, &n);
            for (int S = 2; S <= 3; S++) {
                float *got = run_grid(v, sh, 2 * S, 2, S, &n);
                if (count_diff(got, two, n)) {
                    print_error("%s grid 2x%d differs from 2x1 (%s)\n", name, S, rb_cell_name(sh->cell));
                    fail();
                }
                free(got);
                compared++;
            }
            for (int B = 2; B <= 3; B++) {
                float *got = run_grid(v, sh, B, B, 1, &n), *want = run_all(batch, sh, B, &n0);
                if (count_diff(got, want, n)) {
                    print_error("%s grid %dx1 differs from %s at %d threads (%s)\n", name, B, bname, B,
                                rb_cell_name(sh->cell));
                    fail();
                }
                free(got);
                free(want);
                compared++;
            }
            print_message("%s %s: 2xS vs serial: %zu of %zu elements differ\n", name, rb_cell_name(sh->cell),
                          count_diff(two, ref, n), n);
            free(two);
            free(ref);
        }
    }
    if (compared == 0) skip();
}

/* The serial, omp_batch and omp_hidden variants of each vectorized ISA. */
static void test_same_bits_as_serial(void **state)
{
    (void)state;
    const char *isas[] = {"avx2", "avx512", "neon"};
    int compared = 0;
    for (size_t a = 0; a < sizeof isas / sizeof isas[0]; a++) {
        const rb_variant *base = rb_variant_find(isas[a]);
        if (!base || rb_variant_why_not(base, &(rb_problem){.s = {.cell = RB_LSTM}, .threads = 1})) continue;
        char name[64];
        const char *strategies[] = {"omp_batch", "omp_hidden"};
        for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
            size_t n0;
            float *ref = run_all(base, &shapes[k], 1, &n0);
            for (size_t s = 0; s < 2; s++) {
                snprintf(name, sizeof name, "%s_%s", isas[a], strategies[s]);
                const rb_variant *v = rb_variant_find(name);
                if (!v || rb_variant_why_not(v, &(rb_problem){.s = {.cell = shapes[k].cell}, .threads = 1}))
                    continue;
                for (int th = 1; th <= 3; th++) {
                    size_t n;
                    float *got = run_all(v, &shapes[k], th, &n);
                    assert_int_equal(n, n0);
                    double max_rel = 0;
                    size_t ndiff = 0;
                    for (size_t i = 0; i < n; i++)
                        if (memcmp(&got[i], &ref[i], sizeof(float)) != 0) {
                            ndiff++;
                            double d = (double)got[i] - ref[i], r = ref[i] != 0 ? ref[i] : 1;
                            if (d / r > max_rel || -d / r > max_rel) max_rel = d / r > 0 ? d / r : -d / r;
                        }
                    const int must_match = th == 1 || s == 1; /* omp_hidden: always */
                    if (must_match && ndiff) {
                        print_error("%s at %d threads differs from %s in %zu elements (%s)\n", name, th,
                                    isas[a], ndiff, rb_cell_name(shapes[k].cell));
                        fail();
                    }
                    if (th > 1)
                        print_message("%s threads=%d %s: %zu of %zu elements differ from %s, max rel %.2g\n",
                                      name, th, rb_cell_name(shapes[k].cell), ndiff, n, isas[a], max_rel);
                    free(got);
                    compared++;
                }
            }
            free(ref);
        }
    }
    if (compared == 0) skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_to_run),
        cmocka_unit_test(test_same_bits_as_serial),
        cmocka_unit_test(test_grid_bits),
    };
    return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
