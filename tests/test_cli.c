/*
 * test_cli.c: the command line as a user meets it. Bad input gets exactly one
 * line on stderr starting "rnnbench: " and a non-zero exit, never a crash;
 * --save writes the full set of tensors and --load reads them back, for a
 * single layer and for networks (--layers --dir --lengths).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/lengths.h"
#include "../harness/npy.h"
#include "../variants/variant.h"


static char tmpdir[256];

/* Runs `rnnbench args`; stderr into err, stdout into out when given. */
static int run(const char *args, char *err, size_t errlen, char *out, size_t outlen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stdout", tmpdir);
    int st = rb_cli_run(args, path, err, errlen);
    if (out) {
        char *o = rb_cli_slurp(path);
        snprintf(out, outlen, "%s", o ? o : "");
        free(o);
    }
    return st;
}


static void test_bad_names(void **state)
{
    (void)state;
    rb_cli_expect_error("frobnicate", "unknown command");
    rb_cli_expect_error("run --cell lstn", "unknown cell");
    rb_cli_expect_error("run --variant fastest", "unknown variant");
    rb_cli_expect_error("run --pass sideways", "unknown pass");
    rb_cli_expect_error("run --bogus 3", "unknown option");
    rb_cli_expect_error("check --cell xyz", "unknown cell");
    rb_cli_expect_error("run --T", "needs a value");
}

static void test_bad_sizes(void **state)
{
    (void)state;
    rb_cli_expect_error("run --T 0", "out of range");
    rb_cli_expect_error("run --N -3", "out of range");
    rb_cli_expect_error("run --H abc", "not an integer");
    rb_cli_expect_error("run --I 12x", "not an integer");
    rb_cli_expect_error("run --H 99999999999999999999", "not an integer");
    rb_cli_expect_error("run --threads 0", "out of range");
    rb_cli_expect_error("run --T 16000000 --N 4096 --I 4096 --H 4096", "GiB");
}

static void write_npy(const char *name, const float *data, int nd, size_t d0, size_t d1, size_t d2)
{
    char path[512], err[256];
    size_t dims[3] = {d0, d1, d2};
    snprintf(path, sizeof path, "%s/in/%s.npy", tmpdir, name);
    unlink(path); /* a FIFO or link left by a failed test must not block the write */
    assert_int_equal(rb_npy_write(path, data, nd, dims, err, sizeof err), 0);
}

static void write_raw(const char *name, const void *bytes, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/in/%s.npy", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* A valid rnn_tanh input set with T=2 N=3 I=4 H=5 in tmpdir/in. */
static void write_valid_inputs(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/in", tmpdir);
    mkdir(path, 0777);
    float buf[64];
    for (int i = 0; i < 64; i++) buf[i] = 0.01f * (float)(i % 17) - 0.05f;
    write_npy("x", buf, 3, 2, 3, 4);
    write_npy("h0", buf, 2, 3, 5, 0);
    write_npy("weight_ih", buf, 2, 5, 4, 0);
    write_npy("weight_hh", buf, 2, 5, 5, 0);
    write_npy("bias_ih", buf, 1, 5, 0, 0);
    write_npy("bias_hh", buf, 1, 5, 0, 0);
}

static char load_args[600];
static const char *load(void)
{
    snprintf(load_args, sizeof load_args, "run --cell rnn_tanh --reps 1 --load %s/in", tmpdir);
    return load_args;
}

static void test_bad_files(void **state)
{
    (void)state;
    char args[700];
    write_valid_inputs();
    char err[4096];
    assert_int_equal(run(load(), err, sizeof err, NULL, 0), 0);

    /* sizes on the command line must match the files */
    snprintf(args, sizeof args, "%s --T 3", load());
    rb_cli_expect_error(args, "does not match");

    /* a weight of the wrong shape */
    float w[30] = {0};
    write_npy("weight_hh", w, 2, 6, 5, 0);
    rb_cli_expect_error(load(), "shape");
    write_valid_inputs();

    /* lstm needs c0, which is absent */
    snprintf(args, sizeof args, "run --cell lstm --reps 1 --load %s/in", tmpdir);
    rb_cli_expect_error(args, "c0");

    /* NaN and Inf in inputs */
    float h[15] = {0};
    h[7] = NAN;
    write_npy("h0", h, 2, 3, 5, 0);
    rb_cli_expect_error(load(), "NaN");
    h[7] = INFINITY;
    write_npy("h0", h, 2, 3, 5, 0);
    rb_cli_expect_error(load(), "Inf");
    write_valid_inputs();

    /* malformed files */
    write_raw("bias_ih", "not a numpy file at all", 23);
    rb_cli_expect_error(load(), "magic");
    write_valid_inputs();
    const char be[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '>f4', 'fortran_order': False, 'shape': (5,), }";
    char hdr[128 + 20];
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, be, sizeof be - 1);
    hdr[127] = '\n';
    memset(hdr + 128, 0, 20);
    write_raw("bias_ih", hdr, sizeof hdr);
    rb_cli_expect_error(load(), "big-endian");
    write_valid_inputs();
    write_raw("bias_ih", hdr, 100); /* truncated header */
    rb_cli_expect_error(load(), "bias_ih");
    write_valid_inputs();

    /* missing directory */
    rb_cli_expect_error("run --load /nonexistent/dir", "x.npy");
}

