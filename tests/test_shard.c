/*
 * test_shard.c: `rnnbench sweep --shard K/N` (harness/shard.c). The
 * partition directly: every point in exactly one part, loads within the
 * largest single cost of each other, the same answer every time and the
 * documented answer on a small case (so that tasks of one array built from
 * different commits would notice a change of rule); then through the
 * binary: the parts' dry-run listings are disjoint and together the grid,
 * a shard records itself in meta.json and resumes as itself, and bad K/N
 * is one line and exit 2.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/shard.h"

static char tmpdir[256];

/* Deterministic costs in whole microseconds (the partition's unit), some
 * equal, some zero. */
static void make_costs(double *c, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        uint32_t r = seed >> 8;
        c[i] = (r % 7 == 0 ? 0 : (double)(r % 5000)) * 1e-6; /* 0 .. 5 ms */
    }
}

static void test_partition_properties(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 5, 97, 1000};
    static const int parts[] = {1, 2, 3, 7, 64};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t pi = 0; pi < sizeof parts / sizeof parts[0]; pi++) {
            const size_t n = sizes[si];
            const int np = parts[pi];
            double *c = malloc((n + 1) * sizeof *c);
            int *own = malloc((n + 1) * sizeof *own), *again = malloc((n + 1) * sizeof *again);
            make_costs(c, n, (uint32_t)(n * 31 + (size_t)np));
            for (size_t i = 0; i < n; i++) own[i] = again[i] = -1;
            rb_shard_assign(c, n, np, own);
            rb_shard_assign(c, n, np, again);
            double load[64] = {0}, maxc = 0;
            for (size_t i = 0; i < n; i++) {
                /* exactly one part, a valid one: disjoint and complete */
                if (own[i] < 0 || own[i] >= np) fail_msg("n=%zu parts=%d: point %zu in part %d", n, np, i, own[i]);
                assert_int_equal(own[i], again[i]); /* deterministic */
                load[own[i]] += c[i];
                if (c[i] > maxc) maxc = c[i];
            }
            double lo = load[0], hi = load[0];
            for (int p = 1; p < np; p++) {
                if (load[p] < lo) lo = load[p];
                if (load[p] > hi) hi = load[p];
            }
            /* greedy to the least loaded part: the most loaded part was the
             * least loaded before its last point */
            if (hi - lo > maxc + 1e-9)
                fail_msg("n=%zu parts=%d: loads %.6f .. %.6f differ by more than the largest cost %.6f", n, np,
                         lo, hi, maxc);
            free(c);
            free(own);
            free(again);
        }
}

/* The rule on a small case, worked by hand: heaviest first, to the least
 * loaded part, ties to the lower point index and the lower part.
 *   5(p0)->0  4(p1)->1  3(p2)->2  3(p3)->2 [5 4 3]  2(p4)->1 [5 4 6]
 *   2(p5)->0 [5 6 6]  1(p6)->1 [7 6 6] */
static void test_partition_rule(void **state)
{
    (void)state;
    const double c[] = {5, 4, 3, 3, 2, 2, 1};
    const int want[] = {0, 1, 2, 2, 1, 0, 1};
    int own[7];
    rb_shard_assign(c, 7, 3, own);
    for (int i = 0; i < 7; i++) assert_int_equal(own[i], want[i]);
    /* the order of the list matters only through ties */
    const double flat[] = {1, 1, 1, 1, 1};
    int o2[5];
    rb_shard_assign(flat, 5, 2, o2);
    const int w2[] = {0, 1, 0, 1, 0};
    for (int i = 0; i < 5; i++) assert_int_equal(o2[i], w2[i]);
}

/* ------------------------------------------------------- through the CLI */

#define GRID "sweep --variants naive --cells lstm,gru,rnn_tanh --T 2,3 --N 1,2 --H 4,8,12 --reps 1"

/* The keys and estimates of a dry-run listing; returns the point count. */
static int dry_keys(const char *extra, char keys[][160], double *est, int max)
{
    char args[512], out[512], err[4096];
    snprintf(out, sizeof out, "%s/dry", tmpdir);
    snprintf(args, sizeof args, GRID " --dry-run %s", extra);
    int st = rb_cli_run(args, out, err, sizeof err);
    if (st != 0) fail_msg("rnnbench %s: exit %d: %s", args, st, err);
    char *text = rb_cli_slurp(out);
    assert_non_null(text);
    int n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        int idx, T, N, I, H, thr;
        char v[32], cell[32], pass[32];
        double e;
        if (sscanf(line, "%d %31s %31s %31s %d %d %d %d %d %lf", &idx, v, cell, pass, &T, &N, &I, &H, &thr,
                   &e) != 10)
            continue; /* the header and the summary */
        assert_true(n < max);
        snprintf(keys[n], 160, "%s,%s,%s,%d,%d,%d,%d,%d", v, cell, pass, T, N, I, H, thr);
        est[n++] = e;
    }
    free(text);
    return n;
}

