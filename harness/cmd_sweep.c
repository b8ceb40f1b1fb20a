/*
 * cmd_sweep.c: `rnnbench sweep`: time a grid of points (sweep.h) and write
 * DIR/results.csv (one row per point) and DIR/meta.json (the machine, the
 * build, the command, the environment, the definitions of every column).
 *
 * Every number comes from rb_time_pass (harness/cmd_run.c), the loop
 * `run` uses: parameters packed untimed, --warmup untimed passes, --reps
 * timed ones, median/min/max/stddev of the wall time.
 *
 * Nothing lost: each finished point is appended as one row and the file
 * fflush'ed and fsync'ed before the next point starts. SIGINT/SIGTERM set
 * a flag; the sweep finishes the point under way (a second signal abandons
 * it), says how to resume and exits 128 + the signal number. `--resume DIR`
 * re-reads the command from DIR/meta.json, rebuilds the same grid and skips
 * the points whose key (variant,cell,pass,T,N,I,H,threads) results.csv
 * already holds, after dropping a last line a crash cut short.
 *
 * A point that cannot run (variant not built, ISA missing, cell not
 * implemented, buffers too large) is a row with status "skipped: why"; a
 * point that fails is "error: why". Neither stops the sweep.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../variants/variant.h"
#include "affinity.h"
#include "cli.h"
#include "run.h"
#include "sweep.h"
#include "sysinfo.h"
#include "tensors.h"

extern char **environ;

/* ------------------------------------------------------------- signals */

static volatile sig_atomic_t stop_signal;
static char abandon_msg[4600];
static size_t abandon_len;

static void on_signal(int sig)
{
    if (stop_signal) { /* the second one: abandon the point under way */
        if (abandon_len) (void)!write(STDERR_FILENO, abandon_msg, abandon_len);
        _exit(128 + sig);
    }
    stop_signal = sig;
    static const char m[] =
        "\nrnnbench: signal received: finishing the current point (signal again to abandon it)\n";
    (void)!write(STDERR_FILENO, m, sizeof m - 1);
}

static void install_signals(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* A shell starts background jobs with SIGINT ignored: keep it so. */
    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN) sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---------------------------------------------------------- small bits */

static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
        else if (*c == '\n') fputs("\\n", f);
        else if (*c == '\t') fputs("\\t", f);
        else if (*c < 0x20) fprintf(f, "\\u%04x", *c);
        else fputc(*c, f);
    }
    fputc('"', f);
}

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static void fmt_duration(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e9) snprintf(buf, n, "?");
    else if (s < 90) snprintf(buf, n, "%.0f s", s);
    else if (s < 5400) snprintf(buf, n, "%.1f min", s / 60);
    else snprintf(buf, n, "%.1f hours", s / 3600);
}

/* One sweep at a time per directory: a second one (say a --resume started
 * while the first is still finishing its last point) would write the same
 * points twice. flock is released when the process exits, however it
 * exits, so a crash leaves no stale lock. */
