/*
 * cmd_run.c: `rnnbench run`: time one variant on one cell, shape and pass,
 * print one `key=value` line, optionally save or load every tensor as .npy
 * (tensor_io.c). The shape may be a network: --layers, --dir, --lengths.
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
#include "lengths.h"
#include "run.h"
#include "tensor_io.h"
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
    printf("check: %s %s T=%d N=%d I=%d H=%d layers=%d dir=%s tokens=%lld threads=%d pass=%s %s: %s\n", v->name,
           rb_cell_name(p->s.cell), p->s.T, p->s.N, p->s.I, p->s.H, rb_shape_layers(&p->s), rb_dir_name(p->s.dir),
           rb_tokens(&p->s), p->threads, rb_pass_name(pass), inputs,
           fails ? "DISAGREEMENT" : "agrees with the double reference");
    return fails ? 1 : 0;
}

/* The run's lengths (NULL: every sequence of length T): from --lengths,
 * else from DIR/lengths.npy under --load; both at once is refused. */
static int *load_lengths(const rb_opt *spec, const char *load, const rb_shape *s, uint64_t seed)
{
    int *out = malloc(sizeof *out * (size_t)s->N);
    if (!out) rb_die("run: out of memory for %d lengths", s->N);
    char err[512];
    int got = 0;
    if (load) {
        got = rb_load_lengths(load, s, out, err, sizeof err);
        if (got < 0) rb_die("run --load: %s", err);
        if (got && spec->seen)
            rb_die("run: --lengths and %s/lengths.npy both give the lengths: drop one", load);
    }
    if (!got) {
        got = rb_lengths_make(spec->value, s->T, s->N, seed, out, err, sizeof err);
        if (got < 0) rb_die("run: --lengths: %s", err);
    }
    if (!got) {
        free(out);
        return NULL;
    }
    return out;
}

int rb_cmd_run(int argc, char **argv)
{
    rb_opt opts[] = {
        {"cell", "C", rb_cell_names_text(), "lstm", 0},
        {"variant", "V", "an implementation (rnnbench list)", "naive", 0},
        RB_SHAPE_OPTS("10", "8", "64", "64"),
        RB_NET_OPTS("1", "l2r", "full"),
        {"threads", "K", "OpenMP threads for parallel variants", "1", 0},
        {"pass", "P", "infer | train | bwd (after an untimed train) | fwdbwd", "infer", 0},
        {"reps", "R", "timed repetitions", "5", 0},
        {"warmup", "W", "untimed repetitions first", "1", 0},
        {"seed", "S", "seed of the initial values", "1", 0},
        {"save", "DIR", "write every tensor of the run as DIR/<name>.npy", NULL, 0},
        {"load", "DIR", "read x h0 c0 weights biases (and dy dhT dcT lengths if present) from DIR", NULL, 0},
        {"verbose", NULL, "say which kernels run (also RNNBENCH_VERBOSE=1)", NULL, 0},
        {"grid", "BxS", "*_omp_grid: B batch groups x S hidden slices, B*S = --threads "
                        "(default: the variant's cost model)", NULL, 0},
        {"check", NULL, "instead of timing, compare this case with the double reference (as rnnbench check)", NULL, 0},
    };
    const int nopts = (int)(sizeof opts / sizeof opts[0]);
    rb_opts_parse("run", "--cell C --variant V --T T --N N --I I --H H --pass P [...]", argc, argv, opts, nopts);
#define OPT(name) rb_opt_get(opts, nopts, name)

    rb_shape s = {.layers = 1};
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
    rb_parse_net_opts(opts, nopts, "run", &s);
    const char *load = OPT("load")->value, *save = OPT("save")->value;
    char err[512];
    if (load && rb_load_shape(load, &s, given, err, sizeof err) != 0) rb_die("run --load: %s", err);
    const uint64_t seed = rb_parse_u64(OPT("seed")->value, "--seed");
    int *lengths = load_lengths(OPT("lengths"), load, &s, seed);
    s.lengths = lengths;

    rb_problem p = {.s = s, .threads = (int)rb_parse_long(OPT("threads")->value, "--threads", 1, 4096)};
    why = rb_variant_why_not(v, &p);
    if (why) rb_die("run: variant %s cannot run %s --layers %d --dir %s%s here: %s", v->name, rb_cell_name(s.cell),
                    rb_shape_layers(&s), rb_dir_name(s.dir), rb_shape_has_varlen(&s) ? " with variable lengths" : "",
                    why);
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

    if (rb_check_fits(rb_tset_bytes(&s, v->ops->workspace_bytes(&p)), err, sizeof err) != 0)
        rb_die("run: %s", err);
    rb_tset ts;
    if (rb_tset_alloc(&ts, &s, err, sizeof err) != 0) rb_die("run: %s", err);
    rb_tset_init(&ts, seed);
    if (load && rb_load_tensors(load, &ts, err, sizeof err) != 0) rb_die("run --load: %s", err);

    if (OPT("verbose")->seen) setenv("RNNBENCH_VERBOSE", "1", 1);
    if (OPT("check")->seen) {
        if (save) rb_die("run: --check compares, it does not save: drop --save");
        const int rc = check_case(v, &p, &ts, pass, seed, load);
        rb_tset_free(&ts);
        free(lengths);
        return rc;
    }
    rb_timing tm;
    if (rb_time_pass(v, &p, &ts, pass, reps, warmup, &tm, err, sizeof err) != 0)
        rb_die("run: %s: %s", v->name, err);
    /* Save before the result line: a run whose tensors could not be saved
     * prints no result. */
    if (save && rb_save_tensors(save, &ts, pass != RB_PASS_INFER, err, sizeof err) != 0)
        rb_die("run --save: %s", err);
    printf("cell=%s variant=%s T=%d N=%d I=%d H=%d layers=%d dir=%s tokens=%lld threads=%d pass=%s reps=%d "
           "median_ms=%.4f min_ms=%.4f max_ms=%.4f stddev_ms=%.4f gflops=%.3f flops=%.6g flop_count=benchdnn "
           "workspace_bytes=%zu seed=%llu\n",
           rb_cell_name(s.cell), v->name, s.T, s.N, s.I, s.H, rb_shape_layers(&s), rb_dir_name(s.dir),
           rb_tokens(&s), p.threads, rb_pass_name(pass), reps,
           tm.median_s * 1e3, tm.min_s * 1e3, tm.max_s * 1e3, tm.stddev_s * 1e3, tm.gflops,
           rb_pass_flops(&s, pass), tm.ws_bytes, (unsigned long long)seed);
    rb_tset_free(&ts);
    free(lengths);
    return 0;
#undef OPT
}
