/*
 * test_cli.c: the command line as a user meets it. Bad input gets exactly one
 * line on stderr starting "rnnbench: " and a non-zero exit, never a crash;
 * --save writes the full set of tensors and --load reads them back.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/npy.h"


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
    };
    return cmocka_run_group_tests_name("cli", tests, setup, teardown);
}