static void lock_dir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) rb_die("sweep: cannot create %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        rb_die("sweep: %s is in use by another running sweep; wait for it to finish or stop it first", dir);
    /* fd stays open: the lock lives as long as this process. */
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int exists(const char *dir, const char *name)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* One line of a command's stdout (no newline), or "" on failure. */
static void popen_line(const char *cmd, char *out, size_t n)
{
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (!fgets(out, (int)n, p)) out[0] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    pclose(p);
}

/* The commit of the tree the binary was built in: git run in the
 * binary's directory, read-only (no index refresh). */
static void git_info(char *commit, size_t n, int *dirty)
{
    char exe[PATH_MAX], cmd[PATH_MAX * 2 + 200], q[PATH_MAX * 2];
    commit[0] = '\0';
    *dirty = -1;
    if (!realpath("/proc/self/exe", exe)) return;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    size_t k = 0; /* single-quote for the shell */
    for (const char *c = exe; *c && k + 5 < sizeof q; c++) {
        if (*c == '\'') { memcpy(q + k, "'\\''", 4); k += 4; }
        else q[k++] = *c;
    }
    q[k] = '\0';
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse HEAD 2>/dev/null", q);
    popen_line(cmd, commit, n);
    if (strlen(commit) != 40) {
        commit[0] = '\0';
        return;
    }
    char line[512];
    snprintf(cmd, sizeof cmd,
             "git --no-optional-locks -C '%s' status --porcelain --untracked-files=no 2>/dev/null | head -1", q);
    popen_line(cmd, line, sizeof line);
    *dirty = line[0] != '\0';
}

static int env_wanted(const char *kv)
{
    static const char *const prefixes[] = {"OMP_", "GOMP_", "KMP_", "RNNBENCH_", "DNNL_",
                                           "ONEDNN_", "OPENBLAS_", "MKL_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

/* ------------------------------------------------------------ meta.json */

#define PCT_PEAK_RULE                                                                              \
    "pct_peak = 100 * gflops / ceiling, ceiling = peak_gflops_core * threads while threads <= "    \
    "peak_threads (one per physical core), else peak_gflops_all * min(threads, cores) / cores = "  \
    "peak_gflops_all: threads beyond the cores (SMT, oversubscription) add no FMA units. Both "    \
    "peaks are measured at the start of the sweep (sysinfo below); empty when not measured. If "   \
    "the machine was busy while measuring (sysinfo cpu_share well below 1), the peaks are low "    \
    "and pct_peak high"

#define BYTES_MIN_RULE                                                                             \
    "bytes_min = compulsory traffic of one pass in bytes (float32), each tensor the pass must "    \
    "read or write counted once: P = weights + biases, X = x + h0 (+ c0), Y = y + hT (+ cT), W = " \
    "workspace minimum = G*N*H*T activated gates (+ N*H*T cell states for lstm), D = dy + dhT "    \
    "(+ dcT), R = every gradient; infer = P+X+Y, train = P+X+Y+W, bwd = P+X+y+W+D+R, fwdbwd = "   \
    "P+X+Y+2W+y+D+R (W written then read back, y read back). arith_intensity = flops / bytes_min"

typedef struct {
    char **argv;
    int argc;
} saved_argv;

static void saved_argv_free(saved_argv *a)
{
    for (int i = 0; i < a->argc; i++) free(a->argv[i]);
    free(a->argv);
    a->argv = NULL;
    a->argc = 0;
}

static void write_meta(const char *path, const rb_sysinfo *si, const rb_sweep_grid *g, size_t npoints,
                       int argc, char **argv, const char *resumed_from, int reps, int warmup,
                       unsigned long long seed, double est_s)
{
    char tmp[4200], date[64], commit[64];
    int dirty;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) rb_die("sweep: cannot write %s: %s", tmp, strerror(errno));
    iso_now(date, sizeof date);
    git_info(commit, sizeof commit, &dirty);
    fprintf(f, "{\n  \"tool\": \"rnnbench sweep\",\n  \"date\": ");
    json_str(f, date);
    fprintf(f, ",\n  \"host\": ");
    json_str(f, si->hostname);
    fprintf(f, ",\n  \"git_commit\": ");
    json_str(f, commit[0] ? commit : NULL);
    fprintf(f, ",\n  \"git_dirty\": %s", dirty < 0 ? "null" : dirty ? "true" : "false");
    fprintf(f, ",\n  \"argv\": [");
    for (int i = 0; i < argc; i++) {
        if (i) fputs(", ", f);
        json_str(f, argv[i]);
    }
    fprintf(f, "],\n  \"resume_of\": ");
    json_str(f, resumed_from);
    fprintf(f, ",\n  \"env\": {");
    int k = 0;
    for (char **e = environ; *e; e++) {
        if (!env_wanted(*e)) continue;
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        fprintf(f, "%s\n    ", k++ ? "," : "");
        json_str(f, name);
        fputs(": ", f);
        json_str(f, eq + 1);
    }
    fprintf(f, "%s},\n  \"binding_origin\": ", k ? "\n  " : "");
    json_str(f, rb_affinity_origin());
    fprintf(f, ",\n  \"binding_unbound_reason\": ");
    json_str(f, rb_affinity_why_unbound());
    fprintf(f, ",\n  \"timing\": {\"reps\": %d, \"warmup\": %d, \"seed\": %llu, \"loop\": "
               "\"rb_time_pass: set_params untimed, warmup untimed passes, reps timed passes; "
               "median/min/max/sample stddev of wall time\"},\n",
            reps, warmup, seed);
    fprintf(f, "  \"flop_counts\": {\n"
               "    \"gflops\": \"benchdnn GEMM count: forward = 2*G*H*(I+H)*N*T; times the pass "
               "multiplier; divided by median\",\n"
               "    \"gflops_deepbench\": \"DeepBench recurrent-only count 2*G*H*H*N*T, times the "
               "same pass multiplier, divided by median\",\n"
               "    \"pass_multiplier\": {\"infer\": 1, \"train\": 1, \"bwd\": 2, \"fwdbwd\": 3},\n"
               "    \"elementwise\": \"not counted\"\n  },\n");
    fprintf(f, "  \"pct_peak_rule\": ");
    json_str(f, PCT_PEAK_RULE);
    fprintf(f, ",\n  \"bytes_min_rule\": ");
    json_str(f, BYTES_MIN_RULE);
    fprintf(f, ",\n  \"columns\": ");
    json_str(f, RB_SWEEP_CSV_HEADER);
    fprintf(f, ",\n  \"points\": %zu,\n  \"estimated_s\": %.0f,\n  \"grid\": ", npoints, est_s);
    rb_sweep_grid_json(g, f, 2);
    fprintf(f, ",\n  \"sysinfo\": ");
    rb_sysinfo_print_json(si, f, 2);
    fprintf(f, "\n}\n");
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        rb_die("sweep: cannot write %s: %s", path, strerror(errno));
}

/* The "argv" array of a meta.json, or die. */
static saved_argv read_saved_argv(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) rb_die("sweep --resume: %s has no meta.json (not a sweep directory?)", dir);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strstr(text, "\"argv\"");
    if (p) p = strchr(p, '[');
    if (!p) rb_die("sweep --resume: %s has no \"argv\" array", path);
    p++;
    saved_argv a = {calloc(256, sizeof(char *)), 0};
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == ',' || *p == '\t' || *p == '\r') p++;
        if (*p == ']') break;
        if (*p != '"' || a.argc == 255) rb_die("sweep --resume: %s: malformed \"argv\"", path);
        char *s = malloc(strlen(p) + 1), *w = s;
        for (p++; *p && *p != '"'; p++) {
            if (*p != '\\') {
                *w++ = *p;
                continue;
            }
            p++;
            switch (*p) {
            case 'n': *w++ = '\n'; break;
            case 't': *w++ = '\t'; break;
            case 'r': *w++ = '\r'; break;
            case 'b': *w++ = '\b'; break;
            case 'f': *w++ = '\f'; break;
            case 'u': {
                unsigned v = 0;
                if (sscanf(p + 1, "%4x", &v) != 1) rb_die("sweep --resume: %s: bad \\u escape", path);
                p += 4;
                if (v < 0x80) *w++ = (char)v;
                else if (v < 0x800) { *w++ = (char)(0xc0 | v >> 6); *w++ = (char)(0x80 | (v & 63)); }
                else { *w++ = (char)(0xe0 | v >> 12); *w++ = (char)(0x80 | ((v >> 6) & 63)); *w++ = (char)(0x80 | (v & 63)); }
                break;
            }
            case '\0': rb_die("sweep --resume: %s: malformed \"argv\"", path);
            default: *w++ = *p; break;
            }
        }
        if (*p != '"') rb_die("sweep --resume: %s: malformed \"argv\"", path);
        p++;
        *w = '\0';
        char *fit = realloc(s, (size_t)(w - s) + 1);
        a.argv[a.argc++] = fit ? fit : s;
    }
    if (a.argc < 2 || strcmp(a.argv[1], "sweep") != 0)
        rb_die("sweep --resume: %s: \"argv\" is not a sweep command", path);
    return a;
}

