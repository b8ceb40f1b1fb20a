/*
 * test_grid.c: the thread grid of the *_omp_grid variants: the cost model
 * (variants/grid_model.c) picks a valid grid, and the one the model itself
 * rates cheapest; the shapes that must go one way do; --grid is parsed
 * strictly and checked against the thread count, with one-line errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../variants/grid_model.h"
#include "../variants/variant.h"

static rb_grid_machine machine(void)
{
    rb_grid_machine m;
    rb_grid_machine_default(&m, 32.0);
    m.l2_bytes = 1 << 20; /* fixed, so that the expectations below hold anywhere */
    return m;
}

static void test_parse(void **state)
{
    (void)state;
    int B = 0, S = 0;
    assert_int_equal(rb_grid_parse("4x2", &B, &S), 0);
    assert_int_equal(B, 4);
    assert_int_equal(S, 2);
    assert_int_equal(rb_grid_parse("1x64", &B, &S), 0);
    assert_int_equal(S, 64);
    const char *bad[] = {"", "x", "4x", "x2", "0x2", "2x0", "4*2", "4X2", "-1x2", "4x2x1", " 4x2", "4x2 ",
                         "9999999x1", "ax2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rb_grid_parse(bad[i], &B, &S) == 0) fail_msg("'%s' parsed as %dx%d", bad[i], B, S);
}

/* For every shape and team size: B * S = threads, and no other
 * factorization is cheaper by the model's own cost. */
static void test_choice_is_the_cheapest(void **state)
{
    (void)state;
    const rb_grid_machine m = machine();
    const int Ns[] = {1, 3, 16, 64, 128}, Hs[] = {13, 64, 512, 1024};
    for (int c = 0; c < RB_NCELLS; c++)
        for (size_t a = 0; a < 5; a++)
            for (size_t b = 0; b < 4; b++)
                for (int th = 1; th <= 64; th++) {
                    rb_shape s = {.cell = (rb_cell)c, .T = 50, .N = Ns[a], .I = Hs[b], .H = Hs[b]};
                    int B, S;
                    rb_grid_choose(&s, th, 6, 16, &m, &B, &S);
                    assert_int_equal(B * S, th);
                    const double best = rb_grid_step_cost(&s, B, S, 6, 16, &m);
                    for (int b2 = 1; b2 <= th; b2++)
                        if (th % b2 == 0 && rb_grid_step_cost(&s, b2, th / b2, 6, 16, &m) < best * (1 - 1e-12))
                            fail_msg("N=%d H=%d threads=%d: chose %dx%d, %dx%d is cheaper", s.N, s.H, th, B, S, b2,
                                     th / b2);
                }
}

/* Shapes whose answer is not in doubt. */
static void test_clear_cases(void **state)
{
    (void)state;
    const rb_grid_machine m = machine();
    int B, S;
    /* One sequence: rows cannot be split. */
    rb_shape one = {.cell = RB_LSTM, .T = 50, .N = 1, .I = 1024, .H = 1024};
    rb_grid_choose(&one, 16, 6, 16, &m, &B, &S);
    assert_int_equal(B, 1);
    assert_int_equal(S, 16);
    /* Many sequences, a hidden size of one engine tile: no slices to cut. */
    rb_shape narrow = {.cell = RB_LSTM, .T = 50, .N = 64, .I = 16, .H = 16};
    rb_grid_choose(&narrow, 8, 6, 16, &m, &B, &S);
    assert_int_equal(B, 8);
    assert_int_equal(S, 1);
    /* 64 threads, N = 64, H = 512: one row each would waste 5/6 of every
     * engine tile and stream all of U per step: neither pure split wins. */
    rb_shape big = {.cell = RB_LSTM, .T = 50, .N = 64, .I = 512, .H = 512};
    rb_grid_choose(&big, 64, 6, 16, &m, &B, &S);
    assert_true(B > 1 && S > 1);
    /* Weights of 4 GiB: copies per group are not affordable. */
    rb_shape huge = {.cell = RB_LSTM, .T = 2, .N = 64, .I = 8192, .H = 8192};
    rb_grid_choose(&huge, 4, 6, 16, &m, &B, &S);
    assert_int_equal(B, 1);
}

/* The first omp_grid variant this machine runs, or NULL. */
static const char *runnable_grid_variant(void)
{
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        if (v->par_kind == RB_PAR_OMP_GRID && !rb_variant_why_not(v, &(rb_problem){.s = {.cell = RB_LSTM}, .threads = 1})) return v->name;
    }
    return NULL;
}

