/*
 * test_sweep.c: `rnnbench sweep` as a user meets it: the CSV has the header
 * and exactly the points of the grid, meta.json the keys a paper needs; an
 * interrupted sweep keeps what it finished and says how to resume; resume
 * completes it with every point exactly once and repairs a cut last line;
 * bad input is one line and exit 2. Also the CSV and traffic helpers of
 * harness/sweep.c, directly.
 *
 * The sweeps run the naive variant on tiny shapes (RB_BIN, as test_cli).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/sweep.h"

#ifndef RB_BIN
#error "RB_BIN must name the rnnbench binary"
#endif

static char tmpdir[256];


/* Runs `rnnbench args`: stdout kept in tmpdir/stdout, stderr in err. */
static int run(const char *args, char *err, size_t errlen)
{
    char out[512];
    snprintf(out, sizeof out, "%s/stdout", tmpdir);
    return rb_cli_run(args, out, err, errlen);
}

/* Every data row's key (variant,cell,pass,T,N,I,H,threads); asserts the
 * header and that no key repeats. Returns the row count. */
static int csv_keys(const char *dir, rb_strset *keys)
{
    char path[512];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = rb_cli_slurp(path);
    assert_non_null(text);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, RB_SWEEP_CSV_HEADER);
    int rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[RB_SWEEP_NCOLS + 1], key[512];
        int nf = rb_csv_split(line, f, RB_SWEEP_NCOLS);
        assert_int_equal(nf, RB_SWEEP_NCOLS);
        snprintf(key, sizeof key, "%s,%s,%s,%s,%s,%s,%s,%s", f[2], f[5], f[6], f[7], f[8], f[9], f[10],
                 f[12]);
        if (!rb_strset_add(keys, key)) fail_msg("key %s appears twice", key);
        assert_string_equal(f[25], "ok");
        rows++;
    }
    free(text);
    return rows;
}

static int csv_rows(const char *dir)
{
    rb_strset *k = rb_strset_new();
    int n = csv_keys(dir, k);
    rb_strset_free(k);
    return n;
}

/* ------------------------------------------------------------- helpers */

static void test_csv_roundtrip(void **state)
{
    (void)state;
    const char *in[4] = {"plain", "a,b", "say \"hi\"", "two\nlines"};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    for (int i = 0; i < 4; i++) {
        if (i) fputc(',', m);
        rb_csv_field(m, in[i]);
    }
    fclose(m);
    assert_string_equal(buf, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two lines\"");
    char *f[8];
    assert_int_equal(rb_csv_split(buf, f, 8), 4);
    assert_string_equal(f[0], "plain");
    assert_string_equal(f[1], "a,b");
    assert_string_equal(f[2], "say \"hi\"");
    assert_string_equal(f[3], "two lines");
    char bad[] = "a,\"open";
    assert_int_equal(rb_csv_split(bad, f, 8), -1);
    char many[] = "a,b,c";
    assert_true(rb_csv_split(many, f, 2) > 2);
    free(buf);
}

static void test_bytes_min(void **state)
{
    (void)state;
    /* lstm T=2 N=3 I=5 H=7, G=4, by hand (floats):
     * P = 28*5 + 28*7 + 28 + 28 = 392; X = 30 + 21 + 21 = 72;
     * y = 42, Y = 42 + 21 + 21 = 84; W = 4*42 + 42 = 210;
     * D = 42 + 21 + 21 = 84; R = 30 + 21 + 21 + 392 = 464 */
    rb_shape s = {RB_LSTM, 2, 3, 5, 7};
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_INFER) == 4.0 * (392 + 72 + 84));
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_TRAIN) == 4.0 * (392 + 72 + 84 + 210));
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_BWD) == 4.0 * (392 + 72 + 42 + 210 + 84 + 464));
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_FWDBWD) ==
                4.0 * (392 + 72 + 84 + 210 + 42 + 210 + 84 + 464));
    /* DeepBench count: 2*G*H*H*N*T times the pass multiplier */
    assert_true(rb_sweep_flops_deepbench(&s, RB_PASS_FWDBWD) == 3.0 * 2 * 4 * 7 * 7 * 3 * 2);
}