/* The number a shell command prints. */
static int shell_count(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static int count_files(const char *dir)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls %s/*.npy | wc -l", dir);
    return shell_count(cmd);
}

static void test_save_and_load_round_trip(void **state)
{
    (void)state;
    char args[800], err[4096], out1[4096], out2[4096];
    snprintf(args, sizeof args, "run --cell lstm --T 7 --N 3 --I 5 --H 6 --pass train --reps 1 --save %s/lstm", tmpdir);
    assert_int_equal(run(args, err, sizeof err, out1, sizeof out1), 0);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/lstm", tmpdir);
    assert_int_equal(count_files(dir), 20); /* every tensor of EQUATIONS.md */

    snprintf(args, sizeof args, "run --cell gru --T 2 --N 1 --I 3 --H 2 --pass infer --reps 1 --save %s/gru", tmpdir);
    assert_int_equal(run(args, err, sizeof err, NULL, 0), 0);
    snprintf(dir, sizeof dir, "%s/gru", tmpdir);
    assert_int_equal(count_files(dir), 8); /* x h0 weight_* bias_*, y, hT: no c0 or cT for gru */

    /* Loading what was saved with another seed reproduces y exactly. */
    snprintf(args, sizeof args, "run --cell lstm --seed 99 --pass train --reps 1 --load %s/lstm --save %s/again",
             tmpdir, tmpdir);
    assert_int_equal(run(args, err, sizeof err, out2, sizeof out2), 0);
    char p1[512], p2[512], e[256];
    snprintf(p1, sizeof p1, "%s/lstm/y.npy", tmpdir);
    snprintf(p2, sizeof p2, "%s/again/y.npy", tmpdir);
    float *a, *b;
    int nda, ndb;
    size_t da[RB_NPY_MAXDIM], db[RB_NPY_MAXDIM];
    assert_int_equal(rb_npy_read(p1, &a, &nda, da, e, sizeof e), 0);
    assert_int_equal(rb_npy_read(p2, &b, &ndb, db, e, sizeof e), 0);
    assert_int_equal(nda, 3);
    assert_int_equal(da[0] * da[1] * da[2], 7 * 3 * 6);
    assert_memory_equal(a, b, sizeof(float) * 7 * 3 * 6);
    free(a);
    free(b);
    /* The machine-readable line has the promised keys. */
    const char *keys[] = {"cell=lstm", "variant=naive", "T=7", "N=3", "I=5", "H=6", "threads=1", "pass=train",
                          "median_ms=", "min_ms=", "gflops="};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) assert_non_null(strstr(out1, keys[k]));
}

/* --verbose (or RNNBENCH_VERBOSE=1) says which variant and kernels run. */
static void test_verbose_says_what_runs(void **state)
{
    (void)state;
    char err[4096];
    assert_int_equal(run("run --cell gru --variant naive --reps 1 --verbose", err, sizeof err, NULL, 0), 0);
    assert_non_null(strstr(err, "rnnbench: naive on gru"));
    assert_non_null(strstr(err, "scalar reference"));
    assert_int_equal(run("run --cell gru --variant naive --reps 1", err, sizeof err, NULL, 0), 0);
    assert_null(strstr(err, "naive on gru"));
}


/* Output that cannot be written is a failure, for every command: a result
 * lost to a full disk must not exit 0. */
static void test_unwritable_output_fails(void **state)
{
    (void)state;
    const char *cmds[] = {"run --cell gru --T 2 --N 1 --I 2 --H 2 --reps 1", "list", "info --json",
                          "check --variant naive --cell rnn_tanh --quick", "sweep --dry-run --preset quick",
                          "run --help", "--help"};
    char err[8192];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int st = rb_cli_run(cmds[i], "/dev/full", err, sizeof err);
        print_message("rnnbench %s > /dev/full -> %d: %s", cmds[i], st, err);
        assert_int_not_equal(st, 0);
        assert_non_null(strstr(err, "rnnbench: cannot write the output: No space left on device"));
    }
}

/* Options are strict: given once, plain digits, no empty list elements. */
static void test_strict_options(void **state)
{
    (void)state;
    rb_cli_expect_error("run --T 3 --T 4", "given twice");
    rb_cli_expect_error("run --verbose --verbose", "given twice");
    rb_cli_expect_error("run --T ' 5'", "not an integer");
    rb_cli_expect_error("run --T +5", "not an integer");
    rb_cli_expect_error("run --seed ' -1'", "not a non-negative integer");
    rb_cli_expect_error("run --seed +1", "not a non-negative integer");
    rb_cli_expect_error("check --cell lstm,,gru", "empty element");
    rb_cli_expect_error("check --cell lstm,", "empty element");
    rb_cli_expect_error("check --threads 5,,6", "empty element");
    rb_cli_expect_error("check --variant naive,,avx2", "empty element");
    rb_cli_expect_error("check --variant ''", "empty list");
}

/* OpenBLAS caps its team at its build limit (64 on Debian): the blas peer
 * refuses more rather than label a run with threads that never ran. */
