/*
 * sweep_dir.c: the results directory of a sweep and its lock
 * (sweep_dir.h).
 */
#include "sweep_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"

/* 1 when DIR/name exists. */
static int has(const char *dir, const char *name)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* One sweep at a time per directory: a second one (say a --resume started
 * while the first is still finishing its last point) would write the same
 * points twice. flock is released when the process exits, however it
 * exits, so a crash leaves no stale lock. */
void rb_sweep_dir_lock(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) rb_die("sweep: cannot create %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        rb_die("sweep: %s is in use by another running sweep; wait for it to finish or stop it first", dir);
    /* fd stays open: the lock lives as long as this process. */
}

/* results/<host>-<stamp>, then -2, -3, ...: the first that mkdir creates.
 * mkdir fails on a directory that exists, so two sweeps started in the
 * same second cannot both take one name. */
static void fresh_dir(char *dir, size_t n, const char *hostname)
{
    char host[128], stamp[32];
    snprintf(host, sizeof host, "%.100s", hostname[0] ? hostname : "host");
    for (char *c = host; *c; c++)
        if (*c == '/' || *c == ' ' || *c == ',') *c = '_';
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    if (rb_make_dirs("results") != 0) rb_die("sweep: cannot create results: %s", strerror(errno));
    for (int k = 1; k < 1000; k++) {
        if (k == 1) snprintf(dir, n, "results/%s-%s", host, stamp);
        else snprintf(dir, n, "results/%s-%s-%d", host, stamp, k);
        if (mkdir(dir, 0777) == 0) return;
        if (errno != EEXIST) rb_die("sweep: cannot create %s: %s", dir, strerror(errno));
    }
    rb_die("sweep: results/%s-%s and 998 more exist; pick a directory with --out", host, stamp);
}

void rb_sweep_dir_new(char *dir, size_t n, const char *out, const char *hostname)
{
    if (!out) {
        fresh_dir(dir, n, hostname);
        rb_sweep_dir_lock(dir);
        return;
    }
    if ((size_t)snprintf(dir, n, "%s", out) >= n) rb_die("sweep: --out: path too long");
    /* checked again under the lock: another sweep may have just finished */
    for (int locked = 0; locked < 2; locked++) {
        if (has(dir, "meta.json") || has(dir, "results.csv"))
            rb_die("sweep: %s already holds a sweep (resume it with --resume %s, or pick another --out)", dir, dir);
        if (locked) break;
        if (rb_make_dirs(dir) != 0) rb_die("sweep: cannot create %s: %s", dir, strerror(errno));
        rb_sweep_dir_lock(dir);
    }
}
