/*
 * cmd_check.c: `rnnbench check`: every variant this machine can run, every
 * cell, forward outputs and every gradient, on edge shapes, at 1, 2 and 3
 * threads for the parallel variants (the omp_grid ones at 1..8 threads on
 * every grid), against the double oracle. Prints one
 * row per (variant, cell, tensor) with the worst error over all shapes and
 * thread counts, the details of every failure, and exits 1 on any. The
 * network rows of the list that a variant does not run (its features,
 * rb_variant_why_not) are listed after the table with the reason.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmath_check.h"
#include "../variants/variant.h"
#include "check.h"
#include "cli.h"
#include "edge_shapes.h"

typedef rb_edge_shape dims;

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

/* The runs of one variant on one shape: serial variants once; parallel ones
 * at each thread count; the omp_grid variants at 1..8 threads (unless
 * --threads says otherwise), and at each count on every grid B x S with
 * B * S = threads, so that counts dividing neither N nor H (5, 7 on
 * N = 6, H = 13) meet empty groups and empty slices. */
enum { RB_CHECK_MAXRUNS = 64 };
static int check_runs(const rb_variant *v, const int *threads, int nthreads, int threads_given,
                      int runs[][3])
{
    static const int grid_threads[] = {1, 2, 3, 4, 5, 6, 7, 8};
    int n = 0;
    if (!rb_variant_is_parallel(v)) {
        runs[0][0] = 1, runs[0][1] = runs[0][2] = 0;
        return 1;
    }
    const int grid = v->par_kind == RB_PAR_OMP_GRID;
    if (grid && !threads_given) {
        threads = grid_threads;
        nthreads = (int)(sizeof grid_threads / sizeof grid_threads[0]);
    }
    for (int k = 0; k < nthreads; k++) {
        if (!grid) {
            runs[n][0] = threads[k], runs[n][1] = runs[n][2] = 0;
            n++;
            continue;
        }
        for (int b = 1; b <= threads[k] && n < RB_CHECK_MAXRUNS; b++)
            if (threads[k] % b == 0) runs[n][0] = threads[k], runs[n][1] = b, runs[n][2] = threads[k] / b, n++;
    }
    return n;
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
        {"threads", "K[,K..]", "thread counts for parallel variants (omp_grid: 1..8 unless given)", "1,2,3", 0},
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
    const int threads_given = rb_opt_get(opts, nopts, "threads")->seen;
    const int quick = rb_opt_get(opts, nopts, "quick")->seen;
    const int verbose = rb_opt_get(opts, nopts, "verbose")->seen;
    const uint64_t seed = rb_parse_u64(rb_opt_get(opts, nopts, "seed")->value, "--seed");
    /* The edge shapes (edge_shapes.h); --quick keeps the rows marked quick. */
    const dims *shapes[64];
    int nshapes = 0;
    for (int i = 0; i < rb_edge_shape_count && nshapes < 64; i++)
        if (!quick || rb_edge_shapes[i].quick) shapes[nshapes++] = &rb_edge_shapes[i];

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
    static const char *row_why[256][64];                /* [variant][shape]: why not run */
    memset(table, 0, sizeof table);
    memset(row_why, 0, sizeof row_why);
    int row_skips = 0;
    int checks = 0, failures = 0, skipped = 0;
    char err[256];
    for (int si = 0; si < nshapes; si++) {
        const dims *d = shapes[si];
        for (int c = 0; c < RB_NCELLS; c++) {
            if (!use_c[c]) continue;
            const rb_shape s = rb_edge_shape_of(d, (rb_cell)c);
            rb_tset ts;
            rb_oracle o;
            if (rb_tset_alloc(&ts, &s, err, sizeof err) != 0) rb_die("check: %s", err);
            rb_tset_init(&ts, seed + (uint64_t)si);
            if (rb_oracle_run(&o, &ts, err, sizeof err) != 0) rb_die("check: %s", err);
            for (int vi = 0; vi < nv; vi++) {
                const rb_variant *v = rb_variant_at(vi);
                const rb_problem one = {.s = s, .threads = 1};
                if (!use_v[vi]) continue;
                const char *why = rb_variant_why_not(v, &one);
                if (why) {
                    /* the cell alone is refused in the table below; a
                     * network row the variant's features lack, here */
                    const rb_problem cell_only = {.s = {.cell = (rb_cell)c}, .threads = 1};
                    if (!rb_variant_why_not(v, &cell_only) && !row_why[vi][si]) {
                        row_why[vi][si] = why;
                        row_skips++;
                    }
                    continue;
                }
                int runs[RB_CHECK_MAXRUNS][3]; /* threads, grid B, grid S */
                const int nruns = check_runs(v, threads, nthreads, threads_given, runs);
                for (int k = 0; k < nruns; k++) {
                    const int th = runs[k][0];
                    char thbuf[64];
                    if (runs[k][1]) snprintf(thbuf, sizeof thbuf, "threads=%d grid=%dx%d", th, runs[k][1], runs[k][2]);
                    else snprintf(thbuf, sizeof thbuf, "threads=%d", th);
                    rb_check_result res;
                    rb_check_grid(v, &ts, &o, th, runs[k][1], runs[k][2], &res);
                    checks++;
                    for (int id = 0; id < RB_NTENSORS; id++) {
                        if (res.have_infer[id]) agg_add(&table[vi][c][1][id], &res.infer[id]);
                        if (res.have_train[id]) agg_add(&table[vi][c][0][id], &res.train[id]);
                    }
                    if (res.err[0]) table[vi][c][0][RB_Y].pass = 0;
                    char inputs[64];
                    snprintf(inputs, sizeof inputs, "--seed %llu", (unsigned long long)(seed + (uint64_t)si));
                    const rb_problem pr = {.s = s, .threads = th, .grid_b = runs[k][1], .grid_s = runs[k][2]};
                    rb_check_report(stdout, v, &pr, inputs, &res, 0);
                    if (!res.pass) failures++;
                    if (verbose) {
                        char net[512];
                        printf("%s %s %s T=%d N=%d I=%d H=%d%s %s\n", res.pass ? "ok  " : "FAIL", v->name,
                               rb_cell_name((rb_cell)c), d->T, d->N, d->I, d->H,
                               rb_shape_net_text(&s, 0, net, sizeof net), thbuf);
                    }
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
            const rb_problem one = {.s = {.cell = (rb_cell)c}, .threads = 1};
            const char *why = rb_variant_why_not(v, &one);
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
    if (row_skips) {
        printf("\nnetwork rows not run (%d (variant, shape) pairs; the variant's features lack them):\n",
               row_skips);
        for (int vi = 0; vi < nv; vi++)
            for (int si = 0; si < nshapes; si++) {
                if (!row_why[vi][si]) continue;
                char net[512];
                const rb_shape s = rb_edge_shape_of(shapes[si], RB_LSTM);
                printf("  %-20s T=%d N=%d I=%d H=%d%s: %s\n", rb_variant_at(vi)->name, s.T, s.N, s.I, s.H,
                       rb_shape_net_text(&s, 0, net, sizeof net), row_why[vi][si]);
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
