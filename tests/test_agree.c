/*
 * test_agree.c: every variant in the registry that this machine can run
 * agrees with the double oracle, for every cell, on edge shapes, at 1, 2 and
 * 3 threads for the parallel ones (rb_check_one: forward outputs, every
 * gradient, canaries, inputs unchanged). Variants this machine cannot run
 * are reported as cmocka skips, never as passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/check.h"
#include "../variants/variant.h"

typedef struct { int T, N, I, H; } dims;
/* 1, W-1, W, W+1 and 2W+3 for W = 4, 8, 16; N = 1; T = 1. */
static const dims shapes[] = {
    {1, 1, 1, 1}, {2, 1, 3, 4}, {3, 2, 5, 7}, {2, 3, 8, 9}, {2, 2, 15, 16},
    {1, 3, 17, 19}, {2, 5, 35, 33}, {5, 4, 11, 13},
};

static void test_variant(void **state)
{
    const rb_variant *v = *state;
    int any = 0;
    for (int c = 0; c < RB_NCELLS; c++) {
        if (rb_variant_why_not(v, &(rb_problem){.s = {.cell = (rb_cell)c}, .threads = 1})) continue;
        any = 1;
        for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
            rb_shape s = {(rb_cell)c, shapes[si].T, shapes[si].N, shapes[si].I, shapes[si].H};
            rb_tset ts;
            rb_oracle o;
            char err[256];
            assert_int_equal(rb_tset_alloc(&ts, &s, err, sizeof err), 0);
            rb_tset_init(&ts, 100 + si);
            assert_int_equal(rb_oracle_run(&o, &ts, err, sizeof err), 0);
            const int par = rb_variant_is_parallel(v);
            for (int th = 1; th <= (par ? 3 : 1); th++) {
                rb_check_result res;
                if (!rb_check_one(v, &ts, &o, th, &res)) {
                    for (int id = 0; id < RB_NTENSORS; id++)
                        if ((res.have_train[id] && !res.train[id].pass) ||
                            (res.have_infer[id] && !res.infer[id].pass))
                            print_error("%s %s T=%d N=%d I=%d H=%d threads=%d: %s disagrees\n", v->name,
                                        rb_cell_name(s.cell), s.T, s.N, s.I, s.H, th,
                                        rb_tensor_name((rb_tensor_id)id));
                    print_error("%s\n", res.err);
                    fail();
                }
            }
            rb_oracle_free(&o);
            rb_tset_free(&ts);
        }
    }
    if (!any) {
        print_message("%s: skipped: %s\n", v->name, rb_variant_why_not_any(v));
        skip();
    }
}

int main(void)
{
    static struct CMUnitTest tests[256];
    static char names[256][64];
    int n = rb_variant_count();
    for (int i = 0; i < n && i < 256; i++) {
        snprintf(names[i], sizeof names[i], "agree_%s", rb_variant_at(i)->name);
        tests[i] = (struct CMUnitTest){names[i], test_variant, NULL, NULL, (void *)rb_variant_at(i)};
    }
    return _cmocka_run_group_tests("agreement", tests, (size_t)n, NULL, NULL);
}