/* ------------------------------------------------------------- one row */

/* 1 when the point will be a skipped row (no time to estimate). */
static int will_skip(const rb_sweep_point *pt)
{
    char err[512];
    return rb_variant_why_not(pt->v, &pt->p) ||
           rb_check_fits(rb_tset_bytes(&pt->p.s, pt->v->ops->workspace_bytes(&pt->p)), err, sizeof err);
}

typedef struct {
    char status[512];
    rb_timing tm;
    int timed;
} point_result;

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

static void run_point(const rb_sweep_point *pt, int reps, int warmup, uint64_t seed, point_result *r)
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

static void num(FILE *f, const char *fmt, double x)
{
    fputc(',', f);
    if (isfinite(x)) fprintf(f, fmt, x);
}

/* Builds the row in memory, then appends it with one write, flush and
 * fsync, so a crash leaves at most one cut line (resume drops it). */
static void append_row(FILE *csv, const char *csv_path, const rb_sysinfo *si, const rb_sweep_point *pt,
                       const point_result *r)
{
    char *buf = NULL, date[64];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) rb_die("sweep: out of memory");
    const rb_shape *s = &pt->p.s;
    const int thr = pt->p.threads;
    iso_now(date, sizeof date);
    rb_csv_field(m, si->hostname);
    fputc(',', m);
    rb_csv_field(m, date);
    fputc(',', m);
    rb_csv_field(m, pt->v->name);
    fputc(',', m);
    rb_csv_field(m, pt->v->isa);
    fputc(',', m);
    rb_csv_field(m, pt->v->parallel);
    fprintf(m, ",%s,%s,%d,%d,%d,%d,%d,%d,", rb_cell_name(s->cell), rb_pass_name(pt->pass), s->T, s->N,
            s->I, s->H, rb_cell_gates(s->cell), thr);
    const double flops = rb_pass_flops(s, pt->pass), bytes = rb_sweep_bytes_min(s, pt->pass);
    const double nan = NAN;
    if (r->timed) {
        const double med = r->tm.median_s;
        /* pct_peak: see PCT_PEAK_RULE */
        double ceiling = nan;
        const int cores = si->peak_threads > 0 ? si->peak_threads : (si->cores > 0 ? si->cores : 1);
        if (si->measured && si->peak_gflops_core > 0 && si->peak_gflops_all > 0)
            ceiling = thr <= cores ? si->peak_gflops_core * thr
                                   : si->peak_gflops_all * (thr < cores ? thr : cores) / cores;
        const double gf = flops / med * 1e-9;
        fprintf(m, "%d", r->tm.reps);
        num(m, "%.6g", med * 1e3);
        num(m, "%.6g", r->tm.min_s * 1e3);
        num(m, "%.6g", r->tm.max_s * 1e3);
        num(m, "%.6g", r->tm.stddev_s * 1e3);
        num(m, "%.6g", gf);
        num(m, "%.6g", rb_sweep_flops_deepbench(s, pt->pass) / med * 1e-9);
        num(m, "%.0f", flops);
        num(m, "%.6g", med * 1e3 / s->T);
        num(m, "%.2f", 100.0 * gf / ceiling);
    } else {
        fputs(",,,,,,", m); /* reps .. gflops_deepbench empty */
        num(m, "%.0f", flops);
        fputs(",,", m);     /* ms_per_step, pct_peak */
    }
    num(m, "%.0f", bytes);
    num(m, "%.6g", flops / bytes);
    fputc(',', m);
    rb_csv_field(m, r->status);
    fputc(',', m);
    if (r->timed) rb_csv_field(m, binding_for(thr));
    fputc('\n', m);
    fclose(m);
    if (fwrite(buf, 1, len, csv) != len || fflush(csv) != 0 || fsync(fileno(csv)) != 0)
        rb_die("sweep: cannot append to %s: %s", csv_path, strerror(errno));
    free(buf);
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
    snprintf(buf, n, "%s %s %s T=%d N=%d I=%d H=%d threads=%d", pt->v->name, rb_cell_name(s->cell),
             rb_pass_name(pt->pass), s->T, s->N, s->I, s->H, pt->p.threads);
}