static void test_blas_refuses_threads_it_cannot_run(void **state)
{
    (void)state;
#ifdef RB_HAVE_BLAS
    rb_cli_expect_error("run --variant blas --cell gru --T 2 --N 1 --I 2 --H 2 --reps 1 --threads 1000",
                        "OpenBLAS runs at most");
#else
    skip();
#endif
}

/* A check that ran no variant is not a pass. */
static void test_check_of_nothing_fails(void **state)
{
    (void)state;
#if defined(__x86_64__)
    char err[4096];
    int st = rb_cli_run("check --variant neon", NULL, err, sizeof err);
    print_message("check --variant neon -> %d: %s", st, err);
    assert_int_equal(st, 1);
    assert_non_null(strstr(err, "nothing was checked"));
#else
    skip();
#endif
}

/* Only a file that does not exist is absent: a dangling link or a link loop
 * is an error, for optional (dy) and required (c0, x) files alike. */
static void test_load_broken_links(void **state)
{
    (void)state;
    char args[700], a[600], b[600];
    write_valid_inputs();
    snprintf(a, sizeof a, "%s/in/dy.npy", tmpdir);
    assert_int_equal(symlink("/nonexistent/dy.npy", a), 0);
    snprintf(args, sizeof args, "%s --pass fwdbwd", load());
    rb_cli_expect_error(args, "dy.npy is a broken symbolic link");
    unlink(a);
    assert_int_equal(symlink("dy.npy", a), 0); /* a loop of one */
    rb_cli_expect_error(args, "dy.npy is a broken symbolic link");
    unlink(a);
    snprintf(a, sizeof a, "%s/in/h0.npy", tmpdir);
    snprintf(b, sizeof b, "%s/in/h0_copy.npy", tmpdir);
    assert_int_equal(rename(a, b), 0);
    assert_int_equal(symlink("h0.npy", a), 0);
    rb_cli_expect_error(load(), "h0.npy");
    char err[4096];
    rb_cli_run(load(), NULL, err, sizeof err);
    assert_null(strstr(err, "missing"));
    unlink(a);
    write_valid_inputs();
    unlink(b);
}

/* A FIFO x.npy is refused at once (it used to block forever). A helper
 * process opens the FIFO for writing for a few seconds, so that a reader
 * that does block is released and the test fails instead of hanging. */
static void test_load_fifo_refused(void **state)
{
    (void)state;
    char x[600];
    write_valid_inputs();
    snprintf(x, sizeof x, "%s/in/x.npy", tmpdir);
    unlink(x);
    assert_int_equal(mkfifo(x, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < 50; i++) {
            usleep(100000);
            int fd = open(x, O_WRONLY | O_NONBLOCK);
            if (fd >= 0) {
                close(fd);
                _exit(0);
            }
        }
        _exit(0);
    }
    rb_cli_expect_error(load(), "not a regular file");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(x);
    write_valid_inputs();
}

/* The memory check comes from the headers, before any data is read: an
 * x.npy whose (sparse) data is twice this machine's memory is refused with
 * "sizes too large" without reading it. */
static void test_load_checks_memory_from_headers(void **state)
{
    (void)state;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    assert_true(pages > 0 && page > 0);
    const size_t N = 3, I = 4096;
    const size_t T = (size_t)pages * (size_t)page * 2 / (N * I * 4) + 1;
    write_valid_inputs();
    char path[600], hdr[128];
    snprintf(path, sizeof path, "%s/in/x.npy", tmpdir);
    int k = snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu, %zu), }",
                     T, N, I);
    memset(hdr + 10 + k, ' ', sizeof hdr - 10 - k);
    hdr[127] = '\n';
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    hdr[8] = (char)(128 - 10);
    hdr[9] = 0;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(hdr, 1, 128, f), 128);
    fclose(f);
    assert_int_equal(truncate(path, (off_t)(128 + T * N * I * 4)), 0);
    /* Address space capped at 8 GiB and 60 s: a reader that allocates or
     * reads the data first fails fast instead of eating the machine. */
    char cmd[2048], errpath[700];
    snprintf(errpath, sizeof errpath, "%s/mem.err", tmpdir);
#ifdef __SANITIZE_ADDRESS__
    const char *cap = ""; /* ASan's shadow memory needs terabytes of address space */
#else
    const char *cap = "ulimit -v 8000000; ";
#endif
    snprintf(cmd, sizeof cmd, "sh -c '%sexec timeout 60 %s run --cell rnn_tanh --reps 1 --I 4096 --load %s/in' 2>%s",
             cap, RB_BIN, tmpdir, errpath);
    int st = system(cmd);
    char *e = rb_cli_slurp(errpath);
    print_message("x.npy of %zu GiB -> %d: %s", T * N * I * 4 >> 30, st, e);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_non_null(strstr(e, "sizes too large"));
    free(e);
    unlink(path);
    write_valid_inputs();
}

static int count_matching(const char *dir, const char *glob)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "ls -A %s | grep -c -e '%s'", dir, glob);
    return shell_count(cmd);
}

/* A save leaves a directory that describes one run: saving an infer pass
 * over a fwdbwd save removes its dy, dx and dweight*, and keeps files that
 * are not tensors. */
