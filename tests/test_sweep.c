/*
 * test_sweep.c: `rnnbench sweep` as a user meets it: the CSV has the header
 * and exactly the points of the grid, meta.json the keys a paper needs; an
 * interrupted sweep keeps what it finished and says how to resume; resume
 * completes it with every point exactly once and repairs a cut last line;
 * bad input is one line and exit 2. Also the CSV and traffic helpers of
 * harness/sweep_model.c and results_csv.c, directly; and what a damaged
 * results.csv, a signal during start-up, a closed stderr, a full disk or
 * a hostile meta.json do (issue 9).
 *
 * The sweeps run the naive variant on tiny shapes (RB_BIN, as test_cli).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/json.h"
#include "../harness/lengths.h"
#include "../harness/results_csv.h"
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

static int rb_sweep_dir_holds_meta(const char *dir)
{
    char p[2100];
    snprintf(p, sizeof p, "%s/meta.json", dir);
    return access(p, F_OK) == 0;
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
    rb_shape s = {.cell = RB_LSTM, .T = 2, .N = 3, .I = 5, .H = 7};
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_INFER) == 4.0 * (392 + 72 + 84));
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_TRAIN) == 4.0 * (392 + 72 + 84 + 210));
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_BWD) == 4.0 * (392 + 72 + 42 + 210 + 84 + 464));
    assert_true(rb_sweep_bytes_min(&s, RB_PASS_FWDBWD) ==
                4.0 * (392 + 72 + 84 + 210 + 42 + 210 + 84 + 464));
    /* DeepBench count: 2*G*H*H*N*T times the pass multiplier */
    assert_true(rb_sweep_flops_deepbench(&s, RB_PASS_FWDBWD) == 3.0 * 2 * 4 * 7 * 7 * 3 * 2);
    /* a network: L=2 bi_concat, lengths 1, 2, 2 (5 tokens), by hand:
     * P = 2 * (28*5 + 28*7 + 56) + 2 * (28*14 + 28*7 + 56) = 784 + 1288;
     * X = 30 + 4*21 + 4*21 = 198; Y = y (2*3*14) + hT + cT = 84 + 84 + 84;
     * W = (4 + 1) * 7 * 5 tokens * 2 layers * 2 directions = 700 */
    static const int len[3] = {1, 2, 2};
    rb_shape net = {.cell = RB_LSTM, .T = 2, .N = 3, .I = 5, .H = 7, .layers = 2, .dir = RB_DIR_BI_CONCAT,
                    .lengths = len};
    assert_true(rb_sweep_bytes_min(&net, RB_PASS_INFER) == 4.0 * (2072 + 198 + 252));
    assert_true(rb_sweep_bytes_min(&net, RB_PASS_TRAIN) == 4.0 * (2072 + 198 + 252 + 700));
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
        /* The test sends SIGINT: a shell's background job starts with it
         * ignored, which the sweep keeps (as nohup asks), so undo that. */
        signal(SIGINT, SIG_DFL);
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

/* The order of the rows: the same --order-seed gives the same order; the
 * seed is in meta.json; the interval columns hold the median and the
 * noisy flag says whether their spread exceeds 5% (issue 11). */
static char *row_order(const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = rb_cli_slurp(path), *save = NULL, *line = strtok_r(text, "\n", &save);
    char *order = calloc(1, 4096);
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[RB_SWEEP_NCOLS + 1];
        assert_int_equal(rb_csv_split(line, f, RB_SWEEP_NCOLS), RB_SWEEP_NCOLS);
        /* ci_lo_ms ci_hi_ms ci_level spread_pct noisy interleaved bound_ms pct_bound bound_by */
        const double med = atof(f[14]), lo = atof(f[27]), hi = atof(f[28]), spread = atof(f[30]);
        assert_true(lo <= med && med <= hi);
        assert_true(atof(f[13]) == 3 && fabs(atof(f[29]) - 0.75) < 1e-9); /* 3 reps: min-max, 75% */
        assert_int_equal(atoi(f[31]), spread > 5);
        assert_int_equal(atoi(f[32]), 1); /* naive alone at each point */
        assert_true(atof(f[33]) > 0 && atof(f[34]) > 0 && f[35][0]);
        snprintf(order + strlen(order), 4096 - strlen(order), "%s ", f[10]);
    }
    free(text);
    return order;
}

