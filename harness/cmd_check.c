/*
 * cmd_check.c: `rnnbench check`: every variant this machine can run, every
 * cell, forward outputs and every gradient, on edge shapes, at 1, 2 and 3
 * threads for the parallel variants, against the double oracle. Prints one
 * row per (variant, cell, tensor) with the worst error over all shapes and
 * thread counts, the details of every failure, and exits 1 on any.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/simd/vmath_check.h"
#include "../variants/variant.h"
#include "check.h"
#include "cli.h"

typedef struct { int T, N, I, H; } dims;

/* Edges of every vector tile: 1, W-1, W, W+1, 2W+3 for W = 4 (NEON),
 * 8 (AVX2) and 16 (AVX-512), 32; N = 1; T = 1; and a longer sequence. */
static const dims full_shapes[] = {
    {1, 1, 1, 1},    {3, 2, 5, 7},    {2, 1, 3, 4},    {2, 3, 4, 5},
    {2, 2, 11, 11},  {2, 1, 7, 8},    {2, 3, 8, 9},    {2, 2, 9, 19},
    {2, 4, 15, 16},  {1, 3, 16, 17},  {2, 5, 17, 15},  {2, 2, 31, 32},
    {1, 2, 33, 35},  {2, 7, 35, 33},  {3, 16, 20, 24}, {20, 4, 13, 24},
};
static const dims quick_shapes[] = {
    {1, 1, 1, 1}, {3, 2, 5, 7}, {2, 3, 4, 5}, {2, 2, 11, 11}, {2, 5, 17, 19}, {6, 4, 13, 35},
};

typedef struct {
    double worst_ratio, max_abs, max_rel;
    int have, pass;
} agg;

static void agg_add(agg *a, const rb_cmp *c)
{
    if (!a->have) {
        a->have = 1;
        a->pass = 1;
    }
    a->worst_ratio = fmax(a->worst_ratio, c->worst_ratio);
    a->max_abs = fmax(a->max_abs, c->max_abs);
    a->max_rel = fmax(a->max_rel, c->max_rel);
    a->pass &= c->pass;
}

static int vmath_section(unsigned stride)
{
    rb_vmath_report rep[32];
    int n = rb_vmath_check_all(rep, 32, stride);
    int ok = 1;
    printf("vector math against libm (dense sweep, stride %u):\n", stride);
    printf("  %-8s %-8s %12s %12s %10s %s\n", "isa", "function", "max_abs", "max_rel", "max_ulp", "special values");
    for (int i = 0; i < n; i++) {
        const int within = rb_vmath_report_ok(&rep[i]);
        printf("  %-8s %-8s %12.3g %12.3g %10.1f %s\n", rep[i].isa, rep[i].fn, rep[i].max_abs_err,
               rep[i].max_rel_err, rep[i].max_ulp, within ? "ok" : "OUT OF BOUNDS");
        if (!within) printf("    %s\n", rep[i].special_detail);
        ok &= within;
    }
    if (n == 0) printf("  (no vectorized ISA in this build or CPU)\n");
    return ok;
}

