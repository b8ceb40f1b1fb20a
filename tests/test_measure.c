/*
 * test_measure.c: the measurement method of issue 11, by hand-computed
 * cases: the median's order-statistic interval and its coverage, the 5%
 * spread flag (harness/stats.c); the bound model (harness/bound.c); the
 * order a sweep runs its points in: grouped by sweep point, shuffled by a
 * seed reproducibly, every point not done exactly once (sweep_loop.c).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/bound.h"
#include "../harness/stats.h"
#include "../harness/strset.h"
#include "../harness/sweep.h"
#include "../harness/sweep_loop.h"

static void near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("got %.12g, want %.12g", got, want);
}

/* ---------------------------------------------------------------- stats */

static void test_interval_small_n_is_min_max(void **state)
{
    (void)state;
    double x[5] = {5, 1, 3, 2, 4};
    rb_stats s;
    rb_stats_of(x, 5, &s);
    assert_true(s.median == 3 && s.min == 1 && s.max == 5);
    assert_int_equal(s.k, 1);
    assert_true(s.lo == 1 && s.hi == 5);
    near(s.level, 0.9375, 1e-12); /* 1 - 2^(1-5) */
    near(s.spread_pct, 100.0 * 4 / 3, 1e-12);
    assert_int_equal(s.noisy, 1);
    double three[3] = {2, 1, 3};
    rb_stats_of(three, 3, &s);
    near(s.level, 0.75, 1e-12);
    double one[1] = {7};
    rb_stats_of(one, 1, &s);
    assert_true(s.median == 7 && s.lo == 7 && s.hi == 7 && s.stddev == 0 && s.spread_pct == 0 && !s.noisy);
}

static void test_interval_order_statistics(void **state)
{
    (void)state;
    /* n = 10: k = 2, coverage 1 - 2 (1 + 10) / 1024 */
    double x[10] = {10, 3, 7, 1, 9, 2, 8, 4, 6, 5};
    rb_stats s;
    rb_stats_of(x, 10, &s);
    assert_true(s.median == 5.5);
    assert_int_equal(s.k, 2);
    assert_true(s.lo == 2 && s.hi == 9);
    near(s.level, 1 - 22.0 / 1024, 1e-12);
    /* n = 9: k = 2, 1 - 2 (1 + 9) / 512; k = 3 would be 1 - 2 * 46 / 512 */
    double cov;
    assert_int_equal(rb_stats_median_ci_k(9, 0.95, &cov), 2);
    near(cov, 1 - 20.0 / 512, 1e-12);
    /* n = 20: P(B <= 5) = 21700 / 2^20, so k = 6; P(B <= 6) = 60460 / 2^20 */
    assert_int_equal(rb_stats_median_ci_k(20, 0.95, &cov), 6);
    near(cov, 1 - 43400.0 / 1048576, 1e-12);
    /* n = 6 reaches 95% with min-max only */
    assert_int_equal(rb_stats_median_ci_k(6, 0.95, &cov), 1);
    near(cov, 1 - 2.0 / 64, 1e-12);
}

static void test_spread_flag(void **state)
{
    (void)state;
    rb_stats s;
    double quiet[3] = {100, 102, 104.9}; /* 4.9 / 102 = 4.80% */
    rb_stats_of(quiet, 3, &s);
    assert_int_equal(s.noisy, 0);
    double loud[3] = {100, 102, 105.2}; /* 5.2 / 102 = 5.10% */
    rb_stats_of(loud, 3, &s);
    assert_int_equal(s.noisy, 1);
    near(s.spread_pct, 100 * 5.2 / 102, 1e-12);
    /* the interval, not min-max, decides at larger n: one outlier of 20 */
    double x[20];
    for (int i = 0; i < 20; i++) x[i] = 100 + 0.1 * i;
    x[7] = 500;
    rb_stats_of(x, 20, &s);
    assert_int_equal(s.noisy, 0);
}