static void test_save_removes_stale_tensors(void **state)
{
    (void)state;
    char args[800], err[4096], dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/stale", tmpdir);
    snprintf(args, sizeof args, "run --cell lstm --T 3 --N 2 --I 4 --H 5 --pass fwdbwd --seed 1 --reps 1 --save %s", dir);
    assert_int_equal(run(args, err, sizeof err, NULL, 0), 0);
    assert_int_equal(count_files(dir), 20);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(args, sizeof args, "run --cell lstm --T 3 --N 2 --I 4 --H 5 --pass infer --seed 2 --reps 1 --save %s", dir);
    assert_int_equal(run(args, err, sizeof err, NULL, 0), 0);
    assert_int_equal(count_files(dir), 10); /* x h0 c0 weight_* bias_* y hT cT */
    snprintf(path, sizeof path, "%s/dy.npy", dir);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    assert_int_equal(access(path, F_OK), 0);
    /* --load then takes seeded dy, not a stale one: same as no dy at all */
    char out[4096];
    snprintf(args, sizeof args, "run --cell lstm --pass fwdbwd --reps 1 --load %s", dir);
    assert_int_equal(run(args, err, sizeof err, out, sizeof out), 0);
}

/* Full disk during --save (simulated with a file-size limit, EFBIG): no
 * result line, a reason, and the directory as it was: no partial or
 * temporary files, the earlier save intact. */
static void test_save_to_full_disk(void **state)
{
    (void)state;
    char args[800], err[4096], out[4096], dir[600], cmd[4096], errpath[700], outpath[700];
    snprintf(dir, sizeof dir, "%s/full", tmpdir);
    snprintf(args, sizeof args, "run --cell gru --T 2 --N 1 --I 3 --H 2 --pass train --reps 1 --save %s", dir);
    assert_int_equal(run(args, err, sizeof err, NULL, 0), 0);
    assert_int_equal(count_files(dir), 16);
    snprintf(errpath, sizeof errpath, "%s/full.err", tmpdir);
    snprintf(outpath, sizeof outpath, "%s/full.out", tmpdir);
    snprintf(cmd, sizeof cmd,
             "sh -c \"trap '' XFSZ; ulimit -f 16; exec %s run --cell gru --T 40 --N 8 --I 64 --H 64 --pass train "
             "--reps 1 --save %s\" >%s 2>%s",
             RB_BIN, dir, outpath, errpath);
    int st = system(cmd);
    char *e = rb_cli_slurp(errpath), *o = rb_cli_slurp(outpath);
    print_message("full disk: status %d, stdout '%s', stderr '%s'", st, o, e);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_string_equal(o, "");
    assert_non_null(strstr(e, "File too large"));
    free(e);
    free(o);
    assert_int_equal(count_files(dir), 16);
    assert_int_equal(count_matching(dir, "tmp"), 0);
    snprintf(args, sizeof args, "run --cell gru --pass train --reps 1 --load %s", dir);
    assert_int_equal(run(args, err, sizeof err, out, sizeof out), 0);
    assert_non_null(strstr(out, "T=2 N=1 I=3 H=2"));
}

static void test_help_everywhere(void **state)
{
    (void)state;
    const char *cmds[] = {"--help", "list --help", "check --help", "run --help", "info --help"};
    char err[4096], out[8192];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        assert_int_equal(run(cmds[i], err, sizeof err, out, sizeof out), 0);
        assert_non_null(strstr(out, "usage: rnnbench"));
    }
}


/* ---- networks: --layers --dir --lengths ---- */

/* The integer after " key=" in a result line (dies when absent). */
static long long field(const char *line, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, " %s=", key);
    const char *p = strstr(line, k);
    if (!p) fail_msg("no %s in '%s'", key, line);
    return strtoll(p + strlen(k), NULL, 10);
}

/* A result line for `run args` (exit 0 required). */
static void run_ok(const char *args, char *out, size_t outlen)
{
    char err[4096];
    int st = run(args, err, sizeof err, out, outlen);
    if (st != 0) fail_msg("rnnbench %s -> %d: %s", args, st, err);
}

