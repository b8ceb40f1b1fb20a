/*
 * cmd_sweep.c: `rnnbench sweep`: time a grid of points (sweep.h) and write
 * DIR/results.csv (one row per point, results_csv.h) and DIR/meta.json
 * (the machine, the build, the command, the environment, the definitions
 * of every column, sweep_meta.h).
 *
 * Every number comes from rb_time_pass (harness/cmd_run.c), the loop
 * `run` uses: parameters packed untimed, --warmup untimed passes, --reps
 * timed ones, median/min/max/stddev of the wall time (sweep_loop.c).
 *
 * Every stop leaves a directory `--resume DIR` accepts: SIGINT/SIGTERM are
 * caught from before the directory is made, and meta.json and the
 * results.csv header are written before anything is measured; a signal
 * stops the sweep after the step under way (a second one at once), says
 * how to resume and exits 128 + the signal number. `--resume DIR` re-reads the command from
 * DIR/meta.json, rebuilds the same grid and skips the points whose key
 * (variant,cell,pass,T,N,I,H,threads,layers,dir,lengths) results.csv
 * already holds, after
 * dropping what a crash or a hand damaged there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../variants/variant.h"
#include "cli.h"
#include "provenance.h"
#include "results_csv.h"
#include "shard.h"
#include "strset.h"
#include "sweep.h"
#include "sweep_dir.h"
#include "sweep_loop.h"
#include "sweep_meta.h"
#include "sysinfo.h"
#include "tensors.h"

#define NOPTS 22

/* The command as parsed: from the command line, or for --resume from the
 * saved one. Option values point into argv or into saved. */
typedef struct {
    rb_opt opts[NOPTS];
    const char *resume; /* DIR of --resume, or NULL */
    int dry;
    rb_saved_argv saved;
    rb_sweep_spec spec;
    rb_sweep_timing tm;
    rb_shard shard;     /* --shard K/N; n == 0: the whole grid */
    int grid_b, grid_s; /* --grid BxS, or 0 0: the cost model per point */
    int argc;           /* the real command line, for meta.json */
    char **argv;
} sweep_cmd;

static const char *const synopsis =
    "[--preset P | --cells --variants --passes --T --N --I --H --layers --dirs --lengths --threads] [--reps R] "
    "[--grid BxS] [--out DIR] [--shard K/N] [--order random|grid] [--order-seed S] [--dry-run] | --resume DIR";

/* A fresh order seed for a run that names none: the clock and the
 * process, mixed (splitmix64's finaliser). */
static uint64_t clock_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) >> 11; /* 53 bits: exact as a JSON number too */
}

static rb_opt *opt(sweep_cmd *c, const char *name) { return rb_opt_get(c->opts, NOPTS, name); }