static void progress_start(const progress *pg, const rb_sweep_point *pt)
{
    if (!pg->tty) return;
    char d[256], e[32];
    describe(pt, d, sizeof d);
    fmt_duration(eta(pg), e, sizeof e);
    const int width = 24;
    int fill = pg->total ? (int)(width * pg->done / pg->total) : width;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %zu/%zu ETA %s  %s", bar, pg->done, pg->total, e, d);
    fflush(stderr);
}

static void progress_done(const progress *pg, const rb_sweep_point *pt, const point_result *r)
{
    if (pg->tty) return;
    char d[256], e[32];
    describe(pt, d, sizeof d);
    fmt_duration(eta(pg), e, sizeof e);
    if (r->timed)
        fprintf(stderr, "[%zu/%zu] %s: %.4g ms, %.4g GFLOP/s, %s; ETA %s\n", pg->done, pg->total, d,
                r->tm.median_s * 1e3, r->tm.gflops, r->status, e);
    else
        fprintf(stderr, "[%zu/%zu] %s: %s; ETA %s\n", pg->done, pg->total, d, r->status, e);
}

/* ---------------------------------------------------------------- main */

int rb_cmd_sweep(int argc, char **argv)
{
    rb_opt opts[] = {
        {"preset", "P", "quick | deepbench | full (options below narrow it)", NULL, 0},
        {"cells", "LIST", "cells, or all (default all)", NULL, 0},
        {"variants", "LIST", "variant names, all, or best: the fastest-by-design runnable ones "
                             "(avx512*, else avx2*, else neon*) + naive + library peers (default best)", NULL, 0},
        {"passes", "LIST", "infer,train,bwd,fwdbwd or all (default infer)", NULL, 0},
        {"T", "LIST", "sequence lengths (default 25)", NULL, 0},
        {"N", "LIST", "batch sizes (default 16)", NULL, 0},
        {"I", "LIST", "input sizes, or H: I = H (default H)", NULL, 0},
        {"H", "LIST", "hidden sizes (default 256)", NULL, 0},
        {"threads", "LIST", "team sizes, or all: 1,2,4,.. and the core count (default 1)", NULL, 0},
        {"reps", "R", "timed repetitions per point (default 5; quick: 3)", NULL, 0},
        {"warmup", "W", "untimed repetitions first", "1", 0},
        {"seed", "S", "seed of the initial values", "1", 0},
        {"out", "DIR", "results directory (default results/<host>-<YYYYmmdd-HHMMSS>)", NULL, 0},
        {"resume", "DIR", "finish an interrupted sweep: same command (from DIR/meta.json), "
                          "points already in DIR/results.csv skipped", NULL, 0},
        {"dry-run", NULL, "list the points and an estimated time; run nothing", NULL, 0},
    };
    const int nopts = (int)(sizeof opts / sizeof opts[0]);
    const char *synopsis = "[--preset P | --cells --variants --passes --T --N --I --H --threads] [--reps R] "
                           "[--out DIR] [--dry-run] | --resume DIR";
    rb_opts_parse("sweep", synopsis, argc, argv, opts, nopts);
#define OPT(name) rb_opt_get(opts, nopts, name)

    /* The whole command line, for meta.json: main() passes argv + 2 of
     * its own argv, so argv[-2] and argv[-1] are the program and "sweep". */
    int full_argc = argc + 2;
    char **full_argv = argv - 2;

    const char *resume = OPT("resume")->value;
    const int dry = OPT("dry-run")->seen;
    saved_argv sa = {NULL, 0}; /* option values point into it: freed last */
    if (resume) {
        for (int i = 0; i < nopts; i++)
            if (opts[i].seen && strcmp(opts[i].name, "resume") != 0 && strcmp(opts[i].name, "dry-run") != 0)
                rb_die("sweep: --resume takes the command from DIR/meta.json; drop --%s", opts[i].name);
        sa = read_saved_argv(resume);
        full_argc = sa.argc;
        full_argv = sa.argv;
        for (int i = 0; i < nopts; i++) opts[i].seen = 0;
        OPT("warmup")->value = "1";
        OPT("seed")->value = "1";
        rb_opts_parse("sweep", synopsis, sa.argc - 2, sa.argv + 2, opts, nopts);
        if (OPT("resume")->seen || OPT("dry-run")->seen)
            rb_die("sweep --resume: the saved command in %s/meta.json is not a sweep to resume", resume);
    }
    rb_sweep_spec spec = {OPT("preset")->value, OPT("cells")->value, OPT("variants")->value,
                          OPT("passes")->value, OPT("T")->value, OPT("N")->value, OPT("I")->value,
                          OPT("H")->value, OPT("threads")->value};
    const int reps = (int)rb_parse_long(OPT("reps")->value ? OPT("reps")->value
                                        : spec.preset && strcmp(spec.preset, "quick") == 0 ? "3" : "5",
                                        "--reps", 1, 1000000);
    const int warmup = (int)rb_parse_long(OPT("warmup")->value, "--warmup", 0, 1000000);
    const uint64_t seed = rb_parse_u64(OPT("seed")->value, "--seed");

    /* Cores for "all" and the presets: physical cores this process may
     * use (a taskset or cpuset can leave fewer). */
    static rb_sysinfo si;
    rb_sysinfo_collect(&si, RB_SYSINFO_MEASURE_NONE);
    int cores = si.cores > 0 ? si.cores : (si.usable_cpus > 0 ? si.usable_cpus : 1);
    if (si.usable_cpus > 0 && si.usable_cpus < cores) cores = si.usable_cpus;

    static rb_sweep_grid grid;
    rb_sweep_grid_build(&grid, &spec, cores);
    rb_sweep_point *pts;
    const size_t npts = rb_sweep_points(&grid, &pts);
    for (int i = 0; i < grid.nnotes; i++) fprintf(stderr, "sweep: left out %s\n", grid.notes[i]);
    if (npts == 0) rb_die("sweep: the grid has no points");

    /* keys already done (resume) */
    rb_strset *done = rb_strset_new();
    char err[512], key[256], path[4200];
    if (resume && !dry) {
        lock_dir(resume);
        int dropped, truncated;
        snprintf(path, sizeof path, "%s/results.csv", resume);
        long rows = rb_sweep_csv_load(path, done, 1, &dropped, &truncated, err, sizeof err);
        if (rows < 0) rb_die("sweep --resume: %s", err);
        if (dropped)
            fprintf(stderr, "sweep: repaired %s: dropped %d %s\n", path, dropped,
                    truncated && dropped == 1 ? "truncated last line (a write cut short)"
                                              : "malformed or truncated line(s)");
    } else if (resume) { /* dry run: read the keys, change nothing */
        int dropped, truncated;
        snprintf(path, sizeof path, "%s/results.csv", resume);
        if (rb_sweep_csv_load(path, done, 0, &dropped, &truncated, err, sizeof err) < 0)
            rb_die("sweep --resume: %s", err);
    }

    double est_total = 0, est_left = 0;
    size_t todo = 0;
    for (size_t i = 0; i < npts; i++) {
        double e = will_skip(&pts[i]) ? 0 : rb_sweep_estimate_s(&pts[i], reps, warmup);
        est_total += e;
        rb_sweep_key(&pts[i], key, sizeof key);
        if (!rb_strset_has(done, key)) {
            est_left += e;
            todo++;
        }
    }
    char estbuf[32];
    fmt_duration(est_left, estbuf, sizeof estbuf);
    if (grid.preset && strcmp(grid.preset, "deepbench") == 0)
        fprintf(stderr, "deepbench preset: %zu points, estimated %.1f hours\n", npts, est_total / 3600);

    if (dry) {
        printf("%5s  %-22s %-8s %-6s %6s %5s %6s %6s %7s %10s  %s\n", "#", "variant", "cell", "pass", "T",
               "N", "I", "H", "threads", "est_s", "note");
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
            printf("%5zu  %-22s %-8s %-6s %6d %5d %6d %6d %7d %10.3f  %s\n", i + 1, pt->v->name,
                   rb_cell_name(s->cell), rb_pass_name(pt->pass), s->T, s->N, s->I, s->H, pt->p.threads,
                   rb_sweep_estimate_s(pt, reps, warmup), note);
        }
        printf("%zu points, %zu to run, estimated %s (rough: FLOPs / a guessed GFLOP/s per variant "
               "kind, reps %d, warmup %d)\n", npts, todo, estbuf, reps, warmup);
        free(pts);
        rb_strset_free(done);
        saved_argv_free(&sa);
        return 0;
    }

    if (resume && todo == 0) {
        printf("sweep: nothing to do: all %zu points are in %s/results.csv\n", npts, resume);
        free(pts);
        rb_strset_free(done);
        saved_argv_free(&sa);
        return 0;
    }

    /* the results directory */
    char dir[4096];
    if (resume) {
        snprintf(dir, sizeof dir, "%s", resume);
    } else {
        if (OPT("out")->value) {
            snprintf(dir, sizeof dir, "%s", OPT("out")->value);
        } else {
            char host[128], stamp[32];
            snprintf(host, sizeof host, "%.100s", si.hostname[0] ? si.hostname : "host");
            for (char *c = host; *c; c++)
                if (*c == '/' || *c == ' ' || *c == ',') *c = '_';
            time_t t = time(NULL);
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
            snprintf(dir, sizeof dir, "results/%s-%s", host, stamp);
            for (int k = 2; exists(dir, "meta.json") && k < 100; k++)
                snprintf(dir, sizeof dir, "results/%s-%s-%d", host, stamp, k);
        }
        if (exists(dir, "meta.json") || exists(dir, "results.csv"))
            rb_die("sweep: %s already holds a sweep (resume it with --resume %s, or pick another --out)", dir, dir);
        if (make_dirs(dir) != 0) rb_die("sweep: cannot create %s: %s", dir, strerror(errno));
        lock_dir(dir);
    }

    fprintf(stderr, "sweep: measuring this machine's peak and bandwidth (about 1 s)\n");
    rb_sysinfo_collect(&si, RB_SYSINFO_MEASURE_FULL);

    if (resume) {
        /* the original meta.json stays; this run's machine and command go
         * beside it */
        for (int k = 1; k < 1000; k++) {
            snprintf(path, sizeof path, "%s/meta-resume-%d.json", dir, k);
            if (access(path, F_OK) != 0) break;
        }
        write_meta(path, &si, &grid, npts, argc + 2, argv - 2, dir, reps, warmup,
                   (unsigned long long)seed, est_left);
    } else {
        snprintf(path, sizeof path, "%s/meta.json", dir);
        write_meta(path, &si, &grid, npts, full_argc, full_argv, NULL, reps, warmup,
                   (unsigned long long)seed, est_total);
        int dropped, truncated;
        snprintf(path, sizeof path, "%s/results.csv", dir);
        if (rb_sweep_csv_load(path, done, 1, &dropped, &truncated, err, sizeof err) < 0)
            rb_die("sweep: %s", err);
    }
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *csv = fopen(path, "a");
    if (!csv) rb_die("sweep: cannot append to %s: %s", path, strerror(errno));

    progress pg = {isatty(STDERR_FILENO), npts, npts - todo, rb_now_sec(), est_left, 0, 0};
    fprintf(stderr, "sweep: %zu points%s, %zu to run, estimated %s; writing %s\n", npts,
            grid.preset ? (strcmp(grid.preset, "quick") == 0 ? " (preset quick)"
                           : strcmp(grid.preset, "full") == 0 ? " (preset full)" : " (preset deepbench)")
                        : "",
            todo, estbuf, path);

    abandon_len = (size_t)snprintf(abandon_msg, sizeof abandon_msg,
                                   "\nrnnbench: interrupted; the point under way is abandoned, every "
                                   "finished point is saved; resume with: rnnbench sweep --resume %s\n",
                                   dir);
    if (abandon_len >= sizeof abandon_msg) abandon_len = sizeof abandon_msg - 1;
    install_signals();

    size_t nok = 0, nskip = 0, nerr = 0;
    for (size_t i = 0; i < npts && !stop_signal; i++) {
        const rb_sweep_point *pt = &pts[i];
        rb_sweep_key(pt, key, sizeof key);
        if (rb_strset_has(done, key)) continue;
        const double e = will_skip(pt) ? 0 : rb_sweep_estimate_s(pt, reps, warmup);
        progress_start(&pg, pt);
        const double t0 = rb_now_sec();
        point_result r;
        run_point(pt, reps, warmup, seed, &r);
        append_row(csv, path, &si, pt, &r);
        rb_strset_add(done, key);
        pg.done++;
        pg.est_left -= e;
        if (r.timed) { /* skipped points say nothing of the machine's speed */
            pg.est_done += e;
            pg.real_done += rb_now_sec() - t0;
        }
        if (r.status[0] == 'o') nok++;
        else if (r.status[0] == 's') nskip++;
        else nerr++;
        progress_done(&pg, pt, &r);
    }
    if (pg.tty) fputs("\r\033[K", stderr);
    fclose(csv);
    char took[32];
    fmt_duration(rb_now_sec() - pg.t0, took, sizeof took);
    free(pts);
    rb_strset_free(done);
    saved_argv_free(&sa);
    if (stop_signal) {
        fprintf(stderr, "rnnbench: interrupted after %zu of %zu points; resume with: rnnbench sweep --resume %s\n",
                pg.done, npts, dir);
        return 128 + stop_signal;
    }
    if (nerr)
        fprintf(stderr, "sweep: WARNING: %zu point(s) ended in error: see the status column\n", nerr);
    printf("sweep: %zu points done in %s (this run: %zu ok, %zu skipped, %zu errors)\n"
           "results: %s/results.csv\nmeta:    %s/meta.json\n",
           npts, took, nok, nskip, nerr, dir, dir);
    return 0;
#undef OPT
}