static void test_net_options(void **state)
{
    (void)state;
    char out[4096];
    run_ok("run --cell lstm --T 4 --N 3 --I 5 --H 6 --layers 2 --dir bi_concat --lengths 4,1,2 --reps 1", out,
           sizeof out);
    assert_non_null(strstr(out, " layers=2 dir=bi_concat tokens=7 "));
    /* FLOPs over real steps, each layer with its own input: 7 tokens x
     * (2·2·4·6·(5+6) + 2·2·4·6·(12+6)) */
    assert_int_equal(field(out, "flops"), 7 * (2 * 2 * 4 * 6 * 11 + 2 * 2 * 4 * 6 * 18));
    run_ok("run --cell gru --T 4 --N 3 --I 5 --H 6 --layers 3 --dir r2l --reps 1", out, sizeof out);
    assert_non_null(strstr(out, " layers=3 dir=r2l tokens=12 "));
    run_ok("run --cell rnn_relu --T 4 --N 3 --I 5 --H 6 --dir bi_sum --lengths full --reps 1", out, sizeof out);
    assert_non_null(strstr(out, " layers=1 dir=bi_sum tokens=12 "));
    run_ok("run --cell rnn_tanh --T 4 --N 3 --I 5 --H 6 --reps 1", out, sizeof out); /* the defaults */
    assert_non_null(strstr(out, " layers=1 dir=l2r tokens=12 "));
    /* random:MIN: from the seed, in [MIN, T]; MIN = T leaves no choice */
    char again[4096];
    run_ok("run --cell gru --T 9 --N 16 --I 3 --H 2 --lengths random:3 --seed 5 --reps 1", out, sizeof out);
    run_ok("run --cell gru --T 9 --N 16 --I 3 --H 2 --lengths random:3 --seed 5 --reps 1", again, sizeof again);
    const long long tok = field(out, "tokens");
    assert_int_equal(tok, field(again, "tokens"));
    assert_true(tok >= 16 * 3 && tok < 16 * 9);
    run_ok("run --cell gru --T 9 --N 16 --I 3 --H 2 --lengths random:9 --reps 1", out, sizeof out);
    assert_int_equal(field(out, "tokens"), 16 * 9);
    /* a fast variant runs layers, modes and variable lengths */
    const rb_variant *v = rb_variant_find("avx2");
    if (v && !rb_variant_why_not_any(v)) {
        run_ok("run --variant avx2 --cell lstm --T 4 --N 3 --I 5 --H 6 --layers 2 --dir bi_sum --lengths 4,1,2 "
               "--reps 1", out, sizeof out);
        assert_non_null(strstr(out, "variant=avx2 "));
        assert_non_null(strstr(out, " layers=2 dir=bi_sum tokens=7 "));
    }
    /* the peer library has no variable lengths: refused, with that reason */
    const rb_variant *lib = rb_variant_find("onednn");
    if (lib && !rb_variant_why_not_any(lib))
        rb_cli_expect_error("run --variant onednn --cell lstm --T 4 --N 2 --lengths 4,1",
                            "the library has no variable-length sequences");
}

/* rb_lengths_make, the one parser `run` and `sweep` share. */
static void test_lengths_make(void **state)
{
    (void)state;
    int a[16], b[16], c[16];
    char err[256];
    assert_int_equal(rb_lengths_make("full", 7, 16, 1, a, err, sizeof err), 0);
    assert_int_equal(rb_lengths_make("7,1,3", 7, 3, 1, a, err, sizeof err), 1);
    assert_true(a[0] == 7 && a[1] == 1 && a[2] == 3);
    assert_int_equal(rb_lengths_make("random:2", 7, 16, 1, a, err, sizeof err), 1);
    assert_int_equal(rb_lengths_make("random:2", 7, 16, 1, b, err, sizeof err), 1);
    assert_int_equal(rb_lengths_make("random:2", 7, 16, 2, c, err, sizeof err), 1);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    int lo = 7, hi = 0;
    for (int n = 0; n < 16; n++) {
        lo = a[n] < lo ? a[n] : lo;
        hi = a[n] > hi ? a[n] : hi;
    }
    assert_true(lo >= 2 && hi <= 7 && lo < hi);
    assert_int_equal(rb_lengths_make("random", 1, 4, 1, a, err, sizeof err), 1);
    assert_true(a[0] == 1 && a[3] == 1);
    assert_int_equal(rb_lengths_make("1,2", 7, 3, 1, a, err, sizeof err), -1);
    assert_int_equal(rb_lengths_make("1,8,2", 7, 3, 1, a, err, sizeof err), -1);
    assert_non_null(strstr(err, "length 8 of sequence 1 is out of range [1, 7]"));
}

static void test_net_bad_options(void **state)
{
    (void)state;
    rb_cli_expect_error("run --layers 0", "--layers: 0 is out of range");
    rb_cli_expect_error("run --layers two", "not an integer");
    rb_cli_expect_error("run --dir up", "unknown --dir 'up'");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 0,1,2", "length 0 of sequence 0 is out of range [1, 3]");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,2,4", "length 4 of sequence 2 is out of range [1, 3]");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,-2,3", "out of range");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,2", "2 lengths given but the batch N is 3");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,2,3,1", "4 lengths given but the batch N is 3");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,x,2", "'x' is not an integer");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,2.5,2", "'2.5' is not an integer");
    rb_cli_expect_error("run --T 3 --N 3 --lengths 1,,2", "empty element");
    rb_cli_expect_error("run --T 3 --N 3 --lengths random:0", "MIN is out of range [1, 3]");
    rb_cli_expect_error("run --T 3 --N 3 --lengths random:4", "MIN is out of range [1, 3]");
    rb_cli_expect_error("run --T 3 --N 3 --lengths random:a", "integer MIN");
    rb_cli_expect_error("run --T 3 --N 3 --lengths sometimes", "random[:MIN]");
}

static void path_in(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s/%s", tmpdir, dir, name);
}

/* Two files with the same bytes? */
static int same_bytes(const char *a, const char *b)
{
    size_t na, nb;
    char *x = rb_read_file(a, &na), *y = rb_read_file(b, &nb);
    assert_non_null(x);
    assert_non_null(y);
    const int same = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}


static void write_lengths(const char *dir, const int64_t *v, size_t n)
{
    char path[600], err[256];
    path_in(path, sizeof path, dir, "lengths.npy");
    unlink(path);
    assert_int_equal(rb_npy_write_i64(path, v, 1, &n, err, sizeof err), 0);
}

