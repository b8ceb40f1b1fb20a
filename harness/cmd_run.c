/*
 * cmd_run.c: `rnnbench run`: time one variant on one cell, shape and pass,
 * print one `key=value` line, optionally save or load every tensor as .npy.
 *
 * Timing: set_params (weight packing) once, untimed; one warm-up pass; then
 * --reps timed passes; median, min and max wall time. GFLOP/s use the GEMM
 * count of EQUATIONS.md for the timed pass: 1x forward for infer and train,
 * 2x for bwd, 3x for fwdbwd.
 */
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../variants/variant.h"
#include "check.h"
#include "cli.h"
#include "npy.h"
#include "run.h"
#include "tensors.h"

static const char *const pass_names[RB_NPASSES] = {"infer", "train", "bwd", "fwdbwd"};

const char *rb_pass_name(rb_pass p) { return (unsigned)p < RB_NPASSES ? pass_names[p] : "?"; }

int rb_pass_parse(const char *s, rb_pass *out)
{
    for (int i = 0; i < RB_NPASSES; i++)
        if (strcmp(s, pass_names[i]) == 0) {
            *out = (rb_pass)i;
            return 0;
        }
    return -1;
}

double rb_pass_flops(const rb_shape *s, rb_pass p)
{
    static const double mult[RB_NPASSES] = {1, 1, 2, 3};
    return mult[p] * rb_flops_forward(s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int rb_time_pass(const rb_variant *v, const rb_problem *p, rb_tset *ts, rb_pass pass, int reps,
                 int warmup, rb_timing *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    void *plan = v->ops->plan_create(p, err, errlen);
    if (!plan) return -1;
    rb_variant_report(v, plan, p, 0);
    size_t ws_bytes = v->ops->workspace_bytes(p);
    void *ws = rb_alloc(ws_bytes);
    double *t = malloc(sizeof(double) * (size_t)(reps > 0 ? reps : 1));
    if (!ws || !t) {
        snprintf(err, errlen, "out of memory for a %zu-byte workspace", ws_bytes);
        rb_free(ws);
        free(t);
        v->ops->plan_destroy(plan);
        return -1;
    }
    omp_set_num_threads(p->threads);
    v->ops->set_params(plan, &ts->t);
    for (int r = -warmup; r < reps; r++) {
        if (pass == RB_PASS_BWD) v->ops->forward(plan, &ts->t, ws); /* untimed */
        double t0 = rb_now_sec();
        switch (pass) {
        case RB_PASS_INFER: v->ops->forward(plan, &ts->t, NULL); break;
        case RB_PASS_TRAIN: v->ops->forward(plan, &ts->t, ws); break;
        case RB_PASS_BWD: v->ops->backward(plan, &ts->t, ws); break;
        case RB_PASS_FWDBWD:
            v->ops->forward(plan, &ts->t, ws);
            v->ops->backward(plan, &ts->t, ws);
            break;
        default: break;
        }
        double dt = rb_now_sec() - t0;
        if (r >= 0) t[r] = dt;
    }
    /* Leave every output and gradient of this run in ts (for --save). */
    if (pass == RB_PASS_INFER || pass == RB_PASS_TRAIN) {
        v->ops->forward(plan, &ts->t, ws);
        if (pass == RB_PASS_TRAIN) v->ops->backward(plan, &ts->t, ws);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double sum = 0, sq = 0;
    for (int r = 0; r < reps; r++) sum += t[r];
    double mean = sum / reps;
    for (int r = 0; r < reps; r++) sq += (t[r] - mean) * (t[r] - mean);
    out->reps = reps;
    out->min_s = t[0];
    out->max_s = t[reps - 1];
    out->median_s = reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
    out->stddev_s = reps > 1 ? sqrt(sq / (reps - 1)) : 0;
    out->gflops = rb_pass_flops(&p->s, pass) / out->median_s * 1e-9;
    out->ws_bytes = ws_bytes;
    free(t);
    rb_free(ws);
    v->ops->plan_destroy(plan);
    return 0;
}

/* ---- loading ---- */

/* Only a file that does not exist is absent. lstat, not stat: a dangling
 * symlink or a symlink loop is there, broken, and reading it must fail
 * loudly rather than quietly fall back to seeded values. */
static int is_absent(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 && errno == ENOENT;
}

/* Shapes come from the headers of x.npy (T, N, I) and h0.npy (N, H), without
 * reading their data; sizes given on the command line must agree. */
static void shape_from_files(const char *dir, rb_shape *s, const int given[4])
{
    char path[4096], err[512];
    int nd;
    size_t d[RB_NPY_MAXDIM];
    snprintf(path, sizeof path, "%s/x.npy", dir);
    if (rb_npy_read_header(path, &nd, d, err, sizeof err) != 0) rb_die("run --load: %s", err);
    if (nd != 3) rb_die("run --load: %s: x must be 3-D [T][N][I], found %d-D", path, nd);
    size_t T = d[0], N = d[1], I = d[2];
    snprintf(path, sizeof path, "%s/h0.npy", dir);
    if (rb_npy_read_header(path, &nd, d, err, sizeof err) != 0) rb_die("run --load: %s", err);
    if (nd != 2) rb_die("run --load: %s: h0 must be 2-D [N][H], found %d-D", path, nd);
    if (d[0] != N) rb_die("run --load: h0.npy has batch %zu but x.npy has %zu", d[0], N);
    size_t H = d[1];
    const size_t got[4] = {T, N, I, H};
    const char *names[4] = {"T", "N", "I", "H"};
    for (int i = 0; i < 4; i++) {
        if (got[i] == 0 || got[i] > RB_MAX_DIM) rb_die("run --load: %s = %zu from the files is out of range", names[i], got[i]);
        if (given[i] > 0 && (size_t)given[i] != got[i])
            rb_die("run --load: --%s %d does not match %s = %zu in the files", names[i], given[i], names[i], got[i]);
    }
    s->T = (int)T; s->N = (int)N; s->I = (int)I; s->H = (int)H;
}

/* Reads each input straight into the run's buffers (memory was checked
 * before they were allocated). */
static void load_tensors(const char *dir, rb_tset *ts)
{
    char path[4096], err[512];
    for (int id = 0; id < RB_NTENSORS; id++) {
        rb_tensor_role role = rb_tensor_role_of((rb_tensor_id)id);
        if (!ts->t.t[id] || (role != RB_ROLE_INPUT && role != RB_ROLE_DOUT)) continue;
        snprintf(path, sizeof path, "%s/%s.npy", dir, rb_tensor_name((rb_tensor_id)id));
        if (is_absent(path)) {
            if (role == RB_ROLE_INPUT)
                rb_die("run --load: missing %s (needed for %s)", path, rb_cell_name(ts->s.cell));
            continue; /* dy dhT dcT are optional: seeded values stay */
        }
        struct stat st;
        if (stat(path, &st) != 0) /* lstat found it: a link to nowhere or a loop */
            rb_die("run --load: %s is a broken symbolic link: %s", path, strerror(errno));
        size_t d[3];
        int nd = rb_tensor_dims(&ts->s, (rb_tensor_id)id, d);
        float *data = ts->t.t[id];
        if (rb_npy_read_into(path, data, nd, d, err, sizeof err) != 0) rb_die("run --load: %s", err);
        size_t n = rb_tensor_numel(&ts->s, (rb_tensor_id)id);
        long bad = rb_first_nonfinite(data, n);
        if (bad >= 0)
            rb_die("run --load: %s: element %ld is %s; inputs must be finite", path, bad,
                   isnan(data[bad]) ? "NaN" : "Inf");
    }
}

/* ---- saving ---- */

/* A save leaves DIR describing exactly one run. Every tensor goes to a
 * temporary name first (DIR/.NAME.npy.tmp); only when all are written are
 * they renamed into place, and then the tensor files this run did not write
 * (left by an earlier save of another pass or cell) are removed. A failure
 * (a full disk) removes the temporaries and leaves DIR as it was. Files whose
 * names are not tensor names are never touched. */
int rb_save_tensors(const char *dir, const rb_tset *ts, int with_grads, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    char path[4096], tmp[4096];
    int wrote[RB_NTENSORS] = {0}, failed = 0;
    for (int id = 0; id < RB_NTENSORS && !failed; id++) {
        rb_tensor_role role = rb_tensor_role_of((rb_tensor_id)id);
        if (!ts->t.t[id]) continue;
        if (!with_grads && (role == RB_ROLE_DOUT || role == RB_ROLE_GRAD)) continue;
        size_t d[3];
        int nd = rb_tensor_dims(&ts->s, (rb_tensor_id)id, d);
        snprintf(tmp, sizeof tmp, "%s/.%s.npy.tmp", dir, rb_tensor_name((rb_tensor_id)id));
        if (rb_npy_write(tmp, ts->t.t[id], nd, d, err, errlen) != 0) {
            unlink(tmp);
            failed = 1;
        } else {
            wrote[id] = 1;
        }
    }
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (!wrote[id]) continue;
        snprintf(tmp, sizeof tmp, "%s/.%s.npy.tmp", dir, rb_tensor_name((rb_tensor_id)id));
        snprintf(path, sizeof path, "%s/%s.npy", dir, rb_tensor_name((rb_tensor_id)id));
        if (failed) {
            unlink(tmp);
        } else if (rename(tmp, path) != 0) {
            snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
            return -1;
        }
    }
    if (failed) return -1;
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (wrote[id]) continue;
        snprintf(path, sizeof path, "%s/%s.npy", dir, rb_tensor_name((rb_tensor_id)id));
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove the stale %s: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* ---- run --check: this one case against the double reference ---- */

static int check_case(const rb_variant *v, const rb_problem *p, rb_tset *ts, rb_pass pass, uint64_t seed,
                      const char *load)
{
    char err[512], inputs[4200];
    rb_oracle o;
    if (rb_oracle_run(&o, ts, err, sizeof err) != 0) rb_die("run --check: %s", err);
    rb_check_result res;
    rb_check_grid(v, ts, &o, p->threads, p->grid_b, p->grid_s, &res);
    rb_oracle_free(&o);
    if (load) snprintf(inputs, sizeof inputs, "--load %s", load);
    else snprintf(inputs, sizeof inputs, "--seed %llu", (unsigned long long)seed);
    const int fails = rb_check_report(stdout, v, p, inputs, &res, pass == RB_PASS_INFER);
    printf("check: %s %s T=%d N=%d I=%d H=%d threads=%d pass=%s %s: %s\n", v->name, rb_cell_name(p->s.cell),
           p->s.T, p->s.N, p->s.I, p->s.H, p->threads, rb_pass_name(pass), inputs,
           fails ? "DISAGREEMENT" : "agrees with the double reference");
    return fails ? 1 : 0;
}

int rb_cmd_run(int argc, char **argv)
{
    rb_opt opts[] = {
        {"cell", "C", rb_cell_names_text(), "lstm", 0},
        {"variant", "V", "an implementation (rnnbench list)", "naive", 0},
        RB_SHAPE_OPTS("10", "8", "64", "64"),
        {"threads", "K", "OpenMP threads for parallel variants", "1", 0},
        {"pass", "P", "infer | train | bwd (after an untimed train) | fwdbwd", "infer", 0},
        {"reps", "R", "timed repetitions", "5", 0},
        {"warmup", "W", "untimed repetitions first", "1", 0},
        {"seed", "S", "seed of the initial values", "1", 0},
        {"save", "DIR", "write every tensor of the run as DIR/<name>.npy", NULL, 0},
        {"load", "DIR", "read x h0 c0 weights biases (and dy dhT dcT if present) from DIR", NULL, 0},
        {"verbose", NULL, "say which kernels run (also RNNBENCH_VERBOSE=1)", NULL, 0},
        {"grid", "BxS", "*_omp_grid: B batch groups x S hidden slices, B*S = --threads "
                        "(default: the variant's cost model)", NULL, 0},
        {"check", NULL, "instead of timing, compare this case with the double reference (as rnnbench check)", NULL, 0},
    };
    const int nopts = (int)(sizeof opts / sizeof opts[0]);
    rb_opts_parse("run", "--cell C --variant V --T T --N N --I I --H H --pass P [...]", argc, argv, opts, nopts);
#define OPT(name) rb_opt_get(opts, nopts, name)

    rb_shape s;
    if (rb_cell_parse(OPT("cell")->value, &s.cell) != 0)
        rb_die("run: unknown cell '%s' (cells: %s)", OPT("cell")->value, rb_cell_names_text());
    const rb_variant *v = rb_variant_find(OPT("variant")->value);
    if (!v) rb_die("run: unknown variant '%s' (see rnnbench list)", OPT("variant")->value);
    const char *why = rb_variant_why_not(v, &(rb_problem){.s = {.cell = s.cell}, .threads = 1});
    if (why) rb_die("run: variant %s cannot run %s here: %s", v->name, rb_cell_name(s.cell), why);
    rb_pass pass;
    if (rb_pass_parse(OPT("pass")->value, &pass) != 0)
        rb_die("run: unknown pass '%s' (passes: infer train bwd fwdbwd)", OPT("pass")->value);

    int given[4];
    rb_parse_shape_opts(opts, nopts, "run", &s, given);
    const char *load = OPT("load")->value, *save = OPT("save")->value;
    if (load) shape_from_files(load, &s, given);

    rb_problem p = {.s = s, .threads = (int)rb_parse_long(OPT("threads")->value, "--threads", 1, 4096)};
    if (OPT("grid")->value) {
        rb_parse_grid_opt(OPT("grid")->value, "run", &p.grid_b, &p.grid_s);
        if (v->par_kind != RB_PAR_OMP_GRID)
            rb_die("run: --grid applies to the *_omp_grid variants, not %s", v->name);
        if ((long long)p.grid_b * p.grid_s != p.threads)
            rb_die("run: --grid %dx%d is %lld threads but --threads is %d", p.grid_b, p.grid_s,
                   (long long)p.grid_b * p.grid_s, p.threads);
    }
    const int reps = (int)rb_parse_long(OPT("reps")->value, "--reps", 1, 1000000);
    const int warmup = (int)rb_parse_long(OPT("warmup")->value, "--warmup", 0, 1000000);
    const uint64_t seed = rb_parse_u64(OPT("seed")->value, "--seed");

    char err[512];
    if (rb_check_fits(rb_tset_bytes(&s, v->ops->workspace_bytes(&p)), err, sizeof err) != 0)
        rb_die("run: %s", err);
    rb_tset ts;
    if (rb_tset_alloc(&ts, &s, err, sizeof err) != 0) rb_die("run: %s", err);
    rb_tset_init(&ts, seed);
    if (load) load_tensors(load, &ts);

    if (OPT("verbose")->seen) setenv("RNNBENCH_VERBOSE", "1", 1);
    if (OPT("check")->seen) {
        if (save) rb_die("run: --check compares, it does not save: drop --save");
        const int rc = check_case(v, &p, &ts, pass, seed, load);
        rb_tset_free(&ts);
        return rc;
    }
    rb_timing tm;
    if (rb_time_pass(v, &p, &ts, pass, reps, warmup, &tm, err, sizeof err) != 0)
        rb_die("run: %s: %s", v->name, err);
    /* Save before the result line: a run whose tensors could not be saved
     * prints no result. */
    if (save && rb_save_tensors(save, &ts, pass != RB_PASS_INFER, err, sizeof err) != 0)
        rb_die("run --save: %s", err);
    printf("cell=%s variant=%s T=%d N=%d I=%d H=%d threads=%d pass=%s reps=%d median_ms=%.4f "
           "min_ms=%.4f max_ms=%.4f stddev_ms=%.4f gflops=%.3f flops=%.6g flop_count=benchdnn "
           "workspace_bytes=%zu seed=%llu\n",
           rb_cell_name(s.cell), v->name, s.T, s.N, s.I, s.H, p.threads, rb_pass_name(pass), reps,
           tm.median_s * 1e3, tm.min_s * 1e3, tm.max_s * 1e3, tm.stddev_s * 1e3, tm.gflops,
           rb_pass_flops(&s, pass), tm.ws_bytes, (unsigned long long)seed);
    rb_tset_free(&ts);
    return 0;
#undef OPT
}
