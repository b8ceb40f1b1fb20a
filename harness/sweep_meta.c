/*
 * sweep_meta.c: meta.json of a sweep, written and read back (sweep_meta.h).
 */
#include "sweep_meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "affinity.h"
#include "cli.h"
#include "files.h"
#include "json.h"
#include "provenance.h"
#include "bound.h"
#include "results_csv.h"

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
    "P+X+Y+2W+y+D+R (W written then read back, y read back); for a network W counts every "       \
    "layer and direction over the real steps (tokens in place of N*T). arith_intensity = flops / " \
    "bytes_min"

static void write_body(FILE *f, const rb_sweep_meta *m)
{
    char date[64], commit[64];
    int dirty;
    rb_iso_now(date, sizeof date);
    rb_git_info(commit, sizeof commit, &dirty);
    fprintf(f, "{\n  \"tool\": \"rnnbench sweep\",\n  \"date\": ");
    rb_json_string(f, date);
    fprintf(f, ",\n  \"host\": ");
    rb_json_string(f, m->si->hostname);
    fprintf(f, ",\n  \"git_commit\": ");
    rb_json_string(f, commit[0] ? commit : NULL);
    fprintf(f, ",\n  \"git_dirty\": %s", dirty < 0 ? "null" : dirty ? "true" : "false");
    fprintf(f, ",\n  \"argv\": [");
    for (int i = 0; i < m->argc; i++) {
        if (i) fputs(", ", f);
        rb_json_string(f, m->argv[i]);
    }
    fprintf(f, "],\n  \"shard\": ");
    if (m->shard_n) fprintf(f, "\"%d/%d\"", m->shard_k, m->shard_n);
    else fputs("null", f);
    fprintf(f, ",\n  \"resume_of\": ");
    rb_json_string(f, m->resume_of);
    fprintf(f, ",\n  \"env\": ");
    rb_env_json(f, 2);
    fprintf(f, ",\n  \"binding_origin\": ");
    rb_json_string(f, rb_affinity_origin());
    fprintf(f, ",\n  \"binding_unbound_reason\": ");
    rb_json_string(f, rb_affinity_why_unbound());
    fprintf(f, ",\n  \"timing\": {\"reps\": %d, \"warmup\": %d, \"seed\": %llu, \"loop\": "
               "\"the variants of a sweep point (same cell, pass, shape, threads) share one set of "
               "tensors and take turns: set_params untimed, then reps rounds; in round r each "
               "variant, starting with variant r mod n, runs warmup untimed passes and one timed "
               "pass (a variant alone at its point: warmup before the first round only); wall time "
               "of each timed pass\", \"interval\": \"ci_lo_ms..ci_hi_ms = [x(k), x(n+1-k)] of "
               "the sorted times, the order-statistic confidence interval of the median, k the "
               "largest with binomial coverage >= 95%%; below 6 reps [min, max]; ci_level = its "
               "coverage 1 - 2 P(Binomial(n, 1/2) <= k-1)\", \"noisy\": \"spread_pct = 100 "
               "(ci_hi - ci_lo) / median > 5 (PolyBench's rule)\"},\n",
            m->reps, m->warmup, m->seed);
    fprintf(f, "  \"order\": {\"rule\": \"%s\", \"seed\": %llu},\n",
            m->shuffle ? "sweep points in a random order drawn from seed (splitmix64, Fisher-Yates)" : "sweep points in grid order", m->order_seed);
    fprintf(f, "  \"bound_rule\": ");
    rb_json_string(f, RB_BOUND_RULE);
    fprintf(f, ",\n");
    fprintf(f, "  \"flop_counts\": {\n"
               "    \"gflops\": \"benchdnn GEMM count: forward = 2*G*H*(I+H)*N*T; times the pass "
               "multiplier; divided by median\",\n"
               "    \"gflops_deepbench\": \"DeepBench recurrent-only count 2*G*H*H*N*T, times the "
               "same pass multiplier, divided by median\",\n"
               "    \"networks\": \"summed over layers and directions, each layer with its own input "
               "size (I, then H, or 2H after a bi_concat layer), and N*T replaced by tokens, the real "
               "steps (the sum of the lengths): padding is not work (EQUATIONS.md, Networks)\",\n"
               "    \"pass_multiplier\": {\"infer\": 1, \"train\": 1, \"bwd\": 2, \"fwdbwd\": 3},\n"
               "    \"elementwise\": \"not counted\"\n  },\n");
    fprintf(f, "  \"pct_peak_rule\": ");
    rb_json_string(f, PCT_PEAK_RULE);
    fprintf(f, ",\n  \"bytes_min_rule\": ");
    rb_json_string(f, BYTES_MIN_RULE);
    fprintf(f, ",\n  \"columns\": ");
    rb_json_string(f, RB_SWEEP_CSV_HEADER);
    fprintf(f, ",\n  \"network_columns\": \"layers: stacked layers L; dir: direction mode (l2r, "
               "r2l, bi_concat, bi_sum); lengths: the spec of the sequence lengths (full; random: "
               "uniform in [1, T], random:MIN: in [MIN, T], drawn from timing.seed, the same for "
               "every point of one T and N); tokens: the real steps, the sum of the lengths (N*T at "
               "full length). ms per token = median_ms / tokens\"");
    fprintf(f, ",\n  \"points\": %zu,\n  \"estimated_s\": %.0f,\n  \"grid\": ", m->points, m->estimated_s);
    rb_sweep_grid_json(m->grid, f, 2);
    fprintf(f, ",\n  \"sysinfo\": ");
    rb_sysinfo_print_json(m->si, f, 2);
    fprintf(f, "\n}\n");
}