/* ---------------------------------------------------------------- bound */

static rb_bound_machine machine(void)
{
    rb_bound_machine m = {.peak_gflops = 100,
                          .bw_gbs = {200, 100, 50, 10},
                          .cap_bytes = {32768, 524288, 4194304, INFINITY},
                          .barrier_s = 1e-6};
    return m;
}

/* rnn_tanh T=10 N=1 I=H=256 infer, by hand (floats of 4 bytes):
 *   FLOPs 2*1*256*512*10 = 2621440: compute 26.2144 us at 100 GFLOP/s;
 *   one thread: a step moves U 65536 + gates 256 + h in 256 + h out 256 =
 *     66304 floats = 265216 B, in L2 (> 32 KiB, <= 512 KiB): 10 steps at
 *     100 GB/s = 26.5216 us; once: weight_ih 65536 + input GEMM's gates
 *     2560 + x 2560 = 70656 floats = 282624 B, at the level of bytes_min
 *     (137216 floats = 548864 B: L3, 50 GB/s) = 5.65248 us; memory 32.17408
 *     us > compute: bound 32.17408 us.
 *   two threads, hidden split: a step moves 65536 + 256 + 2*256 + 256 =
 *     66560 floats = 266240 B (26.624 us), one thread holds 32768 + 384 =
 *     33152 floats (L2); bytes_min / 2 = 274432 B: L2, 2.82624 us; plus
 *     10 barriers of 1 us: 39.45024 us.
 *   two threads, batch split: each reads all of U: 131072 + 256 + 256 +
 *     256 = 131840 floats = 527360 B a step (52.736 us), once 2.82624 us,
 *     no barrier: 55.56224 us. */
static void test_bound_by_hand(void **state)
{
    (void)state;
    const rb_bound_machine m = machine();
    const rb_shape s = {.cell = RB_RNN_TANH, .T = 10, .N = 1, .I = 256, .H = 256};
    rb_bound b;
    rb_bound_of(&m, &s, RB_PASS_INFER, 1, RB_SPLIT_HIDDEN, &b);
    near(b.compute_s, 26.2144e-6, 1e-12);
    assert_int_equal(b.step_level, RB_LVL_L2);
    assert_int_equal(b.once_level, RB_LVL_L3);
    near(b.step_bytes, 265216, 1e-12);
    near(b.once_bytes, 282624, 1e-12);
    near(b.memory_s, 32.17408e-6, 1e-12);
    assert_true(b.sync_s == 0);
    near(b.s, 32.17408e-6, 1e-12);

    rb_bound_of(&m, &s, RB_PASS_INFER, 2, RB_SPLIT_HIDDEN, &b);
    assert_int_equal(b.steps, 10);
    assert_int_equal(b.once_level, RB_LVL_L2);
    near(b.sync_s, 10e-6, 1e-12);
    near(b.s, 39.45024e-6, 1e-12);

    rb_bound_of(&m, &s, RB_PASS_INFER, 2, RB_SPLIT_BATCH, &b);
    near(b.s, 55.56224e-6, 1e-12);
    assert_true(b.sync_s == 0);

    /* compute-bound: N large, the max takes the FLOPs */
    const rb_shape big = {.cell = RB_RNN_TANH, .T = 10, .N = 1024, .I = 256, .H = 256};
    rb_bound_of(&m, &big, RB_PASS_INFER, 1, RB_SPLIT_HIDDEN, &b);
    assert_true(b.compute_s > b.memory_s);
    near(b.s, 2.0 * 256 * 512 * 1024 * 10 / 100e9, 1e-12);
}