/* Loads DIR with `opts` and saves into DIR_out; result line in out. */
static void load_save(const char *opts, const char *dir, const char *outdir, char *out, size_t n)
{
    char args[1024];
    snprintf(args, sizeof args, "run --cell lstm %s --pass train --seed 99 --reps 1 --load %s/%s --save %s/%s", opts,
             tmpdir, dir, tmpdir, outdir);
    run_ok(args, out, n);
}

/* An L=2 bi_concat lstm with lengths 5, 1, 3 saved, loaded back with
 * another seed, and saved again: every file bit for bit the same. A
 * perturbed weight block or lengths.npy is seen in the outputs. */
static void test_net_save_load_round_trip(void **state)
{
    (void)state;
    char args[1024], out[4096], a[600], b[600], err[256];
    const char *net = "--layers 2 --dir bi_concat";
    snprintf(args, sizeof args,
             "run --cell lstm --T 5 --N 3 --I 4 --H 3 %s --lengths 5,1,3 --pass train --reps 1 --save %s/net", net,
             tmpdir);
    run_ok(args, out, sizeof out);
    assert_non_null(strstr(out, " tokens=9 "));
    char dir[600], dir2[600];
    snprintf(dir, sizeof dir, "%s/net", tmpdir);
    snprintf(dir2, sizeof dir2, "%s/net2", tmpdir);
    /* x h0 c0, 4 parameters x 4 blocks, y hT cT, dy dhT dcT, dx dh0 dc0,
     * 4 gradients x 4 blocks, lengths */
    assert_int_equal(count_files(dir), 3 + 16 + 3 + 3 + 3 + 16 + 1);
    const char *names[] = {"weight_ih_l0.npy", "weight_hh_l1_reverse.npy", "bias_ih_l1.npy",
                           "dweight_ih_l0_reverse.npy", "dbias_hh_l1.npy", "lengths.npy"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        path_in(a, sizeof a, "net", names[k]);
        assert_int_equal(access(a, F_OK), 0);
    }
    path_in(a, sizeof a, "net", "weight_ih.npy");
    assert_int_equal(access(a, F_OK), -1);
    int nd;
    size_t d[RB_NPY_MAXDIM];
    path_in(a, sizeof a, "net", "h0.npy");
    assert_int_equal(rb_npy_read_header(a, &nd, d, err, sizeof err), 0);
    assert_true(nd == 3 && d[0] == 4 && d[1] == 3 && d[2] == 3); /* [L·D][N][H] */
    path_in(a, sizeof a, "net", "weight_ih_l1_reverse.npy");
    assert_int_equal(rb_npy_read_header(a, &nd, d, err, sizeof err), 0);
    assert_true(nd == 2 && d[0] == 12 && d[1] == 6); /* layer 1 reads [y_fwd, y_rev] */
    int64_t *len;
    path_in(a, sizeof a, "net", "lengths.npy");
    assert_int_equal(rb_npy_read_i64(a, &len, &nd, d, err, sizeof err), 0);
    assert_true(nd == 1 && d[0] == 3 && len[0] == 5 && len[1] == 1 && len[2] == 3);
    free(len);
    float *y;
    path_in(a, sizeof a, "net", "y.npy");
    assert_int_equal(rb_npy_read(a, &y, &nd, d, err, sizeof err), 0);
    assert_true(nd == 3 && d[0] == 5 && d[1] == 3 && d[2] == 6);
    for (int t = 1; t < 5; t++)
        for (int h = 0; h < 6; h++) assert_true(y[(t * 3 + 1) * 6 + h] == 0.0f); /* sequence 1 is padding after t=0 */
    free(y);

    /* back: lengths from lengths.npy, every file the same */
    load_save(net, "net", "net2", out, sizeof out);
    assert_non_null(strstr(out, " tokens=9 "));
    assert_int_equal(count_files(dir), 45);
    assert_int_equal(count_files(dir2), 45);
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int compared = 0;
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        if (!strstr(e->d_name, ".npy")) continue;
        path_in(a, sizeof a, "net", e->d_name);
        path_in(b, sizeof b, "net2", e->d_name);
        if (!same_bytes(a, b)) fail_msg("%s differs after a round trip", e->d_name);
        compared++;
    }
    closedir(dp);
    assert_int_equal(compared, 45);

    /* the comparison can fail: a perturbed weight block changes y and a
     * gradient, a perturbed length changes y */
    rb_cli_sh("rm -rf %s/bent && cp -r %s/net %s/bent", tmpdir, tmpdir, tmpdir);
    path_in(a, sizeof a, "bent", "weight_hh_l1_reverse.npy");
    float *w;
    assert_int_equal(rb_npy_read(a, &w, &nd, d, err, sizeof err), 0);
    w[4] += 0.25f;
    assert_int_equal(rb_npy_write(a, w, nd, d, err, sizeof err), 0);
    free(w);
    load_save(net, "bent", "bent_out", out, sizeof out);
    path_in(a, sizeof a, "net", "y.npy");
    path_in(b, sizeof b, "bent_out", "y.npy");
    assert_false(same_bytes(a, b));
    path_in(a, sizeof a, "net", "dweight_ih_l1_reverse.npy");
    path_in(b, sizeof b, "bent_out", "dweight_ih_l1_reverse.npy");
    assert_false(same_bytes(a, b));
    rb_cli_sh("rm -rf %s/bent && cp -r %s/net %s/bent", tmpdir, tmpdir, tmpdir);
    const int64_t l2[3] = {5, 2, 3};
    write_lengths("bent", l2, 3);
    load_save(net, "bent", "bent_out", out, sizeof out);
    assert_non_null(strstr(out, " tokens=10 "));
    path_in(a, sizeof a, "net", "y.npy");
    path_in(b, sizeof b, "bent_out", "y.npy");
    assert_false(same_bytes(a, b));

    /* a save of one plain layer over it leaves no network file behind */
    snprintf(args, sizeof args, "run --cell lstm --T 5 --N 3 --I 4 --H 3 --pass infer --reps 1 --save %s/net2", tmpdir);
    run_ok(args, out, sizeof out);
    assert_int_equal(count_files(dir2), 10); /* x h0 c0 weight_* bias_* y hT cT */
    assert_int_equal(count_matching(dir2, "_l[0-9]"), 0);
    assert_int_equal(count_matching(dir2, "lengths"), 0);
}