static void parse_command(sweep_cmd *c, int argc, char **argv)
{
    const rb_opt opts[NOPTS] = {
        {"preset", "P", "quick | deepbench | full (options below narrow it)", NULL, 0},
        {"cells", "LIST", "cells, or all (default all)", NULL, 0},
        {"variants", "LIST", "variant names, all, or best: the fastest-by-design runnable ones "
                             "(avx512*, else avx2*, else neon*) + naive + library peers (default best)", NULL, 0},
        {"passes", "LIST", "infer,train,bwd,fwdbwd or all (default infer)", NULL, 0},
        {"T", "LIST", "sequence lengths (default 25)", NULL, 0},
        {"N", "LIST", "batch sizes (default 16)", NULL, 0},
        {"I", "LIST", "input sizes, or H: I = H (default H)", NULL, 0},
        {"H", "LIST", "hidden sizes (default 256)", NULL, 0},
        {"layers", "LIST", "stacked layers L (default 1)", NULL, 0},
        {"dirs", "LIST", "direction modes l2r,r2l,bi_concat,bi_sum, or all (default l2r)", NULL, 0},
        {"lengths", "LIST", "sequence lengths of the batch: full, random (uniform in [1, T] from the "
                            "seed), random:MIN (in [MIN, T]) (default full)", NULL, 0},
        {"threads", "LIST", "team sizes, or all: 1,2,4,.., the core count, one NUMA node's and one "
                            "package's cores (default 1)", NULL, 0},
        {"reps", "R", "timed repetitions per point (default 5; quick: 3)", NULL, 0},
        {"warmup", "W", "untimed passes of a variant before each of its timed ones; after the first, "
                        "not when it runs alone at its point or its data exceed the last-level cache", "1", 0},
        {"seed", "S", "seed of the initial values", "1", 0},
        {"out", "DIR", "results directory (default results/<host>-<YYYYmmdd-HHMMSS>)", NULL, 0},
        {"resume", "DIR", "finish an interrupted sweep: same command (from DIR/meta.json), "
                          "points already in DIR/results.csv skipped", NULL, 0},
        {"dry-run", NULL, "list the points and an estimated time; run nothing", NULL, 0},
        {"grid", "BxS", "force this thread grid on the *_omp_grid variants (their points need "
                        "threads = B*S; default: the cost model per point)", NULL, 0},
        {"shard", "K/N", "only part K of N of the grid, balanced by estimated time (rnnbench slurm)", NULL, 0},
        {"order", "O", "random: the sweep points in a seeded random order; grid: in the grid's order "
                       "(the variants of a point always take turns)", "random", 0},
        {"order-seed", "S", "seed of the random order (default: from the clock; meta.json records it)", NULL, 0},
    };
    memcpy(c->opts, opts, sizeof opts);
    rb_opts_parse("sweep", synopsis, argc, argv, c->opts, NOPTS);
    c->resume = opt(c, "resume")->value;
    c->dry = opt(c, "dry-run")->seen;
    if (c->resume) {
        for (int i = 0; i < NOPTS; i++)
            if (c->opts[i].seen && strcmp(c->opts[i].name, "resume") != 0 && strcmp(c->opts[i].name, "dry-run") != 0)
                rb_die("sweep: --resume takes the command from DIR/meta.json; drop --%s", c->opts[i].name);
        c->saved = rb_sweep_meta_read_argv(c->resume);
        memcpy(c->opts, opts, sizeof opts);
        rb_opts_parse("sweep", synopsis, c->saved.argc - 2, c->saved.argv + 2, c->opts, NOPTS);
        if (opt(c, "resume")->seen || opt(c, "dry-run")->seen)
            rb_die("sweep --resume: the saved command in %s/meta.json is not a sweep to resume", c->resume);
    }
    rb_sweep_spec spec = {opt(c, "preset")->value, opt(c, "cells")->value, opt(c, "variants")->value,
                          opt(c, "passes")->value, opt(c, "T")->value, opt(c, "N")->value, opt(c, "I")->value,
                          opt(c, "H")->value, opt(c, "threads")->value, opt(c, "layers")->value,
                          opt(c, "dirs")->value, opt(c, "lengths")->value};
    c->spec = spec;
    const int quick = spec.preset && strcmp(spec.preset, "quick") == 0;
    const char *reps = opt(c, "reps")->value ? opt(c, "reps")->value : quick ? "3" : "5";
    c->tm.reps = (int)rb_parse_long(reps, "--reps", 1, 1000000);
    c->tm.warmup = (int)rb_parse_long(opt(c, "warmup")->value, "--warmup", 0, 1000000);
    c->tm.seed = rb_parse_u64(opt(c, "seed")->value, "--seed");
    c->shard = rb_shard_parse(opt(c, "shard")->value);
    const char *order = opt(c, "order")->value;
    if (strcmp(order, "random") != 0 && strcmp(order, "grid") != 0)
        rb_die("sweep: --order must be random or grid, not '%s'", order);
    c->tm.shuffle = strcmp(order, "random") == 0;
    if (opt(c, "order-seed")->value) c->tm.order_seed = rb_parse_u64(opt(c, "order-seed")->value, "--order-seed");
    else if (c->resume) c->tm.order_seed = rb_sweep_meta_read_order_seed(c->resume);
    else c->tm.order_seed = clock_seed();
    if (opt(c, "grid")->value) rb_parse_grid_opt(opt(c, "grid")->value, "sweep", &c->grid_b, &c->grid_s);
    c->argc = rb_provenance_argv(&c->argv);
    if (c->argc == 0) { /* main() did not record it: the command alone */
        c->argc = argc;
        c->argv = argv;
    }
}

