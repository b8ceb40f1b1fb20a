/*
 * sweep_loop.c: the loop of `rnnbench sweep` (sweep_loop.h): signals, one
 * point, progress.
 *
 * Nothing lost: each finished point is appended as one row and the file
 * fflush'ed and fsync'ed before the next point starts. A point that
 * cannot run (variant not built, ISA missing, cell not implemented,
 * buffers too large) is a row with status "skipped: why"; a point that
 * fails is "error: why". Neither stops the sweep.
 */
#include "sweep_loop.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "affinity.h"
#include "cli.h"
#include "results_csv.h"
#include "tensors.h"

/* ------------------------------------------------------------- signals */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t in_startup;
static volatile sig_atomic_t may_exit; /* the directory is resumable */
static char abandon_msg[4600];
static size_t abandon_len;

static void on_signal(int sig)
{
    if (stop_signal && may_exit) { /* the second one: abandon the point under way */
        if (abandon_len) (void)!write(STDERR_FILENO, abandon_msg, abandon_len);
        _exit(128 + sig);
    }
    if (stop_signal) return;
    stop_signal = sig;
    static const char m[] =
        "\nrnnbench: signal received: finishing the current point (signal again to abandon it)\n";
    static const char s[] =
        "\nrnnbench: signal received: stopping before the first point (signal again to stop now)\n";
    if (in_startup) (void)!write(STDERR_FILENO, s, sizeof s - 1);
    else (void)!write(STDERR_FILENO, m, sizeof m - 1);
}

void rb_sweep_signals_catch(void)
{
    in_startup = 1;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* A shell starts background jobs with SIGINT ignored: keep it so. */
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* `sweep ... 2>&1 | head`: once the reader is gone, a write to stderr
     * fails with EPIPE (progress lines are lost) instead of killing the
     * sweep; the results go to results.csv all the same. */
    signal(SIGPIPE, SIG_IGN);
}

void rb_sweep_signals_resumable(const char *dir)
{
    if (!may_exit) {
        abandon_len = (size_t)snprintf(abandon_msg, sizeof abandon_msg,
                                       "\nrnnbench: interrupted; the point under way is abandoned, every "
                                       "finished point is saved; resume with: rnnbench sweep --resume %s\n",
                                       dir);
        if (abandon_len >= sizeof abandon_msg) abandon_len = sizeof abandon_msg - 1;
    }
    may_exit = 1;
}

int rb_sweep_stop_signal(void) { return stop_signal; }

/* ------------------------------------------------------------ one point */

int rb_sweep_will_skip(const rb_sweep_point *pt)
{
    char err[512];
    return rb_variant_why_not(pt->v, &pt->p) ||
           rb_check_fits(rb_tset_bytes(&pt->p.s, pt->v->ops->workspace_bytes(&pt->p)), err, sizeof err);
}

/* The binding string of each team size, asked once. */
static const char *binding_for(int threads)
{
    static struct { int threads; char text[1024]; } cache[64];
    static int n;
    for (int i = 0; i < n; i++)
        if (cache[i].threads == threads) return cache[i].text;
    int i = n < 64 ? n++ : 63;
    cache[i].threads = threads;
    rb_affinity_describe(cache[i].text, sizeof cache[i].text, threads);
    return cache[i].text;
}

static void run_point(const rb_sweep_point *pt, int reps, int warmup, uint64_t seed, rb_point_result *r)
{
    memset(r, 0, sizeof *r);
    const rb_variant *v = pt->v;
    const rb_shape *s = &pt->p.s;
    const char *why = rb_variant_why_not(v, &pt->p);
    if (why) {
        snprintf(r->status, sizeof r->status, "skipped: %s", why);
        return;
    }
    size_t bytes = rb_tset_bytes(s, v->ops->workspace_bytes(&pt->p));
    char err[512];
    if (rb_check_fits(bytes, err, sizeof err) != 0) {
        const double gib = 1024.0 * 1024 * 1024;
        if (bytes == SIZE_MAX) snprintf(r->status, sizeof r->status, "skipped: needs more than 2^64 bytes");
        else snprintf(r->status, sizeof r->status, "skipped: needs %.1f GiB (this machine has %.1f GiB)",
                      bytes / gib, rb_phys_mem_bytes() / gib);
        return;
    }
    rb_tset ts;
    if (rb_tset_alloc(&ts, s, err, sizeof err) != 0) {
        snprintf(r->status, sizeof r->status, "skipped: %.400s", err);
        return;
    }
    rb_tset_init(&ts, seed);
    if (rb_time_pass(v, &pt->p, &ts, pt->pass, reps, warmup, &r->tm, err, sizeof err) != 0) {
        snprintf(r->status, sizeof r->status, "error: %.400s", err);
        rb_tset_free(&ts);
        return;
    }
    r->timed = 1;
    /* A fast wrong answer is no result: the outputs must at least be finite
     * (`rnnbench check` proves them right). */
    static const rb_tensor_id outs[] = {RB_Y, RB_HT, RB_DX, RB_DW_HH};
    int nouts = pt->pass == RB_PASS_INFER ? 2 : 4;
    snprintf(r->status, sizeof r->status, "ok");
    for (int i = 0; i < nouts; i++) {
        long bad = rb_first_nonfinite(ts.t.t[outs[i]], rb_tensor_numel(s, outs[i]));
        if (bad >= 0) {
            snprintf(r->status, sizeof r->status, "error: %s[%ld] is not finite",
                     rb_tensor_name(outs[i]), bad);
            break;
        }
    }
    rb_tset_free(&ts);
}