/* Files for another network, a missing block, a bad h0 or lengths.npy:
 * one line and exit 2. */
static void test_net_bad_files(void **state)
{
    (void)state;
    char args[1024], out[4096], a[600], b[600], err[256];
#define SAVE(opts, dir)                                                                                        \
    do {                                                                                                      \
        snprintf(args, sizeof args, "run --cell lstm --T 5 --N 3 --I 4 --H 3 %s --pass train --reps 1 --save %s/%s", \
                 opts, tmpdir, dir);                                                                          \
        run_ok(args, out, sizeof out);                                                                        \
    } while (0)
#define EXPECT(opts, dir, word)                                                                      \
    do {                                                                                            \
        snprintf(args, sizeof args, "run --cell lstm %s --reps 1 --load %s/%s", opts, tmpdir, dir); \
        rb_cli_expect_error(args, word);                                                            \
    } while (0)
    SAVE("--layers 2 --dir bi_concat --lengths 5,1,3", "bic");
    SAVE("--layers 2 --dir l2r", "deep");
    SAVE("--dir bi_sum", "bis");

    /* h0 must have L·D blocks */
    EXPECT("--layers 3 --dir bi_concat", "bic", "h0.npy has first dimension 4 but --layers 3 --dir bi_concat needs L*D = 6");
    EXPECT("", "bic", "h0.npy has first dimension 4 but --layers 1 --dir l2r needs L*D = 1");
    EXPECT("--dir r2l", "bis", "first dimension 2");
    /* files of another layer count or mode (h0 agreeing) */
    EXPECT("--dir bi_sum", "deep", "bias_hh_l1.npy is layer 1 of a deeper network; this one has layers 0 to 0");
    EXPECT("--layers 2", "bis", "bias_hh_l0_reverse.npy is the reverse direction of a bidirectional network; l2r has one");
    rb_cli_sh("rm -rf %s/deeper && cp -r %s/deep %s/deeper && cp %s/deep/weight_ih_l1.npy %s/deeper/weight_ih_l2.npy", tmpdir,
       tmpdir, tmpdir, tmpdir, tmpdir);
    EXPECT("--layers 2", "deeper", "weight_ih_l2.npy is layer 2 of a deeper network; this one has layers 0 to 1");
    /* bi_concat and bi_sum differ in layer 1's input */
    EXPECT("--layers 2 --dir bi_sum", "bic", "weight_ih_l1.npy: shape (12, 6) does not match the expected (12, 3)");
    /* a missing _reverse block */
    rb_cli_sh("rm -rf %s/norev && cp -r %s/bic %s/norev && rm %s/norev/bias_hh_l1_reverse.npy", tmpdir, tmpdir, tmpdir,
       tmpdir);
    EXPECT("--layers 2 --dir bi_concat", "norev", "missing");
    EXPECT("--layers 2 --dir bi_concat", "norev", "bias_hh_l1_reverse.npy (needed for lstm --layers 2 --dir bi_concat)");
    /* a plain single-layer name among a network's files */
    rb_cli_sh("rm -rf %s/mixed && cp -r %s/deep %s/mixed && cp %s/deep/bias_ih_l0.npy %s/mixed/bias_ih.npy", tmpdir, tmpdir,
       tmpdir, tmpdir, tmpdir);
    EXPECT("--layers 2", "mixed", "bias_ih.npy is a single-layer l2r name");

    /* lengths.npy: values, count, dtype, rank; and not twice */
    rb_cli_sh("rm -rf %s/len && cp -r %s/bic %s/len", tmpdir, tmpdir, tmpdir);
    const int64_t zero[3] = {5, 0, 3}, big[3] = {5, 6, 3}, two[2] = {5, 3};
    write_lengths("len", zero, 3);
    EXPECT("--layers 2 --dir bi_concat", "len", "lengths.npy: length 0 of sequence 1 is out of range [1, 5]");
    write_lengths("len", big, 3);
    EXPECT("--layers 2 --dir bi_concat", "len", "length 6 of sequence 1 is out of range [1, 5]");
    write_lengths("len", two, 2);
    EXPECT("--layers 2 --dir bi_concat", "len", "2 lengths but the batch N is 3");
    path_in(a, sizeof a, "len", "lengths.npy");
    const float f[3] = {5, 1, 3};
    const size_t three = 3, d13[2] = {1, 3};
    unlink(a);
    assert_int_equal(rb_npy_write(a, f, 1, &three, err, sizeof err), 0);
    EXPECT("--layers 2 --dir bi_concat", "len", "float32; only int64 '<i8' or int32 '<i4'");
    const int64_t ok[3] = {5, 1, 3};
    unlink(a);
    assert_int_equal(rb_npy_write_i64(a, ok, 2, d13, err, sizeof err), 0);
    EXPECT("--layers 2 --dir bi_concat", "len", "lengths must be 1-D [N], found 2-D");
    write_lengths("len", ok, 3);
    EXPECT("--layers 2 --dir bi_concat --lengths full", "len", "both give the lengths");
    /* '<i4' (numpy's int on some platforms) reads as well */
    char img[128 + 12];
    memset(img, ' ', 128);
    memcpy(img, "\x93NUMPY\x01\x00\x76\x00", 10);
    const char *dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }";
    memcpy(img + 10, dict, strlen(dict));
    img[127] = '\n';
    const int32_t i4[3] = {5, 1, 3};
    memcpy(img + 128, i4, sizeof i4);
    FILE *fp = fopen(a, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(img, 1, sizeof img, fp), sizeof img);
    fclose(fp);
    load_save("--layers 2 --dir bi_concat", "len", "len_out", out, sizeof out);
    path_in(a, sizeof a, "bic", "y.npy");
    path_in(b, sizeof b, "len_out", "y.npy");
    assert_true(same_bytes(a, b));