/* --grid BxS: every omp_grid point runs on that grid, so each must have
 * threads = B*S (checked before anything runs); other variants ignore it. */
static void force_grid(int B, int S, rb_sweep_point *pts, size_t npts)
{
    for (size_t i = 0; i < npts; i++) {
        if (pts[i].v->par_kind != RB_PAR_OMP_GRID) continue;
        if ((long long)B * S != pts[i].p.threads)
            rb_die("sweep: --grid %dx%d is %lld threads but the sweep has a point of %s at threads = %d", B, S,
                   (long long)B * S, pts[i].v->name, pts[i].p.threads);
        pts[i].p.grid_b = B;
        pts[i].p.grid_s = S;
    }
}

/* Cores for "all" and the presets: physical cores this process may use
 * (a taskset or cpuset can leave fewer). */
static int usable_cores(const rb_sysinfo *si)
{
    int cores = si->cores > 0 ? si->cores : (si->usable_cpus > 0 ? si->usable_cpus : 1);
    if (si->usable_cpus > 0 && si->usable_cpus < cores) cores = si->usable_cpus;
    return cores;
}

/* The keys results.csv already holds (resume); a real resume locks the
 * directory and repairs the file, a dry run only reads it. */
static void load_done(const sweep_cmd *c, rb_strset *done)
{
    char path[4200], err[512], what[512];
    rb_csv_report rep;
    if (!c->resume) return;
    if (!c->dry) rb_sweep_dir_lock(c->resume);
    snprintf(path, sizeof path, "%s/results.csv", c->resume);
    if (rb_sweep_csv_load(path, done, !c->dry, &rep, err, sizeof err) != 0) rb_die("sweep --resume: %s", err);
    rb_csv_report_text(&rep, what, sizeof what);
    if (what[0]) fprintf(stderr, "sweep: %s %s: %s\n", c->dry ? "--resume would repair" : "repaired", path, what);
}

typedef struct {
    double total_s, left_s; /* rough estimates: all points, those to run */
    size_t todo;
} estimate;

static estimate estimate_points(const rb_sweep_point *pts, size_t npts, const rb_strset *done,
                                const rb_sweep_timing *tm)
{
    estimate e = {0, 0, 0};
    char key[256];
    for (size_t i = 0; i < npts; i++) {
        double s = rb_sweep_will_skip(&pts[i]) ? 0 : rb_sweep_estimate_s(&pts[i], tm->reps, tm->warmup);
        e.total_s += s;
        rb_sweep_key(&pts[i], key, sizeof key);
        if (!rb_strset_has(done, key)) {
            e.left_s += s;
            e.todo++;
        }
    }
    return e;
}

static void print_dry_run(const rb_sweep_point *pts, size_t npts, const rb_strset *done,
                          const rb_sweep_timing *tm, const estimate *est)
{
    char key[256], err[512], left[32];
    printf("%5s  %-22s %-8s %-6s %6s %5s %6s %6s %7s %6s %-9s %-8s %10s  %s\n", "#", "variant", "cell",
           "pass", "T", "N", "I", "H", "threads", "layers", "dir", "lengths", "est_s", "note");
    for (size_t i = 0; i < npts; i++) {
        const rb_sweep_point *pt = &pts[i];
        const rb_shape *s = &pt->p.s;
        rb_sweep_key(pt, key, sizeof key);
        const char *why = rb_variant_why_not(pt->v, &pt->p);
        char note[300] = "";
        if (rb_strset_has(done, key)) snprintf(note, sizeof note, "done");
        else if (why) snprintf(note, sizeof note, "skipped: %s", why);
        else if (rb_check_fits(rb_tset_bytes(s, pt->v->ops->workspace_bytes(&pt->p)), err, sizeof err))
            snprintf(note, sizeof note, "skipped: %.280s", err);
        printf("%5zu  %-22s %-8s %-6s %6d %5d %6d %6d %7d %6d %-9s %-8s %10.3f  %s\n", i + 1, pt->v->name,
               rb_cell_name(s->cell), rb_pass_name(pt->pass), s->T, s->N, s->I, s->H, pt->p.threads,
               rb_shape_layers(s), rb_dir_name(s->dir), pt->lengths, rb_sweep_estimate_s(pt, tm->reps, tm->warmup),
               note);
    }
    rb_fmt_duration(est->left_s, left, sizeof left);
    printf("%zu points, %zu to run, estimated %s (rough: FLOPs / a guessed GFLOP/s per variant "
           "kind, reps %d, warmup %d)\n", npts, est->todo, left, tm->reps, tm->warmup);
}

