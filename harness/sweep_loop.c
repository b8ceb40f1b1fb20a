/*
 * sweep_loop.c: the loop of `rnnbench sweep` (sweep_loop.h): signals, the
 * order of the points, the variants of a point timed together, progress.
 *
 * Nothing lost: each finished point is appended as one row and the file
 * fflush'ed and fsync'ed before the next group starts (the variants of a
 * sweep point are timed together, so their rows land together, and a
 * signal lets the group under way finish). A point that
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
#include "interleave.h"
#include "results_csv.h"
#include "rng.h"
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
        fprintf(stderr, "[%zu/%zu] %s: %.4g ms [%.4g, %.4g] (%.0f%% CI of the median), %.4g GFLOP/s, %s%s; ETA %s\n",
                pg->done, pg->total, d, r->tm.median_s * 1e3, r->st.lo * 1e3, r->st.hi * 1e3,
                100 * r->st.level, r->tm.gflops, r->status,
                r->st.noisy ? "; WARNING: spread above 5%" : "", e);
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

/* --------------------------------------------------------------- order */

typedef struct {
    char key[256]; /* the group key: the point's key without the variant */
    size_t i;      /* the point's index in the grid                      */
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

static int cmp_first(const void *a, const void *b, void *ctx)
{
    const size_t *idx = ctx;
    const size_t x = idx[((const size_t *)a)[0]], y = idx[((const size_t *)b)[0]];
    return (x > y) - (x < y);
}

void rb_sweep_schedule(const rb_sweep_point *pts, size_t npts, const rb_strset *done, uint64_t seed,
                       int shuffle, rb_sweep_sched *out)
{
    memset(out, 0, sizeof *out);
    keyed *k = malloc((npts ? npts : 1) * sizeof *k);
    out->idx = malloc((npts ? npts : 1) * sizeof *out->idx);
    out->start = malloc((npts + 1) * sizeof *out->start);
    size_t *gorder = malloc((npts + 1) * sizeof *gorder), *tmp = malloc((npts + 1) * sizeof *tmp);
    if (!k || !out->idx || !out->start || !gorder || !tmp) rb_die("sweep: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < npts; i++) {
        char key[256];
        rb_sweep_key(&pts[i], key, sizeof key);
        if (rb_strset_has(done, key)) continue;
        snprintf(k[n].key, sizeof k[n].key, "%s", strchr(key, ',') + 1);
        k[n++].i = i;
    }
    qsort(k, n, sizeof *k, cmp_keyed); /* each group together, in grid order within */
    size_t ng = 0;
    for (size_t j = 0; j < n; j++) {
        out->idx[j] = k[j].i;
        if (j == 0 || strcmp(k[j].key, k[j - 1].key) != 0) out->start[ng++] = j;
    }
    out->start[ng] = n;
    /* The groups in grid order (of their first point), then shuffled. */
    for (size_t g = 0; g < ng; g++) gorder[g] = g;
    size_t *firsts = malloc((ng + 1) * sizeof *firsts);
    if (!firsts) rb_die("sweep: out of memory");
    for (size_t g = 0; g < ng; g++) firsts[g] = out->idx[out->start[g]];
    qsort_r(gorder, ng, sizeof *gorder, cmp_first, firsts);
    if (shuffle) { /* Fisher-Yates from a seeded stream: reproducible */
        rb_rng r = rb_rng_stream(seed, 0x0bde7);
        for (size_t g = ng; g > 1; g--) {
            size_t j = (size_t)(rb_rng_next(&r) % g), t = gorder[g - 1];
            gorder[g - 1] = gorder[j];
            gorder[j] = t;
        }
    }
    /* Lay the groups out in that order. */
    size_t m = 0;
    size_t *start2 = malloc((ng + 1) * sizeof *start2);
    if (!start2) rb_die("sweep: out of memory");
    for (size_t g = 0; g < ng; g++) {
        start2[g] = m;
        for (size_t j = out->start[gorder[g]]; j < out->start[gorder[g] + 1]; j++) tmp[m++] = out->idx[j];
    }
    start2[ng] = m;
    memcpy(out->idx, tmp, n * sizeof *tmp);
    free(out->start);
    out->start = start2;
    out->n = n;
    out->ngroups = ng;
    free(firsts);
    free(k);
    free(gorder);
    free(tmp);
}

void rb_sweep_sched_free(rb_sweep_sched *s)
{
    free(s->idx);
    free(s->start);
    memset(s, 0, sizeof *s);
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

/* Why a point cannot run, as its row's status; "" when it can. */
static void skip_reason(const rb_sweep_point *pt, char *status, size_t n)
{
    status[0] = '\0';
    const char *why = rb_variant_why_not(pt->v, &pt->p);
    if (why) {
        snprintf(status, n, "skipped: %s", why);
        return;
    }
    size_t bytes = rb_tset_bytes(&pt->p.s, pt->v->ops->workspace_bytes(&pt->p));
    char err[512];
    if (rb_check_fits(bytes, err, sizeof err) != 0) {
        const double gib = 1024.0 * 1024 * 1024;
        if (bytes == SIZE_MAX) snprintf(status, n, "skipped: needs more than 2^64 bytes");
        else snprintf(status, n, "skipped: needs %.1f GiB (this machine has %.1f GiB)", bytes / gib,
                      rb_phys_mem_bytes() / gib);
    }
}

typedef struct {
    progress pg;
    FILE *csv;
    const char *path;
    const rb_sysinfo *si;
    rb_strset *done;
    rb_sweep_tally *tally;
    size_t noisy;
} loop_ctx;

/* One finished point: its row, its key, the progress and the tally. */
static void record(loop_ctx *c, const rb_sweep_point *pt, const rb_point_result *r, double est, double took)
{
    char key[256];
    rb_sweep_key(pt, key, sizeof key);
    rb_results_append(c->csv, c->path, c->si, pt, r, r->timed ? binding_for(pt->p.threads) : NULL);
    rb_strset_add(c->done, key);
    c->pg.done++;
    c->pg.est_left -= est;
    if (r->timed) { /* skipped points say nothing of the machine's speed */
        c->pg.est_done += est;
        c->pg.real_done += took;
    }
    if (r->status[0] == 'o') c->tally->ok++;
    else if (r->status[0] == 's') {
        c->tally->skipped++;
        count_reason(c->tally, r->status);
    } else
        c->tally->errors++;
    if (r->timed && r->st.noisy) c->noisy++;
    progress_done(&c->pg, pt, r);
}

/* Times the runnable points pi[0..n-1] of one group together (one set of
 * tensors, interleave.h) and records them. */
static void run_together(loop_ctx *c, const rb_sweep_point *pts, const size_t *pi, int n,
                         const rb_sweep_timing *tm, const double *est)
{
    const rb_sweep_point *p0 = &pts[pi[0]];
    rb_slot slots[RB_SWEEP_MAXV];
    double *t = malloc(sizeof(double) * (size_t)tm->reps * (size_t)n);
    if (!t) rb_die("sweep: out of memory");
    for (int j = 0; j < n; j++)
        slots[j] = (rb_slot){.v = pts[pi[j]].v, .p = &pts[pi[j]].p, .t = t + (size_t)j * tm->reps};
    const double t0 = rb_now_sec();
    rb_tset ts;
    char err[512];
    const int alloc_failed = rb_tset_alloc(&ts, &p0->p.s, err, sizeof err) != 0;
    if (!alloc_failed) {
        rb_tset_init(&ts, tm->seed);
        rb_time_interleaved(slots, n, &ts, p0->pass, tm->reps, tm->warmup, rb_llc_bytes(c->si));
        rb_tset_free(&ts);
    }
    const double took = (rb_now_sec() - t0) / n;
    for (int j = 0; j < n; j++) {
        rb_point_result r;
        memset(&r, 0, sizeof r);
        r.interleaved = n;
        if (alloc_failed) snprintf(r.status, sizeof r.status, "skipped: %.400s", err);
        else snprintf(r.status, sizeof r.status, "%s", slots[j].status);
        if (!alloc_failed && slots[j].timed) {
            r.timed = 1;
            rb_stats_of(slots[j].t, tm->reps, &r.st);
            r.tm.reps = tm->reps;
            r.tm.median_s = r.st.median;
            r.tm.min_s = r.st.min;
            r.tm.max_s = r.st.max;
            r.tm.stddev_s = r.st.stddev;
            r.tm.gflops = rb_pass_flops(&pts[pi[j]].p.s, pts[pi[j]].pass) / r.st.median * 1e-9;
        }
        record(c, &pts[pi[j]], &r, est[j], took);
    }
    free(t);
}

void rb_sweep_loop(const rb_sweep_point *pts, size_t npts, rb_strset *done, FILE *csv, const char *path,
                   const rb_sysinfo *si, const rb_sweep_timing *tm, double est_left, rb_sweep_tally *tally)
{
    in_startup = 0;
    loop_ctx c = {{isatty(STDERR_FILENO), npts, tally->done, rb_now_sec(), est_left, 0, 0}, csv, path, si, done,
                  tally, 0};
    rb_sweep_sched sc;
    rb_sweep_schedule(pts, npts, done, tm->order_seed, tm->shuffle, &sc);
    size_t timed = 0;
    for (size_t g = 0; g < sc.ngroups && !stop_signal; g++) {
        size_t run[RB_SWEEP_MAXV]; /* the size of a batch of slots */
        double est[RB_SWEEP_MAXV];
        int nrun = 0;
        progress_start(&c.pg, &pts[sc.idx[sc.start[g]]]);
        for (size_t j = sc.start[g]; j < sc.start[g + 1]; j++) {
            const rb_sweep_point *pt = &pts[sc.idx[j]];
            rb_point_result r;
            memset(&r, 0, sizeof r);
            skip_reason(pt, r.status, sizeof r.status);
            if (r.status[0] || nrun == (int)(sizeof run / sizeof run[0])) {
                if (!r.status[0]) snprintf(r.status, sizeof r.status, "skipped: too many variants at one point");
                record(&c, pt, &r, 0, 0);
                continue;
            }
            run[nrun] = sc.idx[j];
            est[nrun++] = rb_sweep_estimate_s(pt, tm->reps, tm->warmup);
        }
        /* Together as far as memory allows: a batch holds one set of
         * tensors and every member's workspace. */
        for (int b = 0; b < nrun;) {
            const rb_shape *s = &pts[run[b]].p.s;
            size_t bytes = rb_tset_bytes(s, 0);
            int e = b;
            char err[512];
            while (e < nrun) {
                const size_t ws = pts[run[e]].v->ops->workspace_bytes(&pts[run[e]].p);
                if (e > b && rb_check_fits(bytes + ws, err, sizeof err) != 0) break;
                bytes += ws;
                e++;
            }
            run_together(&c, pts, run + b, e - b, tm, est + b);
            timed += (size_t)(e - b);
            b = e;
        }
    }
    if (c.pg.tty) fputs("\r\033[K", stderr);
    if (c.noisy)
        fprintf(stderr, "sweep: WARNING: %zu of %zu timed point(s) spread more than %.0f%% (the interval "
                        "of the median, column noisy = 1): the machine was not quiet\n",
                c.noisy, timed, RB_STATS_NOISY_PCT);
    rb_sweep_sched_free(&sc);
    tally->done = c.pg.done;
    tally->seconds = rb_now_sec() - c.pg.t0;
}