/* ------------------------------------------------------------ progress */

typedef struct {
    int tty;
    size_t total, done;   /* done: in results.csv, any run */
    double t0, est_left;  /* est_left: rough seconds of the points to go */
    double est_done, real_done; /* of the points run by this process */
} progress;

static double eta(const progress *pg)
{
    double k = pg->est_done > 0 ? pg->real_done / pg->est_done : 1.0;
    if (k < 0.05) k = 0.05;
    if (k > 20) k = 20;
    return pg->est_left * k;
}

static void describe(const rb_sweep_point *pt, char *buf, size_t n)
{
    const rb_shape *s = &pt->p.s;
    int k = snprintf(buf, n, "%s %s %s T=%d N=%d I=%d H=%d threads=%d", pt->v->name, rb_cell_name(s->cell),
                     rb_pass_name(pt->pass), s->T, s->N, s->I, s->H, pt->p.threads);
    /* networks say which; one layer, l2r, full length reads as before */
    const int full = !pt->lengths[0] || strcmp(pt->lengths, "full") == 0;
    if ((rb_shape_is_net(s) || !full) && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " L=%d %s %s", rb_shape_layers(s), rb_dir_name(s->dir),
                 full ? "full" : pt->lengths);
}

static void progress_start(const progress *pg, const rb_sweep_point *pt)
{
    if (!pg->tty) return;
    char d[256], e[32];
    describe(pt, d, sizeof d);
    rb_fmt_duration(eta(pg), e, sizeof e);
    const int width = 24;
    int fill = pg->total ? (int)(width * pg->done / pg->total) : width;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %zu/%zu ETA %s  %s", bar, pg->done, pg->total, e, d);
    fflush(stderr);
}

static void progress_done(const progress *pg, const rb_sweep_point *pt, const rb_point_result *r)
{
    if (pg->tty) return;
    char d[256], e[32];
    describe(pt, d, sizeof d);
    rb_fmt_duration(eta(pg), e, sizeof e);
    if (r->timed)
        fprintf(stderr, "[%zu/%zu] %s: %.4g ms, %.4g GFLOP/s, %s; ETA %s\n", pg->done, pg->total, d,
                r->tm.median_s * 1e3, r->tm.gflops, r->status, e);
    else
        fprintf(stderr, "[%zu/%zu] %s: %s; ETA %s\n", pg->done, pg->total, d, r->status, e);
}


void rb_fmt_duration(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e9) snprintf(buf, n, "?");
    else if (s < 90) snprintf(buf, n, "%.0f s", s);
    else if (s < 5400) snprintf(buf, n, "%.1f min", s / 60);
    else snprintf(buf, n, "%.1f hours", s / 3600);
}

/* ---------------------------------------------------------------- loop */

static void count_reason(rb_sweep_tally *t, const char *status)
{
    const char *why = status + strlen("skipped: ");
    for (int i = 0; i < t->nreasons; i++)
        if (strncmp(t->reasons[i].why, why, sizeof t->reasons[i].why - 1) == 0) {
            t->reasons[i].n++;
            return;
        }
    if (t->nreasons == RB_SWEEP_MAXREASONS) return;
    snprintf(t->reasons[t->nreasons].why, sizeof t->reasons[0].why, "%.199s", why);
    t->reasons[t->nreasons++].n = 1;
}

void rb_sweep_loop(const rb_sweep_point *pts, size_t npts, rb_strset *done, FILE *csv, const char *path,
                   const rb_sysinfo *si, const rb_sweep_timing *tm, double est_left, rb_sweep_tally *tally)
{
    in_startup = 0;
    progress pg = {isatty(STDERR_FILENO), npts, tally->done, rb_now_sec(), est_left, 0, 0};
    char key[256];
    for (size_t i = 0; i < npts && !stop_signal; i++) {
        const rb_sweep_point *pt = &pts[i];
        rb_sweep_key(pt, key, sizeof key);
        if (rb_strset_has(done, key)) continue;
        const double e = rb_sweep_will_skip(pt) ? 0 : rb_sweep_estimate_s(pt, tm->reps, tm->warmup);
        progress_start(&pg, pt);
        const double t0 = rb_now_sec();
        rb_point_result r;
        run_point(pt, tm->reps, tm->warmup, tm->seed, &r);
        rb_results_append(csv, path, si, pt, &r, r.timed ? binding_for(pt->p.threads) : NULL);
        rb_strset_add(done, key);
        pg.done++;
        pg.est_left -= e;
        if (r.timed) { /* skipped points say nothing of the machine's speed */
            pg.est_done += e;
            pg.real_done += rb_now_sec() - t0;
        }
        if (r.status[0] == 'o') tally->ok++;
        else if (r.status[0] == 's') {
            tally->skipped++;
            count_reason(tally, r.status);
        }
        else tally->errors++;
        progress_done(&pg, pt, &r);
    }
    if (pg.tty) fputs("\r\033[K", stderr);
    tally->done = pg.done;
    tally->seconds = rb_now_sec() - pg.t0;
}
