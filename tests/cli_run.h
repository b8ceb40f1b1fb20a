/*
 * cli_run.h: what the tests that drive the rnnbench binary share. Run it
 * with arguments and capture what it says, and the promise every bad input
 * must keep: exit status 2 and exactly one line on stderr, starting
 * "rnnbench: ", that names the problem. Include after <cmocka.h>; the
 * Makefile defines RB_BIN, the binary under test.
 */
#ifndef RB_TEST_CLI_RUN_H
#define RB_TEST_CLI_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness/files.h"

#ifndef RB_BIN
#error "RB_BIN must name the rnnbench binary"
#endif

/* The whole file as a NUL-terminated malloc'ed string, or NULL. */
static char *rb_cli_slurp(const char *path)
{
    return rb_read_file(path, NULL);
}

/* Makes path (a template ending in XXXXXX) the name of a fresh empty file. */
static void rb_cli_tmpfile(char *path)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Runs `RB_BIN args` with stdout to out_path (NULL: discarded) and stderr
 * into err. Returns the exit status, or 128 + the signal that ended it. */
static int rb_cli_run(const char *args, const char *out_path, char *err, size_t errlen)
{
    char cmd[4096], errpath[] = "/tmp/rnnbench-test-errXXXXXX";
    rb_cli_tmpfile(errpath);
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", RB_BIN, args, out_path ? out_path : "/dev/null", errpath);
    int st = system(cmd);
    char *e = rb_cli_slurp(errpath);
    snprintf(err, errlen, "%s", e ? e : "");
    free(e);
    unlink(errpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A cmocka setup's fresh directory: dir[len] made from template (its
 * name ends in XXXXXX). 0, or -1 when mkdtemp fails. */
__attribute__((unused)) static int rb_cli_tmpdir_make(char *dir, size_t len, const char *template)
{
    snprintf(dir, len, "%s", template);
    return mkdtemp(dir) ? 0 : -1;
}

/* rm -rf dir: 0, or -1 when it fails. */
__attribute__((unused)) static int rb_cli_tmpdir_remove(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The group fixtures `setup` and `teardown` of a test file whose tests
 * share one fresh directory, dir (a char array), made from template. */
#define RB_CLI_TMPDIR_FIXTURES(dir, template)                        \
    static int setup(void **state)                                   \
    {                                                                \
        (void)state;                                                 \
        return rb_cli_tmpdir_make(dir, sizeof dir, template);        \
    }                                                                \
    static int teardown(void **state)                                \
    {                                                                \
        (void)state;                                                 \
        return rb_cli_tmpdir_remove(dir);                            \
    }

/* Bad input: exit 2, one line "rnnbench: ..." that contains `word`. */
__attribute__((unused)) static void rb_cli_expect_error(const char *args, const char *word)
{
    char err[4096];
    int st = rb_cli_run(args, NULL, err, sizeof err);
    print_message("rnnbench %s -> %d: %s", args, st, err);
    assert_int_equal(st, 2);
    assert_int_equal(strncmp(err, "rnnbench: ", 10), 0);
    char *nl = strchr(err, '\n');
    assert_non_null(nl);
    assert_true(nl[1] == '\0'); /* exactly one line */
    assert_non_null(strstr(err, word));
}

/* Runs a shell command built like printf; fails the test, naming the
 * command, unless it exits 0. */
static void rb_cli_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void rb_cli_sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) fail_msg("failed: %s", cmd);
}

#endif
