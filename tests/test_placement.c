/*
 * test_placement.c: the thread placement plan (harness/placement.c) on
 * synthetic hwloc topologies and on this machine, the OMP_PLACES it turns
 * into, the sweep's default threads axis, and `rnnbench info` under
 * HWLOC_SYNTHETIC (the plan reported, binding to its PUs skipped).
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

#include "../harness/placement.h"

static rb_placement pl; /* ~16 KiB */

static void load(const char *desc, int smt)
{
    if (rb_placement_plan_synthetic(&pl, desc, smt) != 0) skip(); /* built without hwloc */
    assert_true(pl.have);
    assert_false(pl.this_system);
}

static void expect_places(const char *want)
{
    char buf[1024];
    assert_int_equal(rb_placement_omp_places(&pl, buf, sizeof buf), 0);
    assert_string_equal(buf, want);
}

/* The plan's packages, cores, threads (total), and cores per NUMA node and
 * per package. */
static void expect_counts(int packages, int cores, int total, int node_cores, int package_cores)
{
    assert_int_equal(pl.packages, packages);
    assert_int_equal(pl.cores, cores);
    assert_int_equal(pl.total, total);
    assert_int_equal(pl.node_cores, node_cores);
    assert_int_equal(pl.package_cores, package_cores);
}

/* rb_threads_axis(cores, plan) is want[0..n-1]. */
static void expect_axis(int cores, const rb_placement *plan, const int *want, int n)
{
    int axis[64];
    assert_int_equal(rb_threads_axis(cores, plan, axis, 64), n);
    assert_memory_equal(axis, want, n * sizeof *want);
}

/* 2 packages x 2 NUMA nodes x 8 cores x 2 PUs: one thread per core,
 * package 0's first node, its second node, then package 1. */
static void test_two_packages_two_nodes(void **state)
{
    (void)state;
    load("pack:2 numa:2 core:8 pu:2", 0);
    expect_counts(2, 32, 32, 8, 16);
    assert_int_equal(pl.numa_nodes, 4);
    assert_int_equal(pl.pus, 64);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(pl.t[i].package, i / 16);
        assert_int_equal(pl.t[i].numa, i / 8);
        assert_int_equal(pl.t[i].core, i);
        assert_int_equal(pl.t[i].pu, 2 * i); /* the first PU of core i */
    }
    expect_places("{0}:32:2");

    /* RNNBENCH_SMT=1: every core's first PU, then every core's second. */
    load("pack:2 numa:2 core:8 pu:2", 1);
    assert_int_equal(pl.total, 64);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(pl.t[32 + i].pu, 2 * i + 1);
        assert_int_equal(pl.t[32 + i].core, i);
        assert_int_equal(pl.t[32 + i].package, i / 16);
    }
    expect_places("{0}:32:2,{1}:32:2");
}

static void test_one_package_64_cores(void **state)
{
    (void)state;
    load("pack:1 core:64 pu:1", 0);
    expect_counts(1, 64, 64, 64, 64);
    for (int i = 0; i < 64; i++) {
        assert_int_equal(pl.t[i].pu, i);
        assert_int_equal(pl.t[i].package, 0);
    }
    expect_places("{0}:64:1");
    expect_axis(64, &pl, (const int[]){1, 2, 4, 8, 16, 32, 64}, 7);
}

/* OS numbers that alternate between the packages (cpu0 on package 0, cpu1
 * on package 1, ...), as many two-socket servers number them: the plan
 * still fills package 0 first, where OMP_PLACES=cores would alternate. */
static void test_interleaved_os_numbering(void **state)
{
    (void)state;
    load("pack:2 core:4 pu:1(indexes=0,2,4,6,1,3,5,7)", 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(pl.t[i].package, i / 4);
        assert_int_equal(pl.t[i].pu, i < 4 ? 2 * i : 2 * (i - 4) + 1);
    }
    expect_places("{0}:4:2,{1}:4:2");
}

/* 1, 2, 4, ... cores, plus one NUMA node's and one package's cores. */
static void test_threads_axis(void **state)
{
    (void)state;
    load("pack:2 numa:3 core:4 pu:1", 0);
    assert_int_equal(pl.node_cores, 4);
    assert_int_equal(pl.package_cores, 12);
    expect_places("{0}:24:1");
    expect_axis(24, &pl, (const int[]){1, 2, 4, 8, 12, 16, 24}, 7);
    /* Fewer usable cores than a node: the node and package are left out. */
    expect_axis(2, &pl, (const int[]){1, 2}, 2);
    /* No plan (no hwloc): powers of two and the cores. */
    expect_axis(6, NULL, (const int[]){1, 2, 4, 6}, 4);
}

/* This machine: every core once, in (package, NUMA node) order. */
static void test_this_machine(void **state)
{
    (void)state;
    rb_placement_plan(&pl, 0);
    if (!pl.have) skip();
    assert_true(pl.this_system);
    assert_true(pl.cores >= 1);
    assert_int_equal(pl.total, pl.cores);
    for (int i = 0; i < pl.n; i++) {
        for (int j = 0; j < i; j++) assert_int_not_equal(pl.t[i].pu, pl.t[j].pu);
        if (i) {
            assert_true(pl.t[i].package >= pl.t[i - 1].package);
            if (pl.t[i].package == pl.t[i - 1].package) assert_true(pl.t[i].numa >= pl.t[i - 1].numa);
        }
    }
    char buf[8192];
    assert_int_equal(rb_placement_omp_places(&pl, buf, sizeof buf), 0);
    assert_int_equal(buf[0], '{');
}

static void test_info_under_synthetic_topology(void **state)
{
    (void)state;
    if (rb_placement_plan_synthetic(&pl, "pack:1 core:1 pu:1", 0) != 0) skip();
    static char err[4096], path[] = "/tmp/rnnbench-placement-XXXXXX";
    rb_cli_tmpfile(path);
    setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 l3:1 core:8 pu:2", 1);
    int st = rb_cli_run("info --no-measure", path, err, sizeof err);
    char *text = rb_cli_slurp(path);
    st |= rb_cli_run("info --json --no-measure", path, err, sizeof err);
    char *json = rb_cli_slurp(path);
    unsetenv("HWLOC_SYNTHETIC");
    unlink(path);
    assert_int_equal(st, 0);
    assert_non_null(text);
    assert_non_null(json);
    print_message("%s", text);
    assert_non_null(strstr(text, "2 packages"));
    assert_non_null(strstr(text, "binding to its PUs skipped"));
    assert_non_null(strstr(text, "t8->pu16/core8/numa1/pack1"));
    assert_non_null(strstr(json, "\"packages\": 2"));
    assert_non_null(strstr(json, "\"this_system\": false"));
    assert_non_null(strstr(json, "{\"thread\": 15, \"pu\": 30, \"core\": 15, \"numa\": 1, \"package\": 1}"));
    free(text);
    free(json);
}

int main(void)
{
    (void)rb_cli_expect_error; /* cli_run.h's; no bad input to test here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_packages_two_nodes),
        cmocka_unit_test(test_one_package_64_cores),
        cmocka_unit_test(test_interleaved_os_numbering),
        cmocka_unit_test(test_threads_axis),
        cmocka_unit_test(test_this_machine),
        cmocka_unit_test(test_info_under_synthetic_topology),
    };
    return cmocka_run_group_tests_name("placement", tests, NULL, NULL);
}