void rb_sweep_meta_write(const char *path, const rb_sweep_meta *m)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) rb_die("sweep: cannot write %s: %s", tmp, strerror(errno));
    write_body(f, m);
    if (rb_commit_file(f, tmp, path) != 0) rb_die("sweep: cannot write %s: %s", path, strerror(errno));
}

/* DIR/meta.json parsed, or die saying why. */
static rb_json *read_meta(const char *dir, char *path, size_t pathlen)
{
    char err[256];
    snprintf(path, pathlen, "%s/meta.json", dir);
    size_t n;
    char *text = rb_read_file(path, &n);
    if (!text) {
        if (errno == ENOENT) rb_die("sweep --resume: %s has no meta.json (not a sweep directory?)", dir);
        rb_die("sweep --resume: cannot read %s: %s", path, strerror(errno));
    }
    rb_json *doc = rb_json_parse(text, n, err, sizeof err);
    free(text);
    if (!doc) rb_die("sweep --resume: %s is not valid JSON: %s", path, err);
    return doc;
}

unsigned long long rb_sweep_meta_read_order_seed(const char *dir)
{
    char path[4200];
    rb_json *doc = read_meta(dir, path, sizeof path);
    const rb_json *o = rb_json_get(doc, "order");
    const rb_json *sd = o && o->type == RB_JSON_OBJECT ? rb_json_get(o, "seed") : NULL;
    /* a sweep writes a whole number below 2^53 (exact as a double) */
    if (!sd || sd->type != RB_JSON_NUMBER || !(sd->num >= 0 && sd->num < 9007199254740992.0) ||
        sd->num != (double)(unsigned long long)sd->num) {
        rb_json_free(doc);
        rb_die("sweep --resume: %s has no \"order\": {\"seed\": N} (written by an older rnnbench?)", path);
    }
    const unsigned long long seed = (unsigned long long)sd->num;
    rb_json_free(doc);
    return seed;
}

rb_saved_argv rb_sweep_meta_read_argv(const char *dir)
{
    char path[4200];
    rb_json *doc = read_meta(dir, path, sizeof path);
    const rb_json *av = rb_json_get(doc, "argv");
    if (!av || av->type != RB_JSON_ARRAY) {
        rb_json_free(doc);
        rb_die("sweep --resume: %s has no \"argv\" array", path);
    }
    rb_saved_argv a = {NULL, 0};
    int count = 0;
    for (const rb_json *e = av->child; e; e = e->next) count++;
    a.argv = calloc((size_t)count + 1, sizeof *a.argv);
    if (!a.argv) rb_die("sweep --resume: out of memory");
    for (const rb_json *e = av->child; e; e = e->next) {
        if (e->type != RB_JSON_STRING) {
            rb_json_free(doc);
            rb_die("sweep --resume: %s: \"argv\" holds a value that is not a string", path);
        }
        if (!(a.argv[a.argc++] = strdup(e->str))) rb_die("sweep --resume: out of memory");
    }
    rb_json_free(doc);
    if (a.argc < 2 || strcmp(a.argv[1], "sweep") != 0)
        rb_die("sweep --resume: %s: \"argv\" is not a sweep command", path);
    return a;
}

void rb_saved_argv_free(rb_saved_argv *a)
{
    for (int i = 0; i < a->argc; i++) free(a->argv[i]);
    free(a->argv);
    a->argv = NULL;
    a->argc = 0;
}
