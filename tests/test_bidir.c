/*
 * test_bidir.c: the concurrent directions of variants/network.c (the two
 * directions of a bi_concat / bi_sum layer at once, each on half of the
 * team), forced with RNNBENCH_BIDIR=concurrent, agree with the double
 * oracle (rb_check_one: outputs, every gradient, canaries) for every
 * parallel variant that runs bidirectional networks, every cell, on the
 * bidirectional rows of the edge shapes plus one full-length bi_concat
 * row, at 2 threads (1 + 1) and 3 (2 + 1: uneven halves, a nested team).
 * (A variant that runs networks its own way, as onednn, is skipped.)
 * Each plan's describe line must say the directions ran concurrently (or,
 * for a library variant at 3 threads, why not), so a driver that quietly
 * ran them one after the other would fail here. Also: RNNBENCH_BIDIR=serial
 * turns it off, a bad value is a plan error naming the variable, and auto
 * follows the measured rule (network.c bidir_pays).
 */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/check.h"
#include "../harness/edge_shapes.h"
#include "../variants/variant.h"

static int is_bi(rb_dir d) { return d == RB_DIR_BI_CONCAT || d == RB_DIR_BI_SUM; }

/* A full-length bi_concat row (the edge rows' bi_concat have mixed
 * lengths): odd batch, so the halves' batch splits are uneven too. */
static const rb_shape full_concat = {.T = 6, .N = 7, .I = 9, .H = 13, .layers = 2, .dir = RB_DIR_BI_CONCAT};

/* The describe line of v's plan for p. */
static void describe(const rb_variant *v, const rb_problem *p, char *buf, size_t n)
{
    char err[256] = "";
    void *plan = v->ops->plan_create(p, err, sizeof err);
    if (!plan) {
        print_error("%s: %s\n", v->name, err);
        fail();
    }
    v->ops->describe(plan, buf, n);
    v->ops->plan_destroy(plan);
}

/* Checks v on shape s (cell set) at 2 and 3 threads, concurrent forced. */
static void check_shape(const rb_variant *v, rb_shape s, int seed)
{
    char net[512], text[1024];
    rb_tset ts;
    rb_oracle o;
    char err[256];
    assert_int_equal(rb_tset_alloc(&ts, &s, err, sizeof err), 0);
    rb_tset_init(&ts, (uint64_t)seed);
    assert_int_equal(rb_oracle_run(&o, &ts, err, sizeof err), 0);
    for (int th = 2; th <= 3; th++) {
        const rb_problem p = {.s = s, .threads = th};
        describe(v, &p, text, sizeof text);
        const int library = v->par_kind == RB_PAR_LIBRARY;
        const char *want = library && th > 2 ? "one after the other (the library's thread count is process-wide)"
                                             : "directions concurrently on";
        if (!strstr(text, want)) {
            print_error("%s threads=%d: describe lacks \"%s\": %s\n", v->name, th, want, text);
            fail();
        }
        rb_check_result res;
        if (!rb_check_one(v, &ts, &o, th, &res)) {
            for (int id = 0; id < RB_NTENSORS; id++)
                if ((res.have_train[id] && !res.train[id].pass) || (res.have_infer[id] && !res.infer[id].pass))
                    print_error("%s %s T=%d N=%d I=%d H=%d%s threads=%d concurrent: %s disagrees\n", v->name,
                                rb_cell_name(s.cell), s.T, s.N, s.I, s.H, rb_shape_net_text(&s, 0, net, sizeof net),
                                th, rb_tensor_name((rb_tensor_id)id));
            print_error("%s\n", res.err);
            fail();
        }
    }
    rb_oracle_free(&o);
    rb_tset_free(&ts);
}

static void test_variant(void **state)
{
    const rb_variant *v = *state;
    int ran = 0;
    rb_shape probe = full_concat;
    probe.cell = RB_LSTM;
    if (!rb_variant_why_not(v, &(rb_problem){.s = probe, .threads = 2})) {
        char text[1024];
        describe(v, &(rb_problem){.s = probe, .threads = 2}, text, sizeof text);
        if (!strstr(text, "network driver:")) {
            print_message("%s: skipped: runs networks without variants/network.c\n", v->name);
            skip();
        }
    }
    for (int c = 0; c < RB_NCELLS; c++) {
        for (int si = 0; si <= rb_edge_shape_count; si++) {
            rb_shape s = full_concat;
            if (si < rb_edge_shape_count) {
                if (!is_bi(rb_edge_shapes[si].dir)) continue;
                s = rb_edge_shape_of(&rb_edge_shapes[si], (rb_cell)c);
            }
            s.cell = (rb_cell)c;
            if (rb_variant_why_not(v, &(rb_problem){.s = s, .threads = 2})) continue;
            check_shape(v, s, 300 + si);
            ran++;
        }
    }
    if (!ran) {
        const char *why = rb_variant_why_not_any(v);
        print_message("%s: skipped: %s\n", v->name, why ? why : "runs no bidirectional network here");
        skip();
    }
}