static void test_bound_fwdbwd_counts_both(void **state)
{
    (void)state;
    const rb_bound_machine m = machine();
    const rb_shape s = {.cell = RB_LSTM, .T = 5, .N = 2, .I = 64, .H = 64};
    rb_bound f, b, fb;
    rb_bound_of(&m, &s, RB_PASS_INFER, 2, RB_SPLIT_HIDDEN, &f);
    rb_bound_of(&m, &s, RB_PASS_BWD, 2, RB_SPLIT_HIDDEN, &b);
    rb_bound_of(&m, &s, RB_PASS_FWDBWD, 2, RB_SPLIT_HIDDEN, &fb);
    assert_int_equal(fb.steps, 10);
    near(fb.sync_s, 10e-6, 1e-12);
    near(fb.step_bytes, f.step_bytes + b.step_bytes, 1e-12);
    near(fb.compute_s, 3 * f.compute_s, 1e-12);
}

/* The machine at a thread count, from rb_sysinfo: the pct_peak rule for
 * the peak, t times one core's bandwidth up to the all-core figure and
 * never below one core's, a level's share per thread, the barrier only
 * for a team. */
static void test_bound_machine_from_sysinfo(void **state)
{
    (void)state;
    static rb_sysinfo si;
    memset(&si, 0, sizeof si);
    si.measured = 1;
    si.peak_threads = si.cores = 2;
    si.peak_gflops_core = 100;
    si.peak_gflops_all = 150;
    si.l1d_kib = 32, si.l2_kib = 512, si.l3_kib = 16384;
    si.l2_instances = 2, si.l3_instances = 1;
    const double one[4] = {200, 100, 70, 10}, all[4] = {390, 250, 60, 12};
    for (int l = 0; l < 4; l++) si.level_bw_core_gbs[l] = one[l], si.level_bw_all_gbs[l] = all[l];
    si.barrier_us = 0.5;
    rb_bound_machine m;
    assert_int_equal(rb_bound_machine_of(&si, 1, &m), 1);
    assert_true(m.peak_gflops == 100 && m.barrier_s == 0);
    assert_true(m.bw_gbs[RB_LVL_L1] == 200 && m.bw_gbs[RB_LVL_L3] == 70);
    assert_true(m.cap_bytes[RB_LVL_L3] == 16384.0 * 1024);
    assert_int_equal(rb_bound_machine_of(&si, 2, &m), 1);
    assert_true(m.peak_gflops == 200);       /* 2 x one core, as pct_peak */
    assert_true(m.bw_gbs[RB_LVL_L1] == 390); /* min(2 x 200, 390) */
    assert_true(m.bw_gbs[RB_LVL_L2] == 200); /* min(2 x 100, 250) */
    assert_true(m.bw_gbs[RB_LVL_L3] == 70);  /* max(70, min(140, 60)) */
    assert_true(m.bw_gbs[RB_LVL_DRAM] == 12);
    assert_true(m.cap_bytes[RB_LVL_L2] == 512.0 * 1024);      /* private */
    assert_true(m.cap_bytes[RB_LVL_L3] == 16384.0 * 1024 / 2); /* shared by 2 */
    near(m.barrier_s, 0.5e-6, 1e-12);
    assert_int_equal(rb_bound_machine_of(&si, 3, &m), 1);
    assert_true(m.peak_gflops == 150);       /* beyond the cores */
    si.measured = 0;
    assert_int_equal(rb_bound_machine_of(&si, 1, &m), 0); /* no measurement, no bound */
}

/* --------------------------------------------------------------- order */

#define NH 6
static rb_sweep_point pts[2 * NH];

static void make_points(void)
{
    for (int h = 0; h < NH; h++)
        for (int v = 0; v < 2; v++) {
            rb_sweep_point *p = &pts[2 * h + v];
            memset(p, 0, sizeof *p);
            p->v = rb_variant_at(v);
            p->pass = RB_PASS_INFER;
            p->p.s = (rb_shape){.cell = RB_LSTM, .T = 3, .N = 2, .I = 8 + h, .H = 8 + h};
            p->p.threads = 1;
        }
}