static void test_order_seeded(void **state)
{
    (void)state;
    char d1[512], d2[512], args[1024], err[8192];
    snprintf(d1, sizeof d1, "%s/ord1", tmpdir);
    snprintf(d2, sizeof d2, "%s/ord2", tmpdir);
    const char *g = "sweep --variants naive --cells lstm --T 2 --N 1 --H 4,5,6,7,8,9,10,11 --reps 3 --order-seed 5";
    snprintf(args, sizeof args, "%s --out %s", g, d1);
    if (run(args, err, sizeof err) != 0) fail_msg("%s", err);
    snprintf(args, sizeof args, "%s --out %s", g, d2);
    if (run(args, err, sizeof err) != 0) fail_msg("%s", err);
    char *a = row_order(d1), *b = row_order(d2);
    assert_string_equal(a, b);
    assert_string_not_equal(a, "4 5 6 7 8 9 10 11 "); /* seed 5 shuffles these 8 */
    free(a);
    free(b);
    char path[600];
    snprintf(path, sizeof path, "%s/meta.json", d1);
    char *meta = rb_cli_slurp(path);
    assert_non_null(strstr(meta, "\"seed\": 5}"));
    free(meta);
    snprintf(args, sizeof args, "%s --order grid --out %s/ord3", g, tmpdir);
    if (run(args, err, sizeof err) != 0) fail_msg("%s", err);
    snprintf(path, sizeof path, "%s/ord3", tmpdir);
    a = row_order(path);
    assert_string_equal(a, "4 5 6 7 8 9 10 11 ");
    free(a);
    snprintf(args, sizeof args, "%s --order sideways --out %s/ord4", g, tmpdir);
    assert_int_equal(run(args, err, sizeof err), 2);
    assert_non_null(strstr(err, "--order must be random or grid"));
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


/* ------------------------------------------------- damaged results.csv */

/* A finished TINY sweep in tmpdir/name; returns its results.csv text. */
static char *tiny_sweep(const char *name, char *dir, size_t n)
{
    char args[1024], err[8192];
    snprintf(dir, n, "%s/%s", tmpdir, name);
    snprintf(args, sizeof args, TINY " --out %s", dir);
    int st = run(args, err, sizeof err);
    if (st != 0) fail_msg("exit %d: %s", st, err);
    char csv[700];
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    char *text = rb_cli_slurp(csv);
    assert_non_null(text);
    return text;
}

static void write_bytes(const char *dir, const char *data, size_t n)
{
    char csv[700];
    snprintf(csv, sizeof csv, "%s/results.csv", dir);
    FILE *f = fopen(csv, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* The start of line k (0: the header) of text. */
static const char *line_at(const char *text, int k)
{
    for (; k > 0; k--) text = strchr(text, '\n') + 1;
    return text;
}

static size_t line_len(const char *line) { return (size_t)(strchr(line, '\n') - line) + 1; }

static int resume(const char *dir, char *err, size_t errlen)
{
    char args[700];
    snprintf(args, sizeof args, "sweep --resume %s", dir);
    return run(args, err, errlen);
}

/* results.csv of dir replaced by the n damaged bytes, then one resume,
 * which must succeed; its stderr in err. */
static void damage_and_resume(const char *dir, const char *bytes, size_t n, char *err, size_t errlen)
{
    write_bytes(dir, bytes, n);
    int rc = resume(dir, err, errlen);
    if (rc != 0) fail_msg("resume exit %d: %s", rc, err);
}

/* Issue 9, 3.1: the NUL block a crash leaves after the last row. Every
 * resume must repair it and none may duplicate a row. */
static void test_nul_block_after_last_row(void **state)
{
    (void)state;
    char dir[512], err[8192];
    char *text = tiny_sweep("nulblock", dir, sizeof dir);
    size_t keep = (size_t)(line_at(text, 2) - text); /* header + one row */
    char *bytes = calloc(keep + 4096, 1);
    memcpy(bytes, text, keep);
    write_bytes(dir, bytes, keep + 4096);
    for (int i = 0; i < 3; i++) {
        int rc = resume(dir, err, sizeof err);
        if (rc != 0) fail_msg("resume %d exit %d: %s", i + 1, rc, err);
        if (i == 0) assert_non_null(strstr(err, "dropped 1 truncated last line"));
        assert_int_equal(csv_rows(dir), 4); /* asserts no key twice, no NUL */
    }
    char *now = rb_cli_slurp(strcat(dir, "/results.csv"));
    assert_int_equal(strncmp(now, text, keep), 0); /* the kept row untouched */
    free(now);
    free(bytes);
    free(text);
}

/* Issue 9, 3.1: a NUL inside a row drops that row only; the rows after it
 * are kept as they were, not re-run. */
static void test_nul_inside_row(void **state)
{
    (void)state;
    char dir[512], err[8192];
    char *text = tiny_sweep("nulrow", dir, sizeof dir);
    size_t n = strlen(text);
    char *bytes = malloc(n);
    memcpy(bytes, text, n);
    const char *row2 = line_at(text, 2);
    bytes[(row2 - text) + 10] = '\0';
    damage_and_resume(dir, bytes, n, err, sizeof err);
    assert_non_null(strstr(err, "1 damaged line"));
    assert_int_equal(csv_rows(dir), 4);
    char path[700];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *now = rb_cli_slurp(path);
    for (int k = 3; k <= 4; k++) { /* rows 3 and 4 kept byte for byte */
        const char *row = line_at(text, k);
        char want[4096];
        snprintf(want, sizeof want, "%.*s", (int)line_len(row), row);
        if (!strstr(now, want)) fail_msg("row %d was not kept: %s", k, want);
    }
    free(now);
    free(bytes);
    free(text);
}

/* Issue 9: a 27-field row no sweep writes, and a row repeated, are
 * dropped and counted, not kept as done. */
static void test_garbage_and_duplicate_rows(void **state)
{
    (void)state;
    char dir[512], err[8192];
    char *text = tiny_sweep("garbage", dir, sizeof dir);
    const char *row1 = line_at(text, 1);
    char *bytes = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&bytes, &n);
    fputs(text, m);
    fwrite(row1, 1, line_len(row1), m); /* a duplicate */
    for (int i = 0; i < RB_SWEEP_NCOLS; i++) fputs(i ? ",x" : "x", m); /* garbage */
    fputc('\n', m);
    fclose(m);
    damage_and_resume(dir, bytes, n, err, sizeof err);
    print_message("%s", err);
    assert_non_null(strstr(err, "1 damaged line"));
    assert_non_null(strstr(err, "1 duplicate row"));
    assert_int_equal(csv_rows(dir), 4);
    free(bytes);
    free(text);
}

/* ----------------------------------------------------- hostile start-up */

/* Issue 9, 3.4: SIGINT while the sweep measures the machine (before its
 * first point) still leaves a directory --resume accepts, and says so. */
static void test_signal_during_startup(void **state)
{
    (void)state;
    char dir[512], errpath[512];
    snprintf(dir, sizeof dir, "%s/early", tmpdir);
    snprintf(errpath, sizeof errpath, "%s/early.stderr", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The test sends SIGINT: a shell's background job starts with it
         * ignored, which the sweep keeps (as nohup asks), so undo that. */
        signal(SIGINT, SIG_DFL);
        if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        execl(RB_BIN, RB_BIN, "sweep", "--variants", "naive", "--cells", "lstm", "--T", "3", "--N", "2",
              "--H", "8", "--reps", "1", "--out", dir, (char *)NULL);
        _exit(98);
    }
    struct stat sb;
    for (int i = 0; i < 20000 && stat(dir, &sb) != 0; i++) {
        struct timespec ts = {0, 100 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGINT);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char *err = rb_cli_slurp(errpath);
    print_message("interrupted start-up: %s", err);
    if (!WIFEXITED(st)) fail_msg("killed by signal %d, no resume line", WTERMSIG(st));
    assert_int_equal(WEXITSTATUS(st), 130);
    char want[700];
    snprintf(want, sizeof want, "resume with: rnnbench sweep --resume %s", dir);
    assert_non_null(strstr(err, want));
    free(err);
    char e2[8192];
    int rc = resume(dir, e2, sizeof e2);
    if (rc != 0) fail_msg("resume exit %d: %s", rc, e2);
    assert_int_equal(csv_rows(dir), 1);
}

/* Issue 9, 3.4: stderr a pipe nobody reads (`sweep ... 2>&1 | head -3`):
 * the sweep goes on and every point lands in results.csv. */
static void test_closed_stderr_pipe(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pipe", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int p[2];
        if (pipe(p) != 0) _exit(97);
        close(p[0]);
        dup2(p[1], STDERR_FILENO);
        if (!freopen("/dev/null", "w", stdout)) _exit(99);
        signal(SIGPIPE, SIG_DFL);
        execl(RB_BIN, RB_BIN, "sweep", "--variants", "naive", "--cells", "lstm,gru", "--T", "3", "--N", "2",
              "--H", "8,16", "--reps", "1", "--out", dir, (char *)NULL);
        _exit(98);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st)) fail_msg("killed by signal %d", WTERMSIG(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(csv_rows(dir), 4);
}

/* Issue 9: a full disk (here a file size limit) leaves no .tmp file. */
static void test_full_disk_leaves_no_tmp(void **state)
{
    (void)state;
    char dir[512], errpath[512];
    snprintf(dir, sizeof dir, "%s/full", tmpdir);
    snprintf(errpath, sizeof errpath, "%s/full.stderr", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {2048, 2048}; /* meta.json is larger */
        signal(SIGXFSZ, SIG_IGN);        /* writes fail with EFBIG instead */
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(97);
        if (!freopen(errpath, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        execl(RB_BIN, RB_BIN, "sweep", "--variants", "naive", "--cells", "lstm", "--T", "3", "--N", "2",
              "--H", "8", "--reps", "1", "--out", dir, (char *)NULL);
        _exit(98);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char *err = rb_cli_slurp(errpath);
    print_message("full disk: %s", err);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    assert_non_null(strstr(err, "cannot write"));
    free(err);
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp")) fail_msg("%s/%s left behind", dir, e->d_name);
    closedir(d);
}

/* Issue 9: two sweeps without --out in the same second. The other one is
 * played by directories of this second and the next few, each locked as
 * a running sweep holds it: the new sweep must make its own. */
static void test_default_dirs_never_shared(void **state)
{
    (void)state;
    char cwd[512], host[256] = "", path[1024];
    snprintf(cwd, sizeof cwd, "%s/auto", tmpdir);
    assert_int_equal(mkdir(cwd, 0777), 0);
    snprintf(path, sizeof path, "%s/results", cwd);
    assert_int_equal(mkdir(path, 0777), 0);
    gethostname(host, sizeof host - 1);
    for (char *c = host; *c; c++)
        if (*c == '/' || *c == ' ' || *c == ',') *c = '_';
    int fds[8], nfd = 0;
    time_t now = time(NULL);
    for (int k = -1; k < 7; k++) {
        time_t t = now + k;
        struct tm tm;
        char stamp[32];
        localtime_r(&t, &tm);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(path, sizeof path, "%s/results/%.100s-%s", cwd, host[0] ? host : "host", stamp);
        assert_int_equal(mkdir(path, 0777), 0);
        strcat(path, "/.lock");
        int fd = open(path, O_RDWR | O_CREAT, 0666);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
        fds[nfd++] = fd;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s sweep --variants naive --cells lstm --T 3 --N 2 --H 8 --reps 1 "
             ">/dev/null 2>'%s/auto.stderr'", cwd, RB_BIN, tmpdir);
    int st = system(cmd);
    snprintf(path, sizeof path, "%s/auto.stderr", tmpdir);
    char *err = rb_cli_slurp(path);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("exit %d: %s", WEXITSTATUS(st), err);
    free(err);
    for (int i = 0; i < nfd; i++) close(fds[i]);
    /* exactly one directory holds the sweep, and it is a new one */
    snprintf(path, sizeof path, "%s/results", cwd);
    DIR *d = opendir(path);
    int sweeps = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/results/%s", cwd, e->d_name);
        if (rb_sweep_dir_holds_meta(p)) {
            sweeps++;
            assert_non_null(strrchr(e->d_name, '-'));
            assert_true(strcmp(strrchr(e->d_name, '-'), "-2") == 0);
            assert_int_equal(csv_rows(p), 1);
        }
    }
    closedir(d);
    assert_int_equal(sweeps, 1);
}

/* Issue 9: meta.json stays valid UTF-8 (and valid JSON) when an
 * environment variable it records is not. */
static void test_meta_utf8_with_bad_env(void **state)
{
    (void)state;
    char dir[512], args[1024], err[8192], path[700];
    snprintf(dir, sizeof dir, "%s/utf8", tmpdir);
    snprintf(args, sizeof args, "sweep --variants naive --cells lstm --T 3 --N 2 --H 8 --reps 1 --out %s", dir);
    setenv("RNNBENCH_TEST_BYTES", "\xff\xfe ok", 1);
    int st = run(args, err, sizeof err);
    unsetenv("RNNBENCH_TEST_BYTES");
    if (st != 0) fail_msg("exit %d: %s", st, err);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char *text = rb_cli_slurp(path), perr[256];
    assert_non_null(text);
    rb_json *v = rb_json_parse(text, strlen(text), perr, sizeof perr);
    if (!v) fail_msg("meta.json: %s", perr);
    const rb_json *e = rb_json_get(rb_json_get(v, "env"), "RNNBENCH_TEST_BYTES");
    assert_non_null(e);
    assert_string_equal(e->str, "\xef\xbf\xbd\xef\xbf\xbd ok");
    rb_json_free(v);
    free(text);
}

/* Issue 9, 3.9: the crafted meta.json (2^20 - 1 bytes ending in \u1) is
 * one line of error, not a read past the buffer (run under make
 * SANITIZE=1 to see the difference). */
static void test_crafted_meta_refused(void **state)
{
    (void)state;
    char dir[512], path[700], args[700];
    snprintf(dir, sizeof dir, "%s/crafted", tmpdir);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const char *head = "{\"argv\": [\"rnnbench\", \"sweep\", \"";
    const size_t n = (1u << 20) - 1;
    fputs(head, f);
    for (size_t i = strlen(head); i < n - 3; i++) fputc('a', f);
    fputs("\\u1", f);
    assert_int_equal(fclose(f), 0);
    snprintf(args, sizeof args, "sweep --resume %s", dir);
    rb_cli_expect_error(args, "\\u escape");
}

/* The hook for taking a subset of the grid before the loop. */
static int keep_odd(const rb_sweep_point *pt, size_t index, void *ctx)
{
    (void)pt;
    ++*(int *)ctx;
    return index % 2 == 1;
}

static void test_points_filter(void **state)
{
    (void)state;
    static rb_sweep_grid g;
    rb_sweep_spec spec = {.cells = "lstm,gru", .variants = "naive", .T = "3,4", .H = "8"};
    rb_sweep_grid_build(&g, &spec, 1);
    rb_sweep_point *pts;
    size_t n = rb_sweep_points(&g, &pts);
    assert_int_equal(n, 4);
    char k1[256], k3[256], got[256];
    rb_sweep_key(&pts[1], k1, sizeof k1);
    rb_sweep_key(&pts[3], k3, sizeof k3);
    int calls = 0;
    assert_int_equal(rb_sweep_points_filter(pts, n, keep_odd, &calls), 2);
    assert_int_equal(calls, 4);
    rb_sweep_key(&pts[0], got, sizeof got);
    assert_string_equal(got, k1);
    rb_sweep_key(&pts[1], got, sizeof got);
    assert_string_equal(got, k3);
    free(pts);
}

/* ------------------------------------------------------------ networks */

/* The axes: the cross product in the documented order, the keys, and the
 * lengths drawn from the grid's seed (the same array for one T and N),
 * still in place after a filter. */
static int keep_random(const rb_sweep_point *pt, size_t index, void *ctx)
{
    (void)index;
    (void)ctx;
    return strcmp(pt->lengths, "full") != 0;
}

static void test_network_axes(void **state)
{
    (void)state;
    static rb_sweep_grid g;
    rb_sweep_spec spec = {.cells = "lstm", .variants = "naive", .T = "4", .N = "3", .H = "8",
                          .layers = "1,3", .dirs = "r2l,bi_sum", .lengths = "full,random:1"};
    rb_sweep_grid_build(&g, &spec, 1);
    g.seed = 5;
    rb_sweep_point *pts;
    size_t n = rb_sweep_points(&g, &pts);
    assert_int_equal(n, 8);
    static const char *const want[8] = {
        "naive,lstm,infer,4,3,8,8,1,1,r2l,full",    "naive,lstm,infer,4,3,8,8,1,1,r2l,random",
        "naive,lstm,infer,4,3,8,8,1,1,bi_sum,full", "naive,lstm,infer,4,3,8,8,1,1,bi_sum,random",
        "naive,lstm,infer,4,3,8,8,1,3,r2l,full",    "naive,lstm,infer,4,3,8,8,1,3,r2l,random",
        "naive,lstm,infer,4,3,8,8,1,3,bi_sum,full", "naive,lstm,infer,4,3,8,8,1,3,bi_sum,random"};
    int expect[3];
    char err[256], key[256];
    assert_int_equal(rb_lengths_make("random", 4, 3, 5, expect, err, sizeof err), 1);
    for (size_t i = 0; i < n; i++) {
        rb_sweep_key(&pts[i], key, sizeof key);
        assert_string_equal(key, want[i]);
        if (i % 2 == 0) {
            assert_null(pts[i].p.s.lengths);
            assert_int_equal(rb_tokens(&pts[i].p.s), 12);
        } else {
            assert_non_null(pts[i].p.s.lengths);
            assert_true(pts[i].p.s.lengths == pts[1].p.s.lengths); /* one array per (T, N, spec) */
            assert_memory_equal(pts[i].p.s.lengths, expect, sizeof expect);
            assert_int_equal(rb_tokens(&pts[i].p.s), expect[0] + expect[1] + expect[2]);
        }
    }
    assert_int_equal(rb_sweep_points_filter(pts, n, keep_random, NULL), 4);
    for (int i = 0; i < 4; i++) assert_memory_equal(pts[i].p.s.lengths, expect, sizeof expect);
    free(pts);
}

static void test_network_bad_input(void **state)
{
    (void)state;
    rb_cli_expect_error("sweep --variants naive --layers 0 --dry-run", "out of range");
    rb_cli_expect_error("sweep --variants naive --layers 2x --dry-run", "not an integer");
    rb_cli_expect_error("sweep --variants naive --layers 1,,2 --dry-run", "--layers");
    rb_cli_expect_error("sweep --variants naive --dirs sideways --dry-run", "unknown direction mode 'sideways'");
    rb_cli_expect_error("sweep --variants naive --dirs l2r,l2r --dry-run", "twice");
    rb_cli_expect_error("sweep --variants naive --lengths some --dry-run", "unknown lengths 'some'");
    rb_cli_expect_error("sweep --variants naive --lengths 3 --dry-run", "unknown lengths '3'");
    rb_cli_expect_error("sweep --variants naive --lengths random:0 --dry-run", "MIN must be");
    rb_cli_expect_error("sweep --variants naive --lengths random:x --dry-run", "MIN must be");
    rb_cli_expect_error("sweep --variants naive --lengths random,random:1 --dry-run", "twice");
    rb_cli_expect_error("sweep --variants naive --T 4,8 --lengths random:6 --dry-run", "MIN is above T = 4");
    rb_cli_expect_error("sweep --preset quick --layers 2 --dry-run", "fixes the shapes");
    rb_cli_expect_error("sweep --preset quick --lengths random --dry-run", "fixes the shapes");
}

/* One row of results.csv, split: fields point into *line (freed by the
 * caller). */
typedef struct {
    char *line;
    char *f[RB_SWEEP_NCOLS + 1];
} csv_row;

/* Every row of dir/results.csv; asserts the header. Returns the count. */
static int read_rows(const char *dir, csv_row *rows, int max)
{
    char path[600];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = rb_cli_slurp(path);
    assert_non_null(text);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    assert_string_equal(line, RB_SWEEP_CSV_HEADER);
    int n = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        assert_true(n < max);
        rows[n].line = strdup(line);
        assert_int_equal(rb_csv_split(rows[n].line, rows[n].f, RB_SWEEP_NCOLS), RB_SWEEP_NCOLS);
        n++;
    }
    free(text);
    return n;
}

/* The network key of a row, as the sweep's: variant,cell,pass,T,N,I,H,
 * threads,layers,dir,lengths. */
static void row_key(const csv_row *r, char *key, size_t n)
{
    char *const *f = r->f;
    snprintf(key, n, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", f[2], f[5], f[6], f[7], f[8], f[9], f[10], f[12], f[36],
             f[37], f[38]);
}

#define NET_GRID "sweep --cells lstm --T 5 --N 3 --H 4 --layers 1,2 --dirs l2r,bi_concat --lengths full,random:2 " \
                 "--passes infer --reps 1 --warmup 0 --seed 7"
#define NET_POINTS 8 /* per variant */

/* A network sweep: the new columns, tokens = sum of the lengths drawn from
 * the seed, flops over the real steps, every key once, and the points a
 * variant refuses as skipped rows with its reason. */
static void test_network_csv(void **state)
{
    (void)state;
    char dir[512], args[1024], err[8192];
    const int peer = rb_variant_find("onednn") != NULL;
    snprintf(dir, sizeof dir, "%s/net", tmpdir);
    snprintf(args, sizeof args, NET_GRID " --variants naive%s --out %s", peer ? ",onednn" : "", dir);
    int st = run(args, err, sizeof err);
    if (st != 0) fail_msg("exit %d: %s", st, err);
    static csv_row rows[64];
    const int n = read_rows(dir, rows, 64);
    assert_int_equal(n, NET_POINTS * (peer ? 2 : 1));
    int lens[3];
    char e[256], key[512];
    assert_int_equal(rb_lengths_make("random:2", 5, 3, 7, lens, e, sizeof e), 1);
    const long long random_tokens = lens[0] + lens[1] + lens[2];
    rb_strset *keys = rb_strset_new();
    int varlen_skips = 0;
    for (int i = 0; i < n; i++) {
        char **f = rows[i].f;
        row_key(&rows[i], key, sizeof key);
        if (!rb_strset_add(keys, key)) fail_msg("key %s twice", key);
        const int random = strcmp(f[38], "random:2") == 0;
        assert_true(random || strcmp(f[38], "full") == 0);
        assert_int_equal(atoll(f[39]), random ? random_tokens : 15);
        rb_dir dir_mode;
        assert_int_equal(rb_dir_parse(f[37], &dir_mode), 0);
        rb_shape s = {.cell = RB_LSTM, .T = 5, .N = 3, .I = 4, .H = 4, .layers = atoi(f[36]), .dir = dir_mode,
                      .lengths = random ? lens : NULL};
        char flops[64];
        snprintf(flops, sizeof flops, "%.0f", rb_pass_flops(&s, RB_PASS_INFER));
        assert_string_equal(f[20], flops);
        if (strcmp(f[2], "naive") == 0) {
            assert_string_equal(f[25], "ok");
        } else if (random) {
            /* the peer runs layers and modes; only the lengths refuse: the
             * library's own reason */
            assert_string_equal(f[25], "skipped: the library has no variable-length sequences");
            varlen_skips++;
        } else {
            assert_string_equal(f[25], "ok");
        }
    }
    if (peer) {
        assert_true(varlen_skips > 0);
        /* and the summary says it */
        char line[160];
        snprintf(line, sizeof line,
                 "sweep: skipped %d point(s): the library has no variable-length sequences\n", varlen_skips);
        assert_non_null(strstr(err, line));
    }
    for (int i = 0; i < n; i++) free(rows[i].line);
    rb_strset_free(keys);
    /* merge keys rows by the network columns too: no point in two rows */
    snprintf(args, sizeof args, "merge %s/net-merged %s", tmpdir, dir);
    st = run(args, err, sizeof err);
    if (st != 0) fail_msg("merge exit %d: %s", st, err);
}

/* Keeps the header and the first `keep` rows of dir/results.csv; with
 * v1, writes them as a sweep from before the network columns did (their
 * header, each row without its last 13 fields: the measurement and
 * network ones). */
static void cut_rows(const char *dir, int keep, int v1)
{
    char path[600];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = rb_cli_slurp(path);
    assert_non_null(text);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    fprintf(f, "%s\n", v1 ? RB_SWEEP_CSV_HEADER_V1 : line);
    for (int k = 0; k < keep && (line = strtok_r(NULL, "\n", &save)); k++) {
        if (v1)
            for (int c = 0; c < RB_SWEEP_NCOLS - RB_SWEEP_NCOLS_V1; c++) *strrchr(line, ',') = '\0';
        fprintf(f, "%s\n", line);
    }
    assert_int_equal(fclose(f), 0);
    free(text);
}

static void expect_points_once(const char *dir, int npoints)
{
    static csv_row rows[64];
    const int n = read_rows(dir, rows, 64);
    assert_int_equal(n, npoints);
    rb_strset *keys = rb_strset_new();
    char key[512];
    for (int i = 0; i < n; i++) {
        row_key(&rows[i], key, sizeof key);
        if (!rb_strset_add(keys, key)) fail_msg("key %s twice", key);
        free(rows[i].line);
    }
    rb_strset_free(keys);
}

/* Resume with the network columns: every point exactly once. */
static void test_network_resume(void **state)
{
    (void)state;
    char dir[512], args[1024], err[8192];
    snprintf(dir, sizeof dir, "%s/netres", tmpdir);
    snprintf(args, sizeof args, NET_GRID " --variants naive --out %s", dir);
    int st = run(args, err, sizeof err);
    if (st != 0) fail_msg("exit %d: %s", st, err);
    cut_rows(dir, 3, 0);
    snprintf(args, sizeof args, "sweep --resume %s", dir);
    st = run(args, err, sizeof err);
    if (st != 0) fail_msg("resume exit %d: %s", st, err);
    expect_points_once(dir, NET_POINTS);
    st = run(args, err, sizeof err); /* finished: nothing to do */
    assert_int_equal(st, 0);
    expect_points_once(dir, NET_POINTS);
}

/* A results.csv from before the network columns resumes: its rows are
 * read as one layer, l2r, full length and upgraded in place, and only the
 * points it lacks run. */
static void test_old_columns_upgraded(void **state)
{
    (void)state;
    char dir[512], args[1024], err[8192];
    snprintf(dir, sizeof dir, "%s/oldcols", tmpdir);
    snprintf(args, sizeof args, TINY " --out %s", dir);
    int st = run(args, err, sizeof err);
    if (st != 0) fail_msg("exit %d: %s", st, err);
    static csv_row before[8];
    assert_int_equal(read_rows(dir, before, 8), 4);
    cut_rows(dir, 2, 1);
    /* a dry run reads it and writes nothing */
    snprintf(args, sizeof args, "sweep --resume %s --dry-run", dir);
    assert_int_equal(run(args, err, sizeof err), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    char *text = rb_cli_slurp(path);
    assert_int_equal(strncmp(text, RB_SWEEP_CSV_HEADER_V1 "\n", strlen(RB_SWEEP_CSV_HEADER_V1) + 1), 0);
    free(text);
    snprintf(args, sizeof args, "sweep --resume %s", dir);
    st = run(args, err, sizeof err);
    if (st != 0) fail_msg("resume exit %d: %s", st, err);
    assert_non_null(strstr(err, "added the measurement columns (empty) and layers,dir,lengths,tokens"));
    expect_points_once(dir, 4);
    static csv_row after[8];
    assert_int_equal(read_rows(dir, after, 8), 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(after[i].f[36], "1");
        assert_string_equal(after[i].f[37], "l2r");
        assert_string_equal(after[i].f[38], "full");
        assert_string_equal(after[i].f[39], "6"); /* N * T = 2 * 3 */
        assert_string_equal(after[i].f[27], i < 2 ? "" : after[i].f[27]); /* old rows: not measured */
        if (i >= 2) assert_true(after[i].f[27][0] != '\0');
        if (i < 2) assert_string_equal(after[i].f[1], before[i].f[1]); /* the old rows kept, not re-run */
        free(after[i].line);
        free(before[i].line);
    }
    /* the columns of a development build (network without measurement, and
     * the reverse): refused with one clear line, exit 2, the file untouched */
    const char *dev[] = {RB_SWEEP_CSV_HEADER_NET31, RB_SWEEP_CSV_HEADER_MEAS36};
    for (int d = 0; d < 2; d++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "%s\n", dev[d]);
        assert_int_equal(fclose(f), 0);
        st = run(args, err, sizeof err);
        assert_int_equal(st, 2);
        assert_non_null(strstr(err, "columns of a development build"));
        text = rb_cli_slurp(path);
        assert_int_equal(strncmp(text, dev[d], strlen(dev[d])), 0);
        free(text);
    }
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

RB_CLI_TMPDIR_FIXTURES(tmpdir, "/tmp/rnnbench-test-sweep-XXXXXX")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_roundtrip),
        cmocka_unit_test(test_bytes_min),
        cmocka_unit_test(test_tiny_sweep),
        cmocka_unit_test(test_interrupt_and_resume),
        cmocka_unit_test(test_order_seeded),
        cmocka_unit_test(test_truncated_line_repaired),
        cmocka_unit_test(test_nul_block_after_last_row),
        cmocka_unit_test(test_nul_inside_row),
        cmocka_unit_test(test_garbage_and_duplicate_rows),
        cmocka_unit_test(test_signal_during_startup),
        cmocka_unit_test(test_closed_stderr_pipe),
        cmocka_unit_test(test_full_disk_leaves_no_tmp),
        cmocka_unit_test(test_default_dirs_never_shared),
        cmocka_unit_test(test_meta_utf8_with_bad_env),
        cmocka_unit_test(test_crafted_meta_refused),
        cmocka_unit_test(test_points_filter),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_dry_run),
        cmocka_unit_test(test_network_axes),
        cmocka_unit_test(test_network_bad_input),
        cmocka_unit_test(test_network_csv),
        cmocka_unit_test(test_network_resume),
        cmocka_unit_test(test_old_columns_upgraded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