static int interrupted(const char *dir, size_t done, size_t npts)
{
    fprintf(stderr, "rnnbench: interrupted after %zu of %zu points; resume with: rnnbench sweep --resume %s\n",
            done, npts, dir);
    return 128 + rb_sweep_stop_signal();
}

static void measure(rb_sysinfo *si)
{
    fprintf(stderr, "sweep: measuring this machine's peak, bandwidths and barrier (about 2 s)\n");
    rb_sysinfo_collect(si, RB_SYSINFO_MEASURE_FULL);
}

/* A new sweep: its directory, meta.json (rewritten once the machine is
 * measured) and the results.csv header, made before anything is measured
 * so that any stop leaves a directory --resume accepts. Returns
 * non-zero (the exit status) when a signal stopped it during the
 * measurement. */
static int start_new(sweep_cmd *c, rb_sysinfo *si, const rb_sweep_grid *grid, size_t npts,
                     const estimate *est, rb_strset *done, char *dir, size_t n)
{
    char path[4200], err[512];
    rb_csv_report rep;
    rb_sweep_meta m = {si, grid, npts, c->argc, c->argv, NULL, c->shard.k, c->shard.n, c->tm.reps, c->tm.warmup,
                       (unsigned long long)c->tm.seed, est->total_s, c->tm.shuffle, c->tm.order_seed};
    rb_sweep_dir_new(dir, n, opt(c, "out")->value, si->hostname);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    rb_sweep_meta_write(path, &m); /* the machine not measured yet */
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (rb_sweep_csv_load(path, done, 1, &rep, err, sizeof err) != 0) rb_die("sweep: %s", err);
    rb_sweep_signals_resumable(dir);
    if (!rb_sweep_stop_signal()) measure(si);
    if (rb_sweep_stop_signal()) return interrupted(dir, 0, npts);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    rb_sweep_meta_write(path, &m);
    return 0;
}

/* A resume: the original meta.json stays; this run's machine and command
 * go beside it, in meta-resume-K.json. */
static int start_resume(sweep_cmd *c, rb_sysinfo *si, const rb_sweep_grid *grid, size_t npts,
                        const estimate *est, char *dir, size_t n)
{
    char path[4200];
    snprintf(dir, n, "%s", c->resume);
    rb_sweep_signals_resumable(dir);
    if (!rb_sweep_stop_signal()) measure(si);
    if (rb_sweep_stop_signal()) return interrupted(dir, npts - est->todo, npts);
    for (int k = 1; k < 1000; k++) {
        snprintf(path, sizeof path, "%s/meta-resume-%d.json", dir, k);
        if (access(path, F_OK) != 0) break;
    }
    rb_sweep_meta m = {si, grid, npts, c->argc, c->argv, dir, c->shard.k, c->shard.n, c->tm.reps, c->tm.warmup,
                       (unsigned long long)c->tm.seed, est->left_s, c->tm.shuffle, c->tm.order_seed};
    rb_sweep_meta_write(path, &m);
    return 0;
}

static const char *preset_note(const rb_sweep_grid *g)
{
    if (!g->preset) return "";
    return strcmp(g->preset, "quick") == 0 ? " (preset quick)"
           : strcmp(g->preset, "full") == 0 ? " (preset full)" : " (preset deepbench)";
}