/* Every point not in done appears once; a group's points share all of the
 * key but the variant, and are in grid order. Returns the groups' first
 * H values, in run order, as a string. */
static void check_sched(const rb_sweep_sched *sc, const rb_strset *done, char *order, size_t n)
{
    int seen[2 * NH] = {0};
    size_t expect = 0;
    char key[256];
    for (int i = 0; i < 2 * NH; i++) {
        rb_sweep_key(&pts[i], key, sizeof key);
        expect += !rb_strset_has(done, key);
    }
    assert_int_equal(sc->n, expect);
    order[0] = '\0';
    for (size_t g = 0; g < sc->ngroups; g++) {
        assert_true(sc->start[g] < sc->start[g + 1]);
        const size_t first = sc->idx[sc->start[g]];
        for (size_t j = sc->start[g]; j < sc->start[g + 1]; j++) {
            const size_t i = sc->idx[j];
            assert_true(i < 2 * NH);
            seen[i]++;
            assert_int_equal(pts[i].p.s.H, pts[first].p.s.H);
            if (j > sc->start[g]) assert_true(i > sc->idx[j - 1]);
            rb_sweep_key(&pts[i], key, sizeof key);
            assert_false(rb_strset_has(done, key));
        }
        snprintf(order + strlen(order), n - strlen(order), "%d ", pts[first].p.s.H);
    }
    for (int i = 0; i < 2 * NH; i++) {
        rb_sweep_key(&pts[i], key, sizeof key);
        assert_int_equal(seen[i], rb_strset_has(done, key) ? 0 : 1);
    }
}

static void test_schedule(void **state)
{
    (void)state;
    make_points();
    rb_strset *done = rb_strset_new();
    rb_sweep_sched sc;
    char grid[128], a[128], b[128], c[128];
    rb_sweep_schedule(pts, 2 * NH, done, 1, 0, &sc);
    check_sched(&sc, done, grid, sizeof grid);
    assert_string_equal(grid, "8 9 10 11 12 13 ");
    assert_int_equal(sc.ngroups, NH);
    rb_sweep_sched_free(&sc);

    rb_sweep_schedule(pts, 2 * NH, done, 42, 1, &sc);
    check_sched(&sc, done, a, sizeof a);
    rb_sweep_sched_free(&sc);
    rb_sweep_schedule(pts, 2 * NH, done, 42, 1, &sc);
    check_sched(&sc, done, b, sizeof b);
    rb_sweep_sched_free(&sc);
    assert_string_equal(a, b);             /* the same seed, the same order */
    rb_sweep_schedule(pts, 2 * NH, done, 43, 1, &sc);
    check_sched(&sc, done, c, sizeof c);
    rb_sweep_sched_free(&sc);
    assert_string_not_equal(a, c);         /* another seed, another order */
    assert_string_not_equal(a, grid);      /* (fixed seeds: no luck involved) */

    /* resume: the points done are left out, each other exactly once, even
     * half of a group */
    char key[256];
    rb_sweep_key(&pts[0], key, sizeof key);
    rb_strset_add(done, key);
    for (int i = 6; i < 10; i++) {
        rb_sweep_key(&pts[i], key, sizeof key);
        rb_strset_add(done, key);
    }
    rb_sweep_schedule(pts, 2 * NH, done, 42, 1, &sc);
    check_sched(&sc, done, a, sizeof a);
    assert_int_equal(sc.n, 2 * NH - 5);
    assert_int_equal(sc.ngroups, NH - 2);
    rb_sweep_sched_free(&sc);
    rb_strset_free(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_small_n_is_min_max),
        cmocka_unit_test(test_interval_order_statistics),
        cmocka_unit_test(test_spread_flag),
        cmocka_unit_test(test_bound_by_hand),
        cmocka_unit_test(test_bound_fwdbwd_counts_both),
        cmocka_unit_test(test_bound_machine_from_sysinfo),
        cmocka_unit_test(test_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