static void test_cli_errors(void **state)
{
    (void)state;
    rb_cli_expect_error("run --grid 2y1", "not BxS");
    rb_cli_expect_error("run --grid 0x1", "not BxS");
    rb_cli_expect_error("run --variant naive --grid 1x1", "applies to the *_omp_grid variants");
    rb_cli_expect_error("sweep --grid 3x --dry-run", "not BxS");
    const char *v = runnable_grid_variant();
    if (!v) skip();
    char args[256];
    snprintf(args, sizeof args, "run --variant %s --threads 2 --grid 2x2", v);
    rb_cli_expect_error(args, "--threads is 2");
    snprintf(args, sizeof args, "sweep --variants %s --threads 1,2 --grid 1x2 --dry-run", v);
    rb_cli_expect_error(args, "at threads = 1");
}

/* A forced grid and the model's are both said by --verbose. */
static void test_verbose_says_the_grid(void **state)
{
    (void)state;
    const char *v = runnable_grid_variant();
    if (!v) skip();
    char args[256], err[4096];
    snprintf(args, sizeof args, "run --variant %s --threads 3 --grid 3x1 --N 5 --H 13 --I 7 --T 3 --verbose", v);
    assert_int_equal(rb_cli_run(args, "/dev/null", err, sizeof err), 0);
    assert_non_null(strstr(err, "grid 3x1, set by --grid"));
    snprintf(args, sizeof args, "run --variant %s --threads 2 --N 5 --H 13 --I 7 --T 3 --pass fwdbwd --verbose", v);
    assert_int_equal(rb_cli_run(args, "/dev/null", err, sizeof err), 0);
    assert_non_null(strstr(err, "chosen by the cost model"));
}

/* A sweep runs omp_grid points on the model's grid unless --grid says
 * otherwise (a point once carried an uninitialised grid and ended in
 * "error: grid 22032x7417600"). */
static void test_sweep_runs_grid_points(void **state)
{
    (void)state;
    const char *v = runnable_grid_variant();
    if (!v) skip();
    char dir[] = "/tmp/rnnbench-test-grid-XXXXXX", args[512], err[4096], path[600];
    assert_non_null(mkdtemp(dir));
    snprintf(args, sizeof args, "sweep --variants %s --cells lstm --T 2 --N 3 --H 5 --threads 1,2 --reps 1 "
                                "--out %s/s", v, dir);
    assert_int_equal(rb_cli_run(args, "/dev/null", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/s/results.csv", dir);
    char *csv = rb_cli_slurp(path);
    assert_non_null(csv);
    int rows = 0;
    for (const char *l = strchr(csv, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        rows++;
        const char *end = strchr(l + 1, '\n');
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)(end ? end - l - 1 : (long)strlen(l + 1)), l + 1);
        if (!strstr(line, ",ok,")) fail_msg("not ok: %s", line);
    }
    assert_int_equal(rows, 2);
    free(csv);
    assert_int_equal(rb_cli_tmpdir_remove(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_choice_is_the_cheapest),
        cmocka_unit_test(test_clear_cases),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_verbose_says_the_grid),
        cmocka_unit_test(test_sweep_runs_grid_points),
    };
    return cmocka_run_group_tests_name("grid", tests, NULL, NULL);
}