/* ------------------------------------------------------------- sweeps */

#define TINY "sweep --variants naive --cells lstm,gru --T 3 --N 2 --H 8,16 --reps 1"

static void test_tiny_sweep(void **state)
{
    (void)state;
    char dir[512], args[1024], err[8192];
    snprintf(dir, sizeof dir, "%s/tiny", tmpdir);
    snprintf(args, sizeof args, TINY " --out %s", dir);
    int st = run(args, err, sizeof err);
    if (st != 0) fail_msg("exit %d: %s", st, err);

    rb_strset *keys = rb_strset_new();
    assert_int_equal(csv_keys(dir, keys), 4);
    const char *want[4] = {"naive,lstm,infer,3,2,8,8,1", "naive,lstm,infer,3,2,16,16,1",
                           "naive,gru,infer,3,2,8,8,1", "naive,gru,infer,3,2,16,16,1"};
    for (int i = 0; i < 4; i++)
        if (!rb_strset_has(keys, want[i])) fail_msg("missing row %s", want[i]);
    rb_strset_free(keys);

    char path[600];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char *meta = rb_cli_slurp(path);
    assert_non_null(meta);
    const char *need[] = {"\"argv\": [", "\"git_commit\":", "\"date\":", "\"env\":", "\"OMP_PLACES\"",
                          "\"flop_counts\":", "\"pct_peak_rule\":", "\"bytes_min_rule\":", "\"grid\":",
                          "\"sysinfo\":", "\"placement\":", "\"peak_gflops_core\"", "\"bandwidth_gbs\"", "\"topology\"",
                          "\"--variants\", \"naive\""};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!strstr(meta, need[i])) fail_msg("meta.json lacks %s", need[i]);
    free(meta);

    /* a second sweep into the same directory is refused */
    st = run(args, err, sizeof err);
    assert_int_equal(st, 2);
    assert_non_null(strstr(err, "--resume"));
}

/* Points of the interrupt test: naive fwdbwd, from about 10 ms to 0.5 s. */
#define SLOW_H "48,64,80,96,112,128,144,160,176,192"
#define SLOW_M 10

static int count_lines(const char *path)
{
    char *t = rb_cli_slurp(path);
    if (!t) return 0;
    int n = 0;
    for (char *c = t; *c; c++) n += *c == '\n';
    free(t);
    return n;
}

static void test_interrupt_and_resume(void **state)
{
    (void)state;
    char dir[512], csv[600], errpath[512];
    snprintf(dir, sizeof dir, "%s/slow", tmpdir);
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    snprintf(errpath, sizeof errpath, "%s/slow.stderr", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        execl(RB_BIN, RB_BIN, "sweep", "--variants", "naive", "--cells", "lstm", "--passes", "fwdbwd",
              "--T", "40", "--N", "16", "--H", SLOW_H, "--reps", "1", "--warmup", "0", "--out", dir,
              (char *)NULL);
        _exit(98);
    }
    /* wait for the first row to land, then interrupt */
    int lines = 0;
    for (int i = 0; i < 3000 && lines < 2; i++) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        lines = count_lines(csv);
    }
    assert_true(lines >= 2);
    /* while it runs, a second sweep on the same directory is refused */
    {
        char a[700], e[4096];
        snprintf(a, sizeof a, "sweep --resume %s", dir);
        assert_int_equal(run(a, e, sizeof e), 2);
        assert_non_null(strstr(e, "in use by another running sweep"));
    }
    kill(pid, SIGINT);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char *err = rb_cli_slurp(errpath);
    print_message("interrupted sweep: %s", err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    assert_non_null(strstr(err, "interrupted after"));
    char want[700];
    snprintf(want, sizeof want, "resume with: rnnbench sweep --resume %s", dir);
    assert_non_null(strstr(err, want));
    free(err);
    int kept = csv_rows(dir);
    assert_true(kept >= 1);
    assert_true(kept < SLOW_M);

    char args[1024], e2[8192];
    snprintf(args, sizeof args, "sweep --resume %s", dir);
    int rc = run(args, e2, sizeof e2);
    if (rc != 0) fail_msg("resume exit %d: %s", rc, e2);
    rb_strset *keys = rb_strset_new();
    assert_int_equal(csv_keys(dir, keys), SLOW_M);
    const char *hs[SLOW_M] = {"48", "64", "80", "96", "112", "128", "144", "160", "176", "192"};
    for (int i = 0; i < SLOW_M; i++) {
        char key[128];
        snprintf(key, sizeof key, "naive,lstm,fwdbwd,40,16,%s,%s,1", hs[i], hs[i]);
        if (!rb_strset_has(keys, key)) fail_msg("missing row %s", key);
    }
    rb_strset_free(keys);
    /* the original command stays in meta.json; the resume is noted beside */
    char path[700];
    snprintf(path, sizeof path, "%s/meta-resume-1.json", dir);
    assert_int_equal(access(path, F_OK), 0);

    /* resuming a finished sweep runs nothing and changes nothing */
    rc = run(args, e2, sizeof e2);
    assert_int_equal(rc, 0);
    assert_int_equal(csv_rows(dir), SLOW_M);
}

