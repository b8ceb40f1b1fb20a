/*
 * test_merge.c: `rnnbench merge OUT DIR...` and `rnnbench slurm` without a
 * Slurm. Two shards of a tiny sweep merge into the whole grid, each point
 * once, with both machines' meta.json under "machines" and the summary keys
 * the plot scripts read; inputs with other columns, a point twice, a
 * non-empty OUT or a missing results.csv are one line and exit 2; a cut
 * last line is dropped with a note. `rnnbench slurm` writes job scripts
 * that, run by hand as Slurm would run them (SLURM_ARRAY_TASK_ID set),
 * sweep the shards, resume a started one and merge them. The real Slurm
 * is scripts/slurm-test.sh.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/results_csv.h"
#include "../harness/strset.h"
#include "../harness/sweep.h"

static char tmpdir[256];

#define GRID "--variants naive --cells lstm,gru --T 2,3 --N 1 --H 4,8 --reps 1 --warmup 0"
#define GRID_POINTS 8

/* Every data row's key; fails on a repeated key. Returns the row count. */
static int csv_keys(const char *dir, rb_strset *keys)
{
    char path[600];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = rb_cli_slurp(path);
    if (!text) fail_msg("no %s", path);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, RB_SWEEP_CSV_HEADER);
    int rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[RB_SWEEP_NCOLS + 1], key[512];
        assert_int_equal(rb_csv_split(line, f, RB_SWEEP_NCOLS), RB_SWEEP_NCOLS);
        snprintf(key, sizeof key, "%s,%s,%s,%s,%s,%s,%s,%s", f[2], f[5], f[6], f[7], f[8], f[9], f[10], f[12]);
        if (!rb_strset_add(keys, key)) fail_msg("%s: key %s appears twice", dir, key);
        rows++;
    }
    free(text);
    return rows;
}