#undef SAVE
#undef EXPECT
}

/* A single-layer l2r run reads PyTorch's names for num_layers=1 too:
 * weight_ih_l0 ..., and states [1][N][H]; not both spellings at once. */
static void test_single_layer_reads_l0_names(void **state)
{
    (void)state;
    char args[1024], out[4096], a[600], b[600], err[256];
    snprintf(args, sizeof args, "run --cell lstm --T 5 --N 3 --I 4 --H 3 --pass train --reps 1 --save %s/one", tmpdir);
    run_ok(args, out, sizeof out);
    rb_cli_sh("rm -rf %s/pt && cp -r %s/one %s/pt && cd %s/pt && for t in weight_ih weight_hh bias_ih bias_hh; do "
       "mv $t.npy ${t}_l0.npy; done",
       tmpdir, tmpdir, tmpdir, tmpdir);
    path_in(a, sizeof a, "pt", "h0.npy");
    float *h;
    int nd;
    size_t d[RB_NPY_MAXDIM];
    assert_int_equal(rb_npy_read(a, &h, &nd, d, err, sizeof err), 0);
    const size_t d3[3] = {1, d[0], d[1]};
    assert_int_equal(rb_npy_write(a, h, 3, d3, err, sizeof err), 0);
    free(h);
    load_save("", "pt", "pt_out", out, sizeof out);
    const char *same[] = {"y.npy", "hT.npy", "cT.npy", "dweight_hh.npy", "dh0.npy"};
    for (size_t k = 0; k < sizeof same / sizeof same[0]; k++) {
        path_in(a, sizeof a, "one", same[k]);
        path_in(b, sizeof b, "pt_out", same[k]);
        if (!same_bytes(a, b)) fail_msg("%s differs after loading the _l0 names", same[k]);
    }
    rb_cli_sh("cp %s/one/bias_hh.npy %s/pt/bias_hh.npy", tmpdir, tmpdir);
    snprintf(args, sizeof args, "run --cell lstm --reps 1 --load %s/pt", tmpdir);
    rb_cli_expect_error(args, "keep one");
    rb_cli_sh("rm %s/pt/bias_hh.npy && cp %s/pt/weight_hh_l0.npy %s/pt/weight_hh_l0_reverse.npy", tmpdir, tmpdir, tmpdir);
    rb_cli_expect_error(args, "weight_hh_l0_reverse.npy is the reverse direction");
}

RB_CLI_TMPDIR_FIXTURES(tmpdir, "/tmp/rnnbench-cli-XXXXXX")

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_save_and_load_round_trip),
        cmocka_unit_test(test_verbose_says_what_runs),
        cmocka_unit_test(test_help_everywhere),
        cmocka_unit_test(test_unwritable_output_fails),
        cmocka_unit_test(test_strict_options),
        cmocka_unit_test(test_check_of_nothing_fails),
        cmocka_unit_test(test_blas_refuses_threads_it_cannot_run),
        cmocka_unit_test(test_load_broken_links),
        cmocka_unit_test(test_load_fifo_refused),
        cmocka_unit_test(test_load_checks_memory_from_headers),
        cmocka_unit_test(test_save_removes_stale_tensors),
        cmocka_unit_test(test_save_to_full_disk),
        cmocka_unit_test(test_net_options),
        cmocka_unit_test(test_lengths_make),
        cmocka_unit_test(test_net_bad_options),
        cmocka_unit_test(test_net_save_load_round_trip),
        cmocka_unit_test(test_net_bad_files),
        cmocka_unit_test(test_single_layer_reads_l0_names),
    };
    return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