static void test_truncated_line_repaired(void **state)
{
    (void)state;
    char dir[512], args[1024], err[8192], csv[600];
    snprintf(dir, sizeof dir, "%s/cut", tmpdir);
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    snprintf(args, sizeof args, TINY " --out %s", dir);
    assert_int_equal(run(args, err, sizeof err), 0);
    /* cut the last row in half, as a crash in mid-write would */
    struct stat sb;
    assert_int_equal(stat(csv, &sb), 0);
    char *text = rb_cli_slurp(csv);
    size_t len = strlen(text);
    char *last = text + len - 1;
    while (last > text && last[-1] != '\n') last--;
    size_t keep = (size_t)(last - text) + (size_t)(text + len - last) / 2;
    free(text);
    assert_int_equal(truncate(csv, (off_t)keep), 0);
    assert_int_equal(count_lines(csv), 4); /* header, 3 rows, half a row */

    snprintf(args, sizeof args, "sweep --resume %s", dir);
    int rc = run(args, err, sizeof err);
    if (rc != 0) fail_msg("resume exit %d: %s", rc, err);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(csv_rows(dir), 4);
}


static void test_bad_input(void **state)
{
    (void)state;
    char args[600];
    rb_cli_expect_error("sweep --preset quik --dry-run", "unknown preset");
    rb_cli_expect_error("sweep --variants fastest --dry-run", "unknown variant");
    rb_cli_expect_error("sweep --variants naive --cells lstn --dry-run", "unknown cell");
    rb_cli_expect_error("sweep --variants naive --passes sideways --dry-run", "unknown pass");
    rb_cli_expect_error("sweep --variants naive --T 0 --dry-run", "out of range");
    rb_cli_expect_error("sweep --variants naive --H 8x --dry-run", "not an integer");
    rb_cli_expect_error("sweep --preset quick --H 64 --dry-run", "fixes the shapes");
    snprintf(args, sizeof args, "sweep --resume %s", tmpdir); /* exists, no meta.json */
    rb_cli_expect_error(args, "meta.json");
    snprintf(args, sizeof args, "sweep --resume %s/tiny --reps 3", tmpdir);
    rb_cli_expect_error(args, "--resume");
}

static void test_dry_run(void **state)
{
    (void)state;
    char err[8192], path[512];
    assert_int_equal(run("sweep --preset deepbench --dry-run", err, sizeof err), 0);
    assert_non_null(strstr(err, "deepbench preset: "));
    assert_non_null(strstr(err, " hours"));
    assert_int_equal(run("sweep --preset quick --dry-run", err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/stdout", tmpdir);
    char *out = rb_cli_slurp(path);
    assert_non_null(strstr(out, "points, "));
    assert_non_null(strstr(out, "estimated"));
    assert_non_null(strstr(out, "naive"));
    free(out);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnbench-test-sweep-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_roundtrip),
        cmocka_unit_test(test_bytes_min),
        cmocka_unit_test(test_tiny_sweep),
        cmocka_unit_test(test_interrupt_and_resume),
        cmocka_unit_test(test_truncated_line_repaired),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_dry_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