static void test_shards_partition_the_grid(void **state)
{
    (void)state;
    static char all[256][160], part[256][160];
    double est_all[256], est[256];
    const int n = dry_keys("", all, est_all, 256);
    assert_int_equal(n, 3 * 2 * 2 * 3);
    for (int nparts = 1; nparts <= 5; nparts += 2) {
        int seen[256] = {0};
        double load_lo = 1e300, load_hi = 0, maxe = 0;
        for (int k = 1; k <= nparts; k++) {
            char extra[64];
            snprintf(extra, sizeof extra, "--shard %d/%d", k, nparts);
            int m = dry_keys(extra, part, est, 256);
            double load = 0;
            for (int i = 0; i < m; i++) {
                int j = 0;
                while (j < n && strcmp(all[j], part[i]) != 0) j++;
                if (j == n) fail_msg("shard %d/%d has %s, not in the grid", k, nparts, part[i]);
                if (seen[j]++) fail_msg("%s is in two shards of %d", part[i], nparts);
                load += est[i];
                if (est[i] > maxe) maxe = est[i];
                if (i > 0) { /* grid order kept within a shard */
                    int jp = 0;
                    while (strcmp(all[jp], part[i - 1]) != 0) jp++;
                    assert_true(jp < j);
                }
            }
            if (load < load_lo) load_lo = load;
            if (load > load_hi) load_hi = load;
        }
        for (int j = 0; j < n; j++)
            if (!seen[j]) fail_msg("%s is in no shard of %d", all[j], nparts);
        /* the listing rounds est_s to 1 ms: allow that per point */
        if (load_hi - load_lo > maxe + 1e-3 * n)
            fail_msg("%d shards: estimated loads %.3f .. %.3f s", nparts, load_lo, load_hi);
    }
    /* more parts than points: the extra shards are empty, not an error */
    char args[512], err[4096];
    snprintf(args, sizeof args, GRID " --dry-run --shard 200/200");
    assert_int_equal(rb_cli_run(args, NULL, err, sizeof err), 0);
}

static void test_shard_meta_and_resume(void **state)
{
    (void)state;
    char args[600], err[8192], path[600], dir[400];
    snprintf(dir, sizeof dir, "%s/s2", tmpdir);
    snprintf(args, sizeof args, "sweep --variants naive --cells lstm,gru --T 2 --N 1 --H 4,8,12 --reps 1 "
                                "--shard 2/3 --out %s", dir);
    int st = rb_cli_run(args, NULL, err, sizeof err);
    if (st != 0) fail_msg("exit %d: %s", st, err);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char *meta = rb_cli_slurp(path);
    assert_non_null(meta);
    assert_non_null(strstr(meta, "\"shard\": \"2/3\""));
    free(meta);
    /* drop the last row: resume runs it again, and only it (the shard, not
     * the grid, from the saved command) */
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *csv = rb_cli_slurp(path);
    assert_non_null(csv);
    size_t len = strlen(csv);
    int rows = -1;
    for (size_t i = 0; i < len; i++) rows += csv[i] == '\n';
    assert_true(rows >= 1);
    char *last = csv + len - 1;
    while (last > csv && last[-1] != '\n') last--;
    FILE *f = fopen(path, "w");
    fwrite(csv, 1, (size_t)(last - csv), f);
    fclose(f);
    snprintf(args, sizeof args, "sweep --resume %s", dir);
    st = rb_cli_run(args, NULL, err, sizeof err);
    if (st != 0) fail_msg("resume: exit %d: %s", st, err);
    char *again = rb_cli_slurp(path);
    int rows2 = -1;
    for (char *c = again; *c; c++) rows2 += *c == '\n';
    assert_int_equal(rows2, rows);
    free(again);
    free(csv);
}

static void test_bad_shard(void **state)
{
    (void)state;
    static const char *const bad[] = {"0/3", "4/3", "1/0", "a/b", "1/", "/3", "3", "1/3x", "-1/3", "1/-3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[256];
        snprintf(args, sizeof args, "sweep --variants naive --dry-run --shard '%s'", bad[i]);
        rb_cli_expect_error(args, "--shard");
    }
    char args[600];
    snprintf(args, sizeof args, "sweep --resume %s/s2 --shard 1/3", tmpdir);
    rb_cli_expect_error(args, "--resume");
}

RB_CLI_TMPDIR_FIXTURES(tmpdir, "/tmp/rnnbench-test-shard-XXXXXX")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partition_properties),
        cmocka_unit_test(test_partition_rule),
        cmocka_unit_test(test_shards_partition_the_grid),
        cmocka_unit_test(test_shard_meta_and_resume),
        cmocka_unit_test(test_bad_shard),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