/* The points, timed into dir/results.csv; the exit status. */
static int run_points(const sweep_cmd *c, const rb_sysinfo *si, const rb_sweep_grid *grid,
                      const rb_sweep_point *pts, size_t npts, rb_strset *done, const estimate *est,
                      const char *dir)
{
    char path[4200], left[32], took[32];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *csv = fopen(path, "a");
    if (!csv) rb_die("sweep: cannot append to %s: %s", path, strerror(errno));
    rb_fmt_duration(est->left_s, left, sizeof left);
    fprintf(stderr, "sweep: %zu points%s, %zu to run, estimated %s; writing %s\n", npts, preset_note(grid),
            est->todo, left, path);
    rb_sweep_tally t = {.done = npts - est->todo};
    rb_sweep_loop(pts, npts, done, csv, path, si, &c->tm, est->left_s, &t);
    fclose(csv);
    if (rb_sweep_stop_signal()) return interrupted(dir, t.done, npts);
    if (t.errors)
        fprintf(stderr, "sweep: WARNING: %zu point(s) ended in error: see the status column\n", t.errors);
    for (int i = 0; i < t.nreasons; i++) /* a refusal is a finding: say it */
        fprintf(stderr, "sweep: skipped %zu point(s): %s\n", t.reasons[i].n, t.reasons[i].why);
    rb_fmt_duration(t.seconds, took, sizeof took);
    printf("sweep: %zu points done in %s (this run: %zu ok, %zu skipped, %zu errors)\n"
           "results: %s/results.csv\nmeta:    %s/meta.json\n",
           npts, took, t.ok, t.skipped, t.errors, dir, dir);
    return 0;
}

int rb_cmd_sweep(int argc, char **argv)
{
    static sweep_cmd c; /* option values point into it: lives to the end */
    parse_command(&c, argc, argv);
    if (!c.dry) rb_sweep_signals_catch(); /* before a file is touched */

    static rb_sysinfo si;
    rb_sysinfo_collect(&si, RB_SYSINFO_MEASURE_NONE);
    static rb_sweep_grid grid;
    rb_sweep_grid_build(&grid, &c.spec, usable_cores(&si));
    grid.seed = c.tm.seed; /* the random lengths */
    rb_sweep_point *pts;
    size_t npts = rb_sweep_points(&grid, &pts);
    /* --shard takes its part here, before the resume keys, the estimate
     * and the loop see the points. */
    npts = rb_shard_filter(pts, npts, c.shard, c.tm.reps, c.tm.warmup);
    if (npts == 0 && c.shard.n) {
        printf("sweep: shard %d/%d has no points (more parts than points)\n", c.shard.k, c.shard.n);
        free(pts);
        rb_saved_argv_free(&c.saved);
        return 0;
    }
    for (int i = 0; i < grid.nnotes; i++) fprintf(stderr, "sweep: left out %s\n", grid.notes[i]);
    if (npts == 0) rb_die("sweep: the grid has no points");
    if (c.grid_b) force_grid(c.grid_b, c.grid_s, pts, npts);

    rb_strset *done = rb_strset_new();
    if (!done) rb_die("sweep: out of memory");
    load_done(&c, done);
    const estimate est = estimate_points(pts, npts, done, &c.tm);
    if (grid.preset && strcmp(grid.preset, "deepbench") == 0)
        fprintf(stderr, "deepbench preset: %zu points, estimated %.1f hours\n", npts, est.total_s / 3600);

    int rc = 0;
    char dir[4096];
    if (c.dry) {
        print_dry_run(pts, npts, done, &c.tm, &est);
    } else if (c.resume && est.todo == 0) {
        printf("sweep: nothing to do: all %zu points are in %s/results.csv\n", npts, c.resume);
    } else {
        rc = c.resume ? start_resume(&c, &si, &grid, npts, &est, dir, sizeof dir)
                      : start_new(&c, &si, &grid, npts, &est, done, dir, sizeof dir);
        if (rc == 0) rc = run_points(&c, &si, &grid, pts, npts, done, &est, dir);
    }
    free(pts);
    rb_strset_free(done);
    rb_saved_argv_free(&c.saved);
    return rc;
}