/* The first variant of work split `kind` that runs bi_concat here. */
static const rb_variant *variant_of(rb_parallel_kind kind)
{
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        rb_shape s = full_concat;
        s.cell = RB_LSTM;
        if (v->par_kind == kind && !rb_variant_why_not(v, &(rb_problem){.s = s, .threads = 2})) return v;
    }
    return NULL;
}

static const rb_variant *some_variant(void) { return variant_of(RB_PAR_OMP_BATCH); }

/* The auto rule (network.c bidir_pays) as the describe line tells it. */
static void test_auto_rule(void **state)
{
    (void)state;
    const rb_variant *batch = variant_of(RB_PAR_OMP_BATCH), *hidden = variant_of(RB_PAR_OMP_HIDDEN);
    if (!batch || !hidden) skip();
    setenv("RNNBENCH_BIDIR", "auto", 1);
    rb_shape s = full_concat;
    s.cell = RB_GRU_LBR;
    char text[1024];
    describe(batch, &(rb_problem){.s = s, .threads = 2}, text, sizeof text);
    assert_non_null(strstr(text, "directions concurrently on 1+1 threads (where it pays"));
    s.N = 32;
    describe(batch, &(rb_problem){.s = s, .threads = 2}, text, sizeof text);
    assert_non_null(strstr(text, "directions one after the other (network.c's rule)"));
    describe(hidden, &(rb_problem){.s = s, .threads = 2}, text, sizeof text);
    assert_non_null(strstr(text, "directions concurrently on 1+1 threads"));
    describe(hidden, &(rb_problem){.s = s, .threads = 4}, text, sizeof text);
    assert_non_null(strstr(text, "one after the other (not measured beyond two threads"));
    setenv("RNNBENCH_BIDIR", "concurrent", 1);
}

static void test_serial_and_bad_value(void **state)
{
    (void)state;
    const rb_variant *v = some_variant();
    if (!v) skip();
    rb_shape s = full_concat;
    s.cell = RB_LSTM;
    const rb_problem p = {.s = s, .threads = 2};
    char text[1024], err[256] = "";

    setenv("RNNBENCH_BIDIR", "serial", 1);
    describe(v, &p, text, sizeof text);
    assert_non_null(strstr(text, "one after the other (RNNBENCH_BIDIR=serial)"));

    setenv("RNNBENCH_BIDIR", "sideways", 1);
    void *plan = v->ops->plan_create(&p, err, sizeof err);
    assert_null(plan);
    assert_non_null(strstr(err, "RNNBENCH_BIDIR must be serial, concurrent or auto, not 'sideways'"));

    setenv("RNNBENCH_BIDIR", "concurrent", 1);
    /* one thread, or a one-direction network: nothing to split */
    describe(v, &(rb_problem){.s = s, .threads = 1}, text, sizeof text);
    assert_non_null(strstr(text, "one after the other (one thread)"));
    s.dir = RB_DIR_R2L;
    describe(v, &(rb_problem){.s = s, .threads = 2}, text, sizeof text);
    assert_null(strstr(text, "directions"));
}

int main(void)
{
    setenv("RNNBENCH_BIDIR", "concurrent", 1);
    static struct CMUnitTest tests[258];
    static char names[256][64];
    int n = 0;
    for (int i = 0; i < rb_variant_count() && n < 256; i++) {
        const rb_variant *v = rb_variant_at(i);
        if (!rb_variant_is_parallel(v) || !(v->features & RB_FEAT_DIRS)) continue;
        snprintf(names[n], sizeof names[n], "bidir_concurrent_%s", v->name);
        tests[n++] = (struct CMUnitTest){names[n - 1], test_variant, NULL, NULL, (void *)v};
    }
    tests[n++] = (struct CMUnitTest){"bidir_auto_rule", test_auto_rule, NULL, NULL, NULL};
    tests[n++] = (struct CMUnitTest){"bidir_serial_and_bad_value", test_serial_and_bad_value, NULL, NULL, NULL};
    return _cmocka_run_group_tests("bidir", tests, (size_t)n, NULL, NULL);
}