int rb_cmd_check(int argc, char **argv)
{
    rb_opt opts[] = {
        {"variant", "V[,V..]", "check only these variants", NULL, 0},
        {"cell", "C[,C..]", "check only these cells", NULL, 0},
        {"threads", "K[,K..]", "thread counts for parallel variants", "1,2,3", 0},
        {"quick", NULL, "fewer shapes (used under qemu)", NULL, 0},
        {"seed", "S", "seed of the inputs", "1", 0},
        {"verbose", NULL, "one line per shape and thread count", NULL, 0},
    };
    const int nopts = (int)(sizeof opts / sizeof opts[0]);
    rb_opts_parse("check", "[--variant V] [--cell C] [--threads 1,2,3] [--quick]", argc, argv, opts, nopts);
    const char *vsel = rb_opt_get(opts, nopts, "variant")->value;
    const char *csel = rb_opt_get(opts, nopts, "cell")->value;
    int threads[8];
    int nthreads = rb_parse_int_list(rb_opt_get(opts, nopts, "threads")->value, "--threads", 1, 1024, threads, 8);
    const int quick = rb_opt_get(opts, nopts, "quick")->seen;
    const int verbose = rb_opt_get(opts, nopts, "verbose")->seen;
    const uint64_t seed = rb_parse_u64(rb_opt_get(opts, nopts, "seed")->value, "--seed");
    const dims *shapes = quick ? quick_shapes : full_shapes;
    const int nshapes = quick ? (int)(sizeof quick_shapes / sizeof quick_shapes[0])
                              : (int)(sizeof full_shapes / sizeof full_shapes[0]);

    /* Which variants and cells: validate the selections first. */
    int use_v[256] = {0}, use_c[RB_NCELLS] = {0};
    const int nv = rb_variant_count();
    for (int i = 0; i < nv; i++) use_v[i] = vsel == NULL;
    for (int c = 0; c < RB_NCELLS; c++) use_c[c] = csel == NULL;
    char buf[512];
    if (vsel) {
        char *items[256];
        const int n = rb_split_list(vsel, "check: --variant", buf, sizeof buf, items, 256);
        for (int i = 0; i < n; i++) {
            const rb_variant *v = rb_variant_find(items[i]);
            if (!v) rb_die("check: unknown variant '%s' (see rnnbench list)", items[i]);
            use_v[v - rb_variant_at(0)] = 1;
        }
    }
    if (csel) {
        const unsigned mask = rb_parse_cell_mask(csel, "check");
        for (int c = 0; c < RB_NCELLS; c++) use_c[c] = (mask & RB_CELL_BIT(c)) != 0;
    }

    int all_ok = vmath_section(quick ? RB_VMATH_STRIDE_EMULATED : RB_VMATH_STRIDE_DEFAULT);
    printf("\n");

    static agg table[256][RB_NCELLS][2][RB_NTENSORS]; /* [variant][cell][infer?][tensor] */
    memset(table, 0, sizeof table);
    int checks = 0, failures = 0, skipped = 0;
    char err[256];
    for (int si = 0; si < nshapes; si++) {
        const dims *d = &shapes[si];
        for (int c = 0; c < RB_NCELLS; c++) {
            if (!use_c[c]) continue;
            rb_shape s = {(rb_cell)c, d->T, d->N, d->I, d->H};
            rb_tset ts;
            rb_oracle o;
            if (rb_tset_alloc(&ts, &s, err, sizeof err) != 0) rb_die("check: %s", err);
            rb_tset_init(&ts, seed + (uint64_t)si);
            if (rb_oracle_run(&o, &ts, err, sizeof err) != 0) rb_die("check: %s", err);
            for (int vi = 0; vi < nv; vi++) {
                const rb_variant *v = rb_variant_at(vi);
                if (!use_v[vi] || rb_variant_why_not(v, (rb_cell)c)) continue;
                const int parallel = rb_variant_is_parallel(v);
                for (int k = 0; k < (parallel ? nthreads : 1); k++) {
                    const int th = parallel ? threads[k] : 1;
                    rb_check_result res;
                    rb_check_one(v, &ts, &o, th, &res);
                    checks++;
                    for (int id = 0; id < RB_NTENSORS; id++) {
                        if (res.have_infer[id]) agg_add(&table[vi][c][1][id], &res.infer[id]);
                        if (res.have_train[id]) agg_add(&table[vi][c][0][id], &res.train[id]);
                    }
                    if (res.err[0]) table[vi][c][0][RB_Y].pass = 0;
                    char inputs[64];
                    snprintf(inputs, sizeof inputs, "--seed %llu", (unsigned long long)(seed + (uint64_t)si));
                    rb_check_report(stdout, v, &s, th, inputs, &res, 0);
                    if (!res.pass) failures++;
                    if (verbose)
                        printf("%s %s %s T=%d N=%d I=%d H=%d threads=%d\n", res.pass ? "ok  " : "FAIL",
                               v->name, rb_cell_name((rb_cell)c), d->T, d->N, d->I, d->H, th);
                }
            }
            rb_oracle_free(&o);
            rb_tset_free(&ts);
        }
    }

    printf("agreement with the double reference over %d shapes (worst over shapes and threads; "
           "ratio = error / tolerance, pass <= 1):\n", nshapes);
    printf("%-20s %-9s %-6s %-11s %11s %11s %9s %s\n", "variant", "cell", "pass", "tensor", "max_abs",
           "max_rel", "ratio", "verdict");
    for (int vi = 0; vi < nv; vi++) {
        const rb_variant *v = rb_variant_at(vi);
        if (!use_v[vi]) continue;
        for (int c = 0; c < RB_NCELLS; c++) {
            if (!use_c[c]) continue;
            const char *why = rb_variant_why_not(v, (rb_cell)c);
            if (why) {
                printf("%-20s %-9s %-6s %-11s %11s %11s %9s SKIPPED (%s)\n", v->name,
                       rb_cell_name((rb_cell)c), "-", "-", "-", "-", "-", why);
                skipped++;
                continue;
            }
            for (int inf = 1; inf >= 0; inf--)
                for (int id = 0; id < RB_NTENSORS; id++) {
                    const agg *a = &table[vi][c][inf][id];
                    if (!a->have) continue;
                    printf("%-20s %-9s %-6s %-11s %11.3g %11.3g %9.3f %s\n", v->name,
                           rb_cell_name((rb_cell)c), inf ? "infer" : "train", rb_tensor_name((rb_tensor_id)id),
                           a->max_abs, a->max_rel, a->worst_ratio, a->pass ? "ok" : "MISMATCH");
                }
        }
    }
    all_ok &= failures == 0;
    if (checks == 0) {
        /* A check that ran nothing must not read as a pass. */
        printf("\ncheck: 0 variant runs, %d (variant, cell) pairs skipped; NOTHING CHECKED\n", skipped);
        fprintf(stderr, "rnnbench: check: nothing was checked: no selected variant can run the selected cells "
                        "on this machine (see the SKIPPED lines)\n");
        return 1;
    }
    printf("\ncheck: %d variant runs, %d failed, %d (variant, cell) pairs skipped; %s\n", checks, failures,
           skipped, all_ok ? "all agree" : "DISAGREEMENT");
    return all_ok ? 0 : 1;
}
