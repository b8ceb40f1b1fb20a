/*
 * test_agree.c: every variant in the registry that this machine can run
 * agrees with the double oracle, for every cell, on the edge shapes of
 * `rnnbench check` (harness/edge_shapes.h), at 1, 2 and 3 threads for the
 * parallel ones (rb_check_one: forward outputs, every
 * gradient, canaries, inputs unchanged). Variants this machine cannot run
 * are reported as cmocka skips, never as passes; a network row a variant
 * does not run (rb_variant_why_not) is skipped with its reason printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/check.h"
#include "../harness/edge_shapes.h"
#include "../variants/variant.h"

/* The inputs and the oracle of each (cell, shape), made once and shared by
 * every variant (the oracle costs more than most variants' checks);
 * rb_check_one overwrites only the outputs and checks the inputs kept. */
#define MAX_SHAPES 64
static struct {
    int ready;
    rb_tset ts;
    rb_oracle o;
} cases[RB_NCELLS][MAX_SHAPES];

static void case_get(rb_cell c, int si, rb_tset **ts, const rb_oracle **o)
{
    if (!cases[c][si].ready) {
        const rb_edge_shape *e = &rb_edge_shapes[si];
        rb_shape s = rb_edge_shape_of(e, c);
        char err[256];
        assert_int_equal(rb_tset_alloc(&cases[c][si].ts, &s, err, sizeof err), 0);
        rb_tset_init(&cases[c][si].ts, 100 + (uint64_t)si);
        assert_int_equal(rb_oracle_run(&cases[c][si].o, &cases[c][si].ts, err, sizeof err), 0);
        cases[c][si].ready = 1;
    }
    *ts = &cases[c][si].ts;
    *o = &cases[c][si].o;
}

static int cases_free(void **state)
{
    (void)state;
    for (int c = 0; c < RB_NCELLS; c++)
        for (int si = 0; si < MAX_SHAPES; si++)
            if (cases[c][si].ready) {
                rb_oracle_free(&cases[c][si].o);
                rb_tset_free(&cases[c][si].ts);
                cases[c][si].ready = 0;
            }
    return 0;
}

static void test_variant(void **state)
{
    const rb_variant *v = *state;
    int any = 0, said[MAX_SHAPES] = {0};
    for (int c = 0; c < RB_NCELLS; c++) {
        if (rb_variant_why_not(v, &(rb_problem){.s = {.cell = (rb_cell)c}, .threads = 1})) continue;
        any = 1;
        for (int si = 0; si < rb_edge_shape_count; si++) {
            char net[512];
            const rb_shape row = rb_edge_shape_of(&rb_edge_shapes[si], (rb_cell)c);
            const char *why = rb_variant_why_not(v, &(rb_problem){.s = row, .threads = 1});
            if (why) {
                if (!said[si]++) /* once per row, not per cell */
                    print_message("%s T=%d N=%d I=%d H=%d%s: skipped: %s\n", v->name, row.T, row.N, row.I, row.H,
                                  rb_shape_net_text(&row, 0, net, sizeof net), why);
                continue;
            }
            rb_tset *ts;
            const rb_oracle *o;
            case_get((rb_cell)c, si, &ts, &o);
            const rb_shape s = ts->s;
            const int par = rb_variant_is_parallel(v);
            for (int th = 1; th <= (par ? 3 : 1); th++) {
                rb_check_result res;
                if (!rb_check_one(v, ts, o, th, &res)) {
                    for (int id = 0; id < RB_NTENSORS; id++)
                        if ((res.have_train[id] && !res.train[id].pass) ||
                            (res.have_infer[id] && !res.infer[id].pass))
                            print_error("%s %s T=%d N=%d I=%d H=%d%s threads=%d: %s disagrees\n", v->name,
                                        rb_cell_name(s.cell), s.T, s.N, s.I, s.H,
                                        rb_shape_net_text(&s, 0, net, sizeof net), th,
                                        rb_tensor_name((rb_tensor_id)id));
                    print_error("%s\n", res.err);
                    fail();
                }
            }
        }
    }
    if (!any) {
        print_message("%s: skipped: %s\n", v->name, rb_variant_why_not_any(v));
        skip();
    }
}

int main(void)
{
    if (rb_edge_shape_count > MAX_SHAPES) {
        fprintf(stderr, "test_agree: raise MAX_SHAPES to %d\n", rb_edge_shape_count);
        return 1;
    }
    static struct CMUnitTest tests[256];
    static char names[256][64];
    int n = rb_variant_count();
    for (int i = 0; i < n && i < 256; i++) {
        snprintf(names[i], sizeof names[i], "agree_%s", rb_variant_at(i)->name);
        tests[i] = (struct CMUnitTest){names[i], test_variant, NULL, NULL, (void *)rb_variant_at(i)};
    }
    return _cmocka_run_group_tests("agreement", tests, (size_t)n, NULL, cases_free);
}