static int run(const char *fmt, ...)
{
    char args[2048], err[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int st = rb_cli_run(args, NULL, err, sizeof err);
    if (st != 0) print_message("rnnbench %s -> %d: %s", args, st, err);
    return st;
}

/* tmpdir/a and tmpdir/b: shards 1/2 and 2/2 of GRID, swept once. */
static int setup(void **state)
{
    (void)state;
    if (rb_cli_tmpdir_make(tmpdir, sizeof tmpdir, "/tmp/rnnbench-test-merge-XXXXXX") != 0) return -1;
    char args[1024], err[4096];
    for (int k = 1; k <= 2; k++) {
        snprintf(args, sizeof args, "sweep " GRID " --shard %d/2 --out %s/%c", k, tmpdir, "ab"[k - 1]);
        if (rb_cli_run(args, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "setup: rnnbench %s: %s", args, err);
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return rb_cli_tmpdir_remove(tmpdir);
}

static void test_union(void **state)
{
    (void)state;
    char a[400], b[400], out[400];
    snprintf(a, sizeof a, "%s/a", tmpdir);
    snprintf(b, sizeof b, "%s/b", tmpdir);
    snprintf(out, sizeof out, "%s/merged", tmpdir);
    rb_strset *ka = rb_strset_new(), *kb = rb_strset_new(), *km = rb_strset_new();
    const int na = csv_keys(a, ka), nb = csv_keys(b, kb);
    assert_true(na > 0 && nb > 0);
    assert_int_equal(na + nb, GRID_POINTS);
    assert_int_equal(run("merge %s %s %s", out, a, b), 0);
    assert_int_equal(csv_keys(out, km), GRID_POINTS);
    for (int c = 0; c < 2; c++) { /* every key of the grid, each once */
        const char *cell = c ? "gru" : "lstm";
        for (int T = 2; T <= 3; T++)
            for (int H = 4; H <= 8; H += 4) {
                char key[128];
                snprintf(key, sizeof key, "naive,%s,infer,%d,1,%d,%d,1", cell, T, H, H);
                if (!rb_strset_has(km, key)) fail_msg("merged lacks %s", key);
                assert_true(rb_strset_has(ka, key) != rb_strset_has(kb, key)); /* shards disjoint */
            }
    }
    rb_strset_free(ka);
    rb_strset_free(kb);
    rb_strset_free(km);

    /* meta.json: the summary keys first, then both machines verbatim */
    char path[600];
    snprintf(path, sizeof path, "%s/meta.json", out);
    char *meta = rb_cli_slurp(path);
    assert_non_null(meta);
    const char *machines = strstr(meta, "\"machines\": [");
    assert_non_null(machines);
    const char *before[] = {"\"tool\": \"rnnbench merge\"", "\"hostname\": \"", "\"cpu_model\": \"",
                            "\"peak_gflops_core\": ", "\"peak_gflops_all\": ", "\"bandwidth_gbs\": ",
                            "\"points\": 8"};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        const char *p = strstr(meta, before[i]);
        if (!p || p > machines) fail_msg("meta.json lacks %s before \"machines\"", before[i]);
    }
    assert_non_null(strstr(machines, "\"shard\": \"1/2\""));
    assert_non_null(strstr(machines, "\"shard\": \"2/2\""));
    int sweeps = 0;
    for (const char *p = machines; (p = strstr(p, "\"tool\": \"rnnbench sweep\"")); p++) sweeps++;
    assert_int_equal(sweeps, 2);
    free(meta);
    /* a valid JSON document, if python3 is there to say so */
    if (system("command -v python3 >/dev/null") == 0)
        rb_cli_sh("python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert len(m[\"machines\"]) == 2' %s",
           path);
    /* OUT may be an empty directory */
    rb_cli_sh("mkdir %s/empty", tmpdir);
    assert_int_equal(run("merge %s/empty %s %s", tmpdir, a, b), 0);
}

static void test_refused(void **state)
{
    (void)state;
    char args[1400];
    const char *t = tmpdir;
    /* a point twice: the same shard again (a copy), or a directory twice */
    rb_cli_sh("cp -r %s/a %s/a-copy", t, t);
    snprintf(args, sizeof args, "merge %s/o1 %s/a %s/b %s/a-copy", t, t, t, t);
    rb_cli_expect_error(args, "point naive,");
    snprintf(args, sizeof args, "merge %s/o1 %s/a %s/a", t, t, t);
    rb_cli_expect_error(args, "given twice");
    /* other columns */
    rb_cli_sh("cp -r %s/b %s/b-cols && sed -i '1s/$/,extra/' %s/b-cols/results.csv", t, t, t);
    snprintf(args, sizeof args, "merge %s/o1 %s/a %s/b-cols", t, t, t);
    rb_cli_expect_error(args, "different columns");
    /* OUT not empty, or a file */
    snprintf(args, sizeof args, "merge %s/a %s/b", t, t);
    rb_cli_expect_error(args, "not empty");
    rb_cli_sh("touch %s/afile", t);
    snprintf(args, sizeof args, "merge %s/afile %s/b", t, t);
    rb_cli_expect_error(args, "not a directory");
    /* not a sweep directory */
    snprintf(args, sizeof args, "merge %s/o1 %s/a %s/nosuch", t, t, t);
    rb_cli_expect_error(args, "results.csv");
    rb_cli_expect_error("merge", "OUT");
    snprintf(args, sizeof args, "merge %s/o1", t);
    rb_cli_expect_error(args, "input");
    rb_cli_expect_error("merge --frobnicate x y", "unknown option");
    /* nothing was written by the refusals */
    struct stat st;
    char o1[400];
    snprintf(o1, sizeof o1, "%s/o1", t);
    assert_int_equal(stat(o1, &st), -1);
}

/* A sweep of before the network columns merges with a current one: its
 * rows gain 1,l2r,full and tokens = N*T, under the current header. */
static void test_old_columns_merge(void **state)
{
    (void)state;
    char err[8192], args[1400], out[400], path[600];
    const char *t = tmpdir;
    /* b as an older rnnbench wrote it: its header, rows without the last
     * 13 fields (the measurement and network ones, no commas in them) */
    rb_cli_sh("cp -r %s/b %s/b-old && sed -E -i '1s/,ci_lo_ms,.*$//; 2,$s/(,[^,]*){13}$//' "
       "%s/b-old/results.csv", t, t, t);
    snprintf(path, sizeof path, "%s/b-old/results.csv", t);
    char *old = rb_cli_slurp(path);
    assert_int_equal(strncmp(old, RB_SWEEP_CSV_HEADER_V1 "\n", strlen(RB_SWEEP_CSV_HEADER_V1) + 1), 0);
    free(old);
    snprintf(out, sizeof out, "%s/o-old", t);
    snprintf(args, sizeof args, "merge %s %s/b-old %s/a", out, t, t);
    assert_int_equal(rb_cli_run(args, NULL, err, sizeof err), 0);
    rb_strset *k = rb_strset_new();
    assert_int_equal(csv_keys(out, k), GRID_POINTS);
    rb_strset_free(k);
    /* every row ends as the sweep wrote it (b's rows are 1,l2r,full, the
     * measurement columns empty) */
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *merged = rb_cli_slurp(path), *save = NULL;
    int measured = 0, unmeasured = 0;
    strtok_r(merged, "\n", &save);
    for (char *line; (line = strtok_r(NULL, "\n", &save));) {
        char *f[RB_SWEEP_NCOLS + 1];
        assert_int_equal(rb_csv_split(line, f, RB_SWEEP_NCOLS), RB_SWEEP_NCOLS);
        assert_string_equal(f[36], "1");
        assert_string_equal(f[37], "l2r");
        assert_string_equal(f[38], "full");
        assert_int_equal(atoll(f[39]), atoll(f[7]) * atoll(f[8]));
        if (strcmp(f[25], "ok") != 0) continue;
        if (f[27][0]) measured++; /* ci_lo_ms: a's rows measured it, b's empty */
        else unmeasured++;
    }
    assert_true(measured > 0 && unmeasured > 0);
    free(merged);
    /* two old ones keep their columns */
    rb_cli_sh("cp -r %s/a %s/a-old && sed -E -i '1s/,ci_lo_ms,.*$//; 2,$s/(,[^,]*){13}$//' "
       "%s/a-old/results.csv", t, t, t);
    snprintf(out, sizeof out, "%s/o-old2", t);
    snprintf(args, sizeof args, "merge %s %s/a-old %s/b-old", out, t, t);
    assert_int_equal(rb_cli_run(args, NULL, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/results.csv", out);
    merged = rb_cli_slurp(path);
    assert_int_equal(strncmp(merged, RB_SWEEP_CSV_HEADER_V1 "\n", strlen(RB_SWEEP_CSV_HEADER_V1) + 1), 0);
    free(merged);
}

static void test_cut_line_dropped(void **state)
{
    (void)state;
    char err[8192], args[1400], out[400];
    const char *t = tmpdir;
    rb_cli_sh("cp -r %s/b %s/b-cut && printf 'vm,2026,naive,scalar,serial,lstm,in' >> %s/b-cut/results.csv", t, t, t);
    snprintf(out, sizeof out, "%s/o-cut", t);
    snprintf(args, sizeof args, "merge %s %s/a %s/b-cut", out, t, t);
    assert_int_equal(rb_cli_run(args, NULL, err, sizeof err), 0);
    assert_non_null(strstr(err, "cut short"));
    rb_strset *k = rb_strset_new();
    assert_int_equal(csv_keys(out, k), GRID_POINTS);
    rb_strset_free(k);
}

/* rnnbench slurm: the scripts, run as Slurm would run them. */
static void test_slurm_scripts(void **state)
{
    (void)state;
    char dir[400], path[600];
    snprintf(dir, sizeof dir, "%s/job", tmpdir);
    assert_int_equal(run("slurm " GRID " --array 3 --out %s --time 0:30:00 --partition batch "
                         "--sbatch --account=proj", dir), 0);
    snprintf(path, sizeof path, "%s/job.sbatch", dir);
    char *job = rb_cli_slurp(path);
    assert_non_null(job);
    const char *need[] = {"#SBATCH --array=1-3\n", "#SBATCH --exclusive\n", "#SBATCH --nodes=1\n",
                          "#SBATCH --requeue\n", "#SBATCH --signal=B:TERM@120\n", "#SBATCH --time=0:30:00\n",
                          "#SBATCH --partition=batch\n", "#SBATCH --account=proj\n", "rnnbench='/",
                          "exec \"$rnnbench\" sweep --resume \"$out\"",
                          "exec \"$rnnbench\" sweep '--variants' 'naive' '--cells' 'lstm,gru'",
                          "--shard \"$shard/3\" --out \"$out\""};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!strstr(job, need[i])) fail_msg("job.sbatch lacks %s", need[i]);
    free(job);
    snprintf(path, sizeof path, "%s/merge.sbatch", dir);
    char *merge = rb_cli_slurp(path);
    assert_non_null(merge);
    assert_non_null(strstr(merge, "\"$rnnbench\" merge \"$dir/merged.new\""));
    free(merge);

    /* as the array's tasks; task 2 twice: the second run resumes */
    for (int k = 1; k <= 3; k++)
        rb_cli_sh("SLURM_ARRAY_TASK_ID=%d bash %s/job.sbatch >%s/task%d.log 2>&1", k, dir, dir, k);
    rb_cli_sh("SLURM_ARRAY_TASK_ID=2 bash %s/job.sbatch >%s/task2b.log 2>&1", dir, dir);
    rb_cli_sh("grep -q 'resuming' %s/task2b.log", dir);
    rb_cli_sh("bash %s/merge.sbatch >%s/merge.log 2>&1 || { cat %s/merge.log; false; }", dir, dir,
       dir);
    snprintf(path, sizeof path, "%s/merged", dir);
    rb_strset *k = rb_strset_new();
    assert_int_equal(csv_keys(path, k), GRID_POINTS);
    rb_strset_free(k);
    /* a shard short of points is reported, and the merge job fails */
    rb_cli_sh("sed -i '$d' %s/shard-1/results.csv", dir);
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "bash %s/merge.sbatch >%s/merge2.log 2>&1", dir, dir);
    assert_int_not_equal(system(cmd), 0);
    rb_cli_sh("grep -q 'shard 1 has' %s/merge2.log", dir);

    /* bad input */
    char args[1400];
    rb_cli_expect_error("slurm " GRID " --out /tmp/x", "--array");
    snprintf(args, sizeof args, "slurm " GRID " --array 2");
    rb_cli_expect_error(args, "--out");
    snprintf(args, sizeof args, "slurm " GRID " --array 0 --out %s/j2", tmpdir);
    rb_cli_expect_error(args, "--array");
    snprintf(args, sizeof args, "slurm " GRID " --shard 1/2 --array 2 --out %s/j2", tmpdir);
    rb_cli_expect_error(args, "--shard");
    snprintf(args, sizeof args, "slurm --variants nosuch --array 2 --out %s/j2", tmpdir);
    rb_cli_expect_error(args, "unknown variant");
    snprintf(args, sizeof args, "slurm " GRID " --array 2 --out '%s/with space'", tmpdir);
    rb_cli_expect_error(args, "#SBATCH");
    snprintf(args, sizeof args, "slurm " GRID " --array 2 --out %s", dir);
    rb_cli_expect_error(args, "already holds");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_union),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_old_columns_merge),
        cmocka_unit_test(test_cut_line_dropped),
        cmocka_unit_test(test_slurm_scripts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
