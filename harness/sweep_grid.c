/*
 * sweep_grid.c: the grid of `rnnbench sweep` (sweep.h): the variants a
 * list or a preset names, the presets, the grid the options give, its
 * expansion into points, and its description for meta.json.
 */
#include "sweep.h"
#include "placement.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "lengths.h"
#include "strset.h"

/* ------------------------------------------------------------ variants */

static int is_naive(const rb_variant *v) { return strcmp(v->name, "naive") == 0; }

static void note(rb_sweep_grid *g, const char *name, const char *why)
{
    for (int i = 0; i < g->nnotes; i++)
        if (strncmp(g->notes[i], name, strlen(name)) == 0 && g->notes[i][strlen(name)] == ':') return;
    if (g->nnotes < RB_SWEEP_MAXV)
        snprintf(g->notes[g->nnotes++], sizeof g->notes[0], "%s: %s", name, why);
}

static void add_variant(rb_sweep_block *b, const rb_variant *v)
{
    for (int i = 0; i < b->nv; i++)
        if (b->v[i] == v) return;
    if (b->nv == RB_SWEEP_MAXV) rb_die("sweep: more than %d variants in one grid", RB_SWEEP_MAXV);
    b->v[b->nv++] = v;
}

/* `best`: the fastest-by-design runnable variants: every runnable variant
 * of the best ISA family present (avx512, else avx2, else neon), plus the
 * library peers and, if with_naive, naive. Variants of those kinds that
 * cannot run here are noted. */
static void add_best(rb_sweep_grid *g, rb_sweep_block *b, int with_naive)
{
    static const char *const families[] = {"avx512", "avx2", "neon"};
    const char *family = NULL;
    for (int f = 0; f < 3 && !family; f++)
        for (int i = 0; i < rb_variant_count(); i++) {
            const rb_variant *v = rb_variant_at(i);
            if (strcmp(v->isa, families[f]) == 0 && !rb_variant_why_not_any(v)) {
                family = families[f];
                break;
            }
        }
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        const char *why = rb_variant_why_not_any(v);
        int wanted = (family && strcmp(v->isa, family) == 0) || strcmp(v->isa, "library") == 0 ||
                     (with_naive && is_naive(v));
        /* Say why a variant `best` would take is missing: a peer or naive,
         * or a built variant of a preferred ISA the CPU lacks (not those
         * of another architecture, which this build leaves out). */
        int preferred = 0;
        for (int f = 0; f < 3 && !(family && strcmp(families[f], family) == 0); f++)
            preferred |= strcmp(v->isa, families[f]) == 0;
        if (!family) preferred = 1;
        if (why && (strcmp(v->isa, "library") == 0 || is_naive(v) || (preferred && v->ops)))
            note(g, v->name, why);
        if (wanted && !why) add_variant(b, v);
    }
}

/* A preset naming a variant: added when the registry has it and it can
 * run here, else noted. */
static void add_named(rb_sweep_grid *g, rb_sweep_block *b, const char *name)
{
    const rb_variant *v = rb_variant_find(name);
    if (!v) {
        note(g, name, "not in this build's registry");
        return;
    }
    const char *why = rb_variant_why_not_any(v);
    if (why) note(g, name, why);
    else add_variant(b, v);
}

/* --variants: names, `all` (every registry line; those that cannot run
 * give skipped rows) and `best`. */
static void parse_variants(rb_sweep_grid *g, rb_sweep_block *b, const char *s)
{
    char buf[1024], *items[256];
    const int n = rb_split_list(s, "--variants", buf, sizeof buf, items, 256);
    b->nv = 0;
    for (int i = 0; i < n; i++) {
        const char *tok = items[i];
        if (strcmp(tok, "all") == 0) {
            for (int k = 0; k < rb_variant_count(); k++) add_variant(b, rb_variant_at(k));
        } else if (strcmp(tok, "best") == 0) {
            add_best(g, b, 1);
        } else {
            const rb_variant *v = rb_variant_find(tok);
            if (!v) rb_die("sweep: unknown variant '%s' (see rnnbench list; or all, best)", tok);
            add_variant(b, v);
        }
    }
    if (b->nv == 0) rb_die("sweep: --variants %s selects no variant that can run here", s);
}

/* ---------------------------------------------------------------- lists */

static unsigned parse_passes(const char *s)
{
    if (strcmp(s, "all") == 0) return (1u << RB_NPASSES) - 1;
    char buf[256], *items[64];
    const int n = rb_split_list(s, "--passes", buf, sizeof buf, items, 64);
    unsigned m = 0;
    for (int i = 0; i < n; i++) {
        rb_pass p;
        if (rb_pass_parse(items[i], &p) != 0)
            rb_die("sweep: unknown pass '%s' (passes: infer train bwd fwdbwd, or all)", items[i]);
        m |= 1u << p;
    }
    if (!m) rb_die("--passes: empty list");
    return m;
}

/* 1, 2, 4, ... below cores, then cores, plus one NUMA node's and one
 * package's cores (harness/placement.c): a scaling curve that stays short
 * on a 128-core node. */
static int all_threads(int cores, int *out)
{
    static rb_placement pl; /* ~16 KiB: off the stack; written here only */
    rb_placement_plan(&pl, -1);
    return rb_threads_axis(cores, &pl, out, RB_SWEEP_MAXLIST);
}

static int parse_threads(const char *s, int cores, int *out)
{
    if (strcmp(s, "all") == 0) return all_threads(cores, out);
    return rb_parse_int_list(s, "--threads", 1, 4096, out, RB_SWEEP_MAXLIST);
}

/* --dirs: direction modes, or all. */
static int parse_dirs(const char *s, rb_dir *out)
{
    if (strcmp(s, "all") == 0) {
        for (int d = 0; d < RB_NDIRS; d++) out[d] = (rb_dir)d;
        return RB_NDIRS;
    }
    char buf[256], *items[RB_NDIRS + 1];
    const int n = rb_split_list(s, "--dirs", buf, sizeof buf, items, RB_NDIRS);
    for (int i = 0; i < n; i++) {
        if (rb_dir_parse(items[i], &out[i]) != 0)
            rb_die("sweep: unknown direction mode '%s' (modes: l2r r2l bi_concat bi_sum, or all)", items[i]);
        for (int j = 0; j < i; j++)
            if (out[j] == out[i]) rb_die("sweep: --dirs names %s twice", items[i]);
    }
    return n;
}

/* One --lengths item: full, random or random:MIN (MIN >= 1; random:1 is
 * written random, so one spec has one key). Explicit lists of lengths are
 * for `run`: in a comma-separated axis they cannot be told apart. */
static void parse_length_spec(const char *item, char *out)
{
    if (strcmp(item, "full") == 0 || strcmp(item, "random") == 0) {
        snprintf(out, RB_SWEEP_LENSPEC, "%s", item);
        return;
    }
    if (strncmp(item, "random:", 7) == 0) {
        const char *m = item + 7;
        char *end;
        long min = *m >= '1' && *m <= '9' ? strtol(m, &end, 10) : 0;
        if (min >= 1 && min <= RB_MAX_DIM && *end == '\0') {
            if (min == 1) snprintf(out, RB_SWEEP_LENSPEC, "random");
            else snprintf(out, RB_SWEEP_LENSPEC, "random:%ld", min);
            return;
        }
        rb_die("sweep: --lengths %s: MIN must be an integer from 1 to %d", item, RB_MAX_DIM);
    }
    rb_die("sweep: unknown lengths '%s' (full, random, or random:MIN)", item);
}

static int parse_lengths(const char *s, char (*out)[RB_SWEEP_LENSPEC])
{
    char buf[512], *items[RB_SWEEP_MAXLENS + 1];
    const int n = rb_split_list(s, "--lengths", buf, sizeof buf, items, RB_SWEEP_MAXLENS);
    for (int i = 0; i < n; i++) {
        parse_length_spec(items[i], out[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(out[j], out[i]) == 0) rb_die("sweep: --lengths names %s twice", out[i]);
    }
    return n;
}

/* random:MIN needs MIN <= T at every T of the block. */
static void check_lengths_fit(const rb_sweep_block *b)
{
    for (int i = 0; i < b->nlen; i++) {
        if (strncmp(b->len[i], "random:", 7) != 0) continue;
        const long min = strtol(b->len[i] + 7, NULL, 10);
        for (int t = 0; t < b->nT; t++)
            if (min > b->T[t])
                rb_die("sweep: --lengths %s: MIN is above T = %d (lengths lie in [MIN, T])", b->len[i],
                       b->T[t]);
    }
}

static int set_list(int *dst, const int *src, int n)
{
    memcpy(dst, src, sizeof(int) * (size_t)n);
    return n;
}
#define SET(field, ...)                                                   \
    do {                                                                  \
        static const int v_[] = {__VA_ARGS__};                            \
        b->n##field = set_list(b->field, v_, (int)(sizeof v_ / sizeof v_[0])); \
    } while (0)

static rb_sweep_block *new_block(rb_sweep_grid *g, const char *what)
{
    if (g->nblocks == RB_SWEEP_MAXBLOCKS) rb_die("internal: too many sweep blocks");
    rb_sweep_block *b = &g->blocks[g->nblocks++];
    memset(b, 0, sizeof *b);
    b->what = what;
    return b;
}

/* A block of the fastest-by-design variants and the library peers, for
 * these cells and passes (the presets' usual start). */
static rb_sweep_block *best_block(rb_sweep_grid *g, const char *what, unsigned cells, unsigned passes)
{
    rb_sweep_block *b = new_block(g, what);
    add_best(g, b, 0);
    b->cells = cells;
    b->passes = passes;
    return b;
}

/* ------------------------------------------------------------- presets */

static void set_dirs(rb_sweep_block *b, const rb_dir *d, int n)
{
    memcpy(b->dir, d, sizeof *d * (size_t)n);
    b->ndir = n;
}

static void set_lengths(rb_sweep_block *b, const char *const *spec, int n)
{
    for (int i = 0; i < n; i++) snprintf(b->len[i], sizeof b->len[i], "%s", spec[i]);
    b->nlen = n;
}

/* The network shapes of quick and full. All cores only, as DeepBench and
 * benchdnn measure them (the scaling curves stay with one layer), but for
 * the small layers-by-mode block of full, which has the threads axis.
 *   - layers x modes: lstm and gru_lbr, L {1, 2, 4} x every mode, T 25,
 *     N 16, H 128: time per token against depth and direction;
 *   - GNMT's encoder (benchdnn's GNMT shapes): its bidirectional-concat
 *     LSTM layer at hidden 256 and 512, T 50, N 64, I = H, and (full) the
 *     unidirectional stack above it (L 3, I = 2H, the concat's width);
 *   - DeepSpeech2-like: bidirectional-concat gru_lbr stacks, L 3, H 256
 *     (quick) and L {3, 5}, H {512, 800} (full), T 50, N 16;
 *   - variable lengths: lstm and gru_lbr, T 50, N 64, H 256 at full length
 *     and at lengths uniform in [1, T] (lengths.h), l2r (quick) and
 *     bi_concat (full); variants without variable lengths are skipped rows
 *     that say so. naive on a small shape, l2r and bi_concat, so that a
 *     build without a variable-length fast variant still has the pair.
 * In quick (infer and fwdbwd) they add 360 points and, by the estimate of
 * --dry-run (which matched the 6.2 min of the rest), 0.8 min on a 2-core
 * AVX2 machine; GNMT at H 512 is most of it. */
static void preset_networks(rb_sweep_grid *g, unsigned passes, int full)
{
    static const rb_dir all_dirs[] = {RB_DIR_L2R, RB_DIR_R2L, RB_DIR_BI_CONCAT, RB_DIR_BI_SUM};
    static const rb_dir bi[] = {RB_DIR_BI_CONCAT}, l2r[] = {RB_DIR_L2R};
    static const rb_dir l2r_bi[] = {RB_DIR_L2R, RB_DIR_BI_CONCAT};
    static const char *const full_random[] = {"full", "random"};
    rb_sweep_block *b = best_block(g, "networks: layers x direction modes (lstm, gru_lbr)",
                                   RB_CELL_BIT(RB_LSTM) | RB_CELL_BIT(RB_GRU_LBR), passes);
    SET(T, 25);
    SET(N, 16);
    SET(H, 128);
    SET(L, 1, 2, 4);
    set_dirs(b, all_dirs, 4);
    b->nthr = full ? all_threads(g->cores, b->thr) : set_list(b->thr, &g->cores, 1);

    b = best_block(g, "GNMT encoder (benchdnn): bidirectional-concat LSTM layer",
                   RB_CELL_BIT(RB_LSTM), passes);
    SET(T, 50);
    SET(N, 64);
    SET(H, 256, 512);
    SET(L, 1);
    set_dirs(b, bi, 1);
    b->nthr = set_list(b->thr, &g->cores, 1);

    for (int k = 0; full && k < 2; k++) { /* the stack above it: I = 2H, the concat's width */
        b = best_block(g,
                       k == 0 ? "GNMT encoder (benchdnn): the l2r LSTM stack above it, H 256"
                              : "GNMT encoder (benchdnn): the l2r LSTM stack above it, H 512",
                       RB_CELL_BIT(RB_LSTM), passes);
        SET(T, 50);
        SET(N, 64);
        SET(L, 3);
        set_dirs(b, l2r, 1);
        b->nthr = set_list(b->thr, &g->cores, 1);
        b->nH = 1;
        b->H[0] = k == 0 ? 256 : 512;
        b->nI = 1;
        b->I[0] = 2 * b->H[0];
    }

    b = best_block(g, "DeepSpeech2-like: bidirectional-concat gru_lbr stacks",
                   RB_CELL_BIT(RB_GRU_LBR), passes);
    SET(T, 50);
    SET(N, 16);
    if (full) {
        SET(H, 512, 800);
        SET(L, 3, 5);
    } else {
        SET(H, 256);
        SET(L, 3);
    }
    set_dirs(b, bi, 1);
    b->nthr = set_list(b->thr, &g->cores, 1);

    b = best_block(g, "variable lengths: full against uniform in [1, T]",
                   RB_CELL_BIT(RB_LSTM) | RB_CELL_BIT(RB_GRU_LBR), passes);
    SET(T, 50);
    SET(N, 64);
    SET(H, 256);
    set_dirs(b, full ? l2r_bi : l2r, full ? 2 : 1);
    set_lengths(b, full_random, 2);
    b->nthr = set_list(b->thr, &g->cores, 1);

    b = new_block(g, "variable lengths, naive on a small shape");
    add_named(g, b, "naive");
    b->cells = RB_CELL_BIT(RB_LSTM) | RB_CELL_BIT(RB_GRU_LBR);
    b->passes = passes;
    SET(T, 25);
    SET(N, 16);
    SET(H, 64);
    set_dirs(b, l2r_bi, 2);
    set_lengths(b, full_random, 2);
    SET(thr, 1);
}

#define P(x) (1u << (x))

/* quick: what `make bench` runs. The fast variants and the peers on every
 * cell, inference and a training step (fwdbwd), T {25,50} x N {1,16,64} x
 * H {64,256,512}, I = H, threads 1..all cores; naive (about 50x slower)
 * only at H = 64, T = 25. reps 3 (cmd_sweep.c). Sized by measurement on a
 * 2-core AVX-512 VM shared with other jobs: the five cells' 1640 points
 * took 2.3 min (load average about 3); with the train pass as well (2460
 * points) it took 9.2 min under a load average of 4 to 9, too close to the
 * 10-minute budget of `make bench`, so train is left to --preset full and
 * to grids (--passes train). With seven cells and the omp_grid variants
 * it is 2800 points: 6.2 min on a 2-core AVX2 (Zen 3) VM, in the
 * fresh-machine test (the --dry-run estimate of those points: 6.3 min).
 * The networks (preset_networks) add 360 points, 124 of them skipped rows
 * until the fast variants run variable lengths and onednn networks: 0.8
 * min by the same estimate, 3160 points and about 7 min in all. --passes
 * narrows a preset, it cannot add to it. */
static void preset_quick(rb_sweep_grid *g)
{
    rb_sweep_block *b = best_block(g, "fastest-by-design variants and library peers",
                                   RB_ALL_CELLS, P(RB_PASS_INFER) | P(RB_PASS_FWDBWD));
    SET(T, 25, 50);
    SET(N, 1, 16, 64);
    SET(H, 64, 256, 512);
    b->nthr = all_threads(g->cores, b->thr);

    b = new_block(g, "naive (the literal reference) on small shapes only");
    add_named(g, b, "naive");
    b->cells = RB_ALL_CELLS;
    b->passes = P(RB_PASS_INFER) | P(RB_PASS_FWDBWD);
    SET(T, 25);
    SET(N, 1, 16);
    SET(H, 64);
    SET(thr, 1);

    preset_networks(g, P(RB_PASS_INFER) | P(RB_PASS_FWDBWD), 0);
}

/* DeepBench (baidu-research/DeepBench, code/kernels/rnn_problems.h): the
 * training shapes timed forward + backward (fwdbwd), the same hidden sizes
 * and lengths with N in {1,2,4} timed as inference. DeepBench times cuDNN
 * with CUDNN_SKIP_INPUT, so I = H here and gflops_deepbench is its count.
 * "vanilla" is cuDNN's RNN_RELU; cuDNN's GRU is linear-before-reset. All
 * cores, as DeepBench measures a whole device. */
static void deepbench_pair(rb_sweep_grid *g, const char *what_train, const char *what_inf,
                           rb_cell cell, const int *H, int nH, const int *T, int nT,
                           const int *Ntrain, int nNtrain)
{
    static const int Ninf[] = {1, 2, 4};
    for (int k = 0; k < 2; k++) {
        rb_sweep_block *b = best_block(g, k == 0 ? what_train : what_inf,
                                       RB_CELL_BIT(cell), k == 0 ? P(RB_PASS_FWDBWD) : P(RB_PASS_INFER));
        b->nH = set_list(b->H, H, nH);
        b->nT = set_list(b->T, T, nT);
        b->nN = k == 0 ? set_list(b->N, Ntrain, nNtrain) : set_list(b->N, Ninf, 3);
        b->nthr = 1;
        b->thr[0] = g->cores;
    }
}

static void preset_deepbench(rb_sweep_grid *g)
{
    static const int vanH[] = {1760, 2048, 2560}, vanT[] = {50};
    static const int lstmH[] = {512, 1024, 2048, 4096}, lstmT[] = {25};
    static const int gruH[] = {1536, 2048, 2560, 2816}, gruT[] = {187, 375, 750, 1500};
    static const int N4[] = {16, 32, 64, 128}, N32[] = {32};
    deepbench_pair(g, "DeepBench training, vanilla (rnn_relu)", "DeepBench inference, vanilla (rnn_relu)",
                   RB_RNN_RELU, vanH, 3, vanT, 1, N4, 4);
    deepbench_pair(g, "DeepBench training, LSTM", "DeepBench inference, LSTM", RB_LSTM, lstmH, 4,
                   lstmT, 1, N4, 4);
    deepbench_pair(g, "DeepBench training, GRU (gru_lbr, as cuDNN)", "DeepBench inference, GRU (gru_lbr)",
                   RB_GRU_LBR, gruH, 4, gruT, 4, N32, 1);
}

/* full: every cell, pass, runnable variant and the whole shape grid;
 * naive only up to H = 256 (at H = 1024, N = 128, T = 100 one fwdbwd
 * would take minutes). */
static void preset_full(rb_sweep_grid *g)
{
    rb_sweep_block *b = new_block(g, "every runnable variant but naive, whole grid");
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        const char *why = rb_variant_why_not_any(v);
        if (why) note(g, v->name, why);
        else if (!is_naive(v)) add_variant(b, v);
    }
    b->cells = RB_ALL_CELLS;
    b->passes = (1u << RB_NPASSES) - 1;
    SET(T, 10, 25, 50, 100);
    SET(N, 1, 4, 16, 64, 128);
    SET(H, 64, 128, 256, 512, 1024);
    b->nthr = all_threads(g->cores, b->thr);

    rb_sweep_block *n = new_block(g, "naive up to H = 256");
    add_named(g, n, "naive");
    n->cells = b->cells;
    n->passes = b->passes;
    n->nT = set_list(n->T, b->T, b->nT);
    n->nN = set_list(n->N, b->N, b->nN);
    static const int smallH[] = {64, 128, 256};
    n->nH = set_list(n->H, smallH, 3);
    n->nthr = 1;
    n->thr[0] = 1;

    preset_networks(g, (1u << RB_NPASSES) - 1, 1);
}

#undef SET

/* ---------------------------------------------------------------- grid */

void rb_sweep_grid_build(rb_sweep_grid *g, const rb_sweep_spec *sp, int cores)
{
    memset(g, 0, sizeof *g);
    g->cores = cores < 1 ? 1 : cores;
    if (sp->preset) {
        if (sp->T || sp->N || sp->I || sp->H || sp->layers || sp->dirs || sp->lengths)
            rb_die("sweep: --preset %s fixes the shapes; --T --N --I --H --layers --dirs --lengths go "
                   "without a preset", sp->preset);
        if (strcmp(sp->preset, "quick") == 0) preset_quick(g);
        else if (strcmp(sp->preset, "deepbench") == 0) preset_deepbench(g);
        else if (strcmp(sp->preset, "full") == 0) preset_full(g);
        else rb_die("sweep: unknown preset '%s' (presets: quick deepbench full)", sp->preset);
        g->preset = strcmp(sp->preset, "quick") == 0 ? "quick"
                    : strcmp(sp->preset, "deepbench") == 0 ? "deepbench" : "full";
        /* Options narrow a preset: cells and passes intersect, variants and
         * threads replace. */
        unsigned cells = sp->cells ? rb_parse_cell_mask(sp->cells, "sweep") : RB_ALL_CELLS;
        unsigned passes = sp->passes ? parse_passes(sp->passes) : (1u << RB_NPASSES) - 1;
        int thr[RB_SWEEP_MAXLIST], nthr = sp->threads ? parse_threads(sp->threads, g->cores, thr) : 0;
        int any = 0;
        for (int i = 0; i < g->nblocks; i++) {
            rb_sweep_block *b = &g->blocks[i];
            b->cells &= cells;
            b->passes &= passes;
            if (sp->variants) parse_variants(g, b, sp->variants);
            if (nthr) b->nthr = set_list(b->thr, thr, nthr);
            any |= b->cells && b->passes;
        }
        if (!any) rb_die("sweep: --cells/--passes leave nothing of preset %s", g->preset);
        return;
    }
    rb_sweep_block *b = new_block(g, "the grid of the options");
    parse_variants(g, b, sp->variants ? sp->variants : "best");
    b->cells = rb_parse_cell_mask(sp->cells ? sp->cells : "all", "sweep");
    b->passes = parse_passes(sp->passes ? sp->passes : "infer");
    b->nT = rb_parse_int_list(sp->T ? sp->T : "25", "--T", 1, RB_MAX_DIM, b->T, RB_SWEEP_MAXLIST);
    b->nN = rb_parse_int_list(sp->N ? sp->N : "16", "--N", 1, RB_MAX_DIM, b->N, RB_SWEEP_MAXLIST);
    b->nH = rb_parse_int_list(sp->H ? sp->H : "256", "--H", 1, RB_MAX_DIM, b->H, RB_SWEEP_MAXLIST);
    if (sp->I && strcmp(sp->I, "H") != 0)
        b->nI = rb_parse_int_list(sp->I, "--I", 1, RB_MAX_DIM, b->I, RB_SWEEP_MAXLIST);
    b->nthr = parse_threads(sp->threads ? sp->threads : "1", g->cores, b->thr);
    b->nL = rb_parse_int_list(sp->layers ? sp->layers : "1", "--layers", 1, RB_SWEEP_MAXLAYERS, b->L,
                              RB_SWEEP_MAXLIST);
    b->ndir = parse_dirs(sp->dirs ? sp->dirs : "l2r", b->dir);
    b->nlen = parse_lengths(sp->lengths ? sp->lengths : "full", b->len);
    check_lengths_fit(b);
}

void rb_sweep_key(const rb_sweep_point *pt, char *buf, size_t n)
{
    const rb_shape *s = &pt->p.s;
    snprintf(buf, n, "%s,%s,%s,%d,%d,%d,%d,%d,%d,%s,%s", pt->v->name, rb_cell_name(s->cell),
             rb_pass_name(pt->pass), s->T, s->N, s->I, s->H, pt->p.threads, rb_shape_layers(s),
             rb_dir_name(s->dir), pt->lengths[0] ? pt->lengths : "full");
}

/* The lengths of the points, made as the points are: one array per
 * distinct (T, N, spec), appended to ints; a point holds its offset
 * (NONE for full length) until the block is final. */
#define NONE ((size_t)-1)
typedef struct {
    rb_strset *seen;   /* "T,N,spec" of the arrays made */
    int *ints;
    size_t n, cap;
    struct { int T, N; char spec[RB_SWEEP_LENSPEC]; size_t off; } *arr;
    size_t narr, caparr;
} lengths_pool;

static size_t pool_lengths(lengths_pool *lp, int T, int N, const char *spec, uint64_t seed)
{
    if (strcmp(spec, "full") == 0) return NONE;
    for (size_t i = 0; i < lp->narr; i++)
        if (lp->arr[i].T == T && lp->arr[i].N == N && strcmp(lp->arr[i].spec, spec) == 0) return lp->arr[i].off;
    if (lp->n + (size_t)N > lp->cap) {
        size_t cap = lp->cap ? lp->cap : 1024;
        while (cap < lp->n + (size_t)N) cap *= 2;
        int *ni = realloc(lp->ints, cap * sizeof *ni);
        if (!ni) rb_die("sweep: out of memory for the lengths of %zu sequences", cap);
        lp->ints = ni;
        lp->cap = cap;
    }
    if (lp->narr == lp->caparr) {
        lp->caparr = lp->caparr ? 2 * lp->caparr : 16;
        void *na = realloc(lp->arr, lp->caparr * sizeof *lp->arr);
        if (!na) rb_die("sweep: out of memory");
        lp->arr = na;
    }
    char err[256];
    const int got = rb_lengths_make(spec, T, N, seed, lp->ints + lp->n, err, sizeof err);
    if (got < 0) rb_die("sweep: --lengths %s: %s", spec, err);
    if (got == 0) /* full */
        for (int k = 0; k < N; k++) lp->ints[lp->n + (size_t)k] = T;
    lp->arr[lp->narr].T = T;
    lp->arr[lp->narr].N = N;
    snprintf(lp->arr[lp->narr].spec, sizeof lp->arr[0].spec, "%s", spec);
    lp->arr[lp->narr++].off = lp->n;
    lp->n += (size_t)N;
    return lp->n - (size_t)N;
}

size_t rb_sweep_points(const rb_sweep_grid *g, rb_sweep_point **out)
{
    size_t n = 0, cap = 256;
    rb_sweep_point *pts = malloc(cap * sizeof *pts);
    size_t *off = malloc(cap * sizeof *off);
    rb_strset *seen = rb_strset_new();
    lengths_pool lp = {0};
    if (!pts || !off || !seen) rb_die("sweep: out of memory");
    char key[256];
    static const int one[] = {1};
    static const rb_dir l2r[] = {RB_DIR_L2R};
    static const char full[][RB_SWEEP_LENSPEC] = {"full"};
    for (int bi = 0; bi < g->nblocks; bi++) {
        const rb_sweep_block *b = &g->blocks[bi];
        /* absent network axes: one layer, l2r, full length */
        const int nL = b->nL ? b->nL : 1, *Ls = b->nL ? b->L : one;
        const int nd = b->ndir ? b->ndir : 1;
        const rb_dir *ds = b->ndir ? b->dir : l2r;
        const int nl = b->nlen ? b->nlen : 1;
        const char(*ls)[RB_SWEEP_LENSPEC] = b->nlen ? b->len : full;
        for (int c = 0; c < RB_NCELLS; c++) {
            if (!(b->cells & RB_CELL_BIT(c))) continue;
            for (int il = 0; il < nL; il++)
            for (int id = 0; id < nd; id++)
            for (int ie = 0; ie < nl; ie++)
            for (int it = 0; it < b->nT; it++)
            for (int in = 0; in < b->nN; in++)
            for (int ih = 0; ih < b->nH; ih++)
            for (int ii = 0; ii < (b->nI ? b->nI : 1); ii++)
            for (int p = 0; p < RB_NPASSES; p++) {
                if (!(b->passes & (1u << p))) continue;
                for (int iv = 0; iv < b->nv; iv++)
                for (int ik = 0; ik < b->nthr; ik++) {
                    const rb_variant *v = b->v[iv];
                    rb_sweep_point pt = {0}; /* grid_b = grid_s = 0: the cost model */
                    pt.v = v;
                    pt.pass = (rb_pass)p;
                    pt.p.s.cell = (rb_cell)c;
                    pt.p.s.T = b->T[it];
                    pt.p.s.N = b->N[in];
                    pt.p.s.H = b->H[ih];
                    pt.p.s.I = b->nI ? b->I[ii] : b->H[ih];
                    pt.p.s.layers = Ls[il];
                    pt.p.s.dir = ds[id];
                    snprintf(pt.lengths, sizeof pt.lengths, "%s", ls[ie]);
                    /* serial variants ignore the team size: one point */
                    pt.p.threads = rb_variant_is_parallel(v) ? b->thr[ik] : 1;
                    rb_sweep_key(&pt, key, sizeof key);
                    if (!rb_strset_add(seen, key)) continue;
                    if (n == cap) {
                        cap *= 2;
                        rb_sweep_point *np = realloc(pts, cap * sizeof *pts);
                        size_t *no = realloc(off, cap * sizeof *off);
                        if (!np || !no) rb_die("sweep: out of memory for %zu points", cap);
                        pts = np;
                        off = no;
                    }
                    off[n] = pool_lengths(&lp, pt.p.s.T, pt.p.s.N, pt.lengths, g->seed);
                    pts[n++] = pt;
                }
            }
        }
    }
    /* One block: the points, then the lengths they point into. */
    rb_sweep_point *all = malloc(n * sizeof *all + lp.n * sizeof(int) + 1);
    if (!all) rb_die("sweep: out of memory for %zu points", n);
    int *ints = (int *)(all + n);
    if (lp.n) memcpy(ints, lp.ints, lp.n * sizeof *ints);
    for (size_t i = 0; i < n; i++) {
        all[i] = pts[i];
        all[i].p.s.lengths = off[i] == NONE ? NULL : ints + off[i];
    }
    free(pts);
    free(off);
    free(lp.ints);
    free(lp.arr);
    rb_strset_free(seen);
    *out = all;
    return n;
}
#undef NONE

size_t rb_sweep_points_filter(rb_sweep_point *pts, size_t n,
                              int (*keep)(const rb_sweep_point *pt, size_t index, void *ctx), void *ctx)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep(&pts[i], i, ctx)) pts[k++] = pts[i];
    return k;
}

/* ----------------------------------------------------------- JSON */

static void json_int_list(FILE *f, const char *key, const int *v, int n)
{
    fprintf(f, "\"%s\": [", key);
    for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", v[i]);
    fputc(']', f);
}

void rb_sweep_grid_json(const rb_sweep_grid *g, FILE *f, int indent)
{
    fprintf(f, "{\n%*s\"preset\": ", indent + 2, "");
    rb_json_string(f, g->preset);
    fprintf(f, ",\n%*s\"cores\": %d,\n%*s\"rules\": \"points are the cross product of each block, "
               "blocks in order, duplicates dropped; serial variants ignore the team size and get "
               "one point at threads = 1; I = H where a block has no I list; lengths random are uniform "
               "in [1, T] (random:MIN: in [MIN, T]) from the sweep's seed, the same for every point of "
               "one T and N\",\n%*s\"blocks\": [",
            indent + 2, "", g->cores, indent + 2, "", indent + 2, "");
    for (int bi = 0; bi < g->nblocks; bi++) {
        const rb_sweep_block *b = &g->blocks[bi];
        fprintf(f, "%s\n%*s{\"what\": ", bi ? "," : "", indent + 4, "");
        rb_json_string(f, b->what);
        fputs(", \"variants\": [", f);
        for (int i = 0; i < b->nv; i++) {
            fputs(i ? ", " : "", f);
            rb_json_string(f, b->v[i]->name);
        }
        fputs("], \"cells\": [", f);
        for (int c = 0, k = 0; c < RB_NCELLS; c++)
            if (b->cells & RB_CELL_BIT(c)) {
                fputs(k++ ? ", " : "", f);
                rb_json_string(f, rb_cell_name((rb_cell)c));
            }
        fputs("], \"passes\": [", f);
        for (int p = 0, k = 0; p < RB_NPASSES; p++)
            if (b->passes & (1u << p)) {
                fputs(k++ ? ", " : "", f);
                rb_json_string(f, rb_pass_name((rb_pass)p));
            }
        fputs("], ", f);
        json_int_list(f, "T", b->T, b->nT);
        fputs(", ", f);
        json_int_list(f, "N", b->N, b->nN);
        fputs(", ", f);
        if (b->nI) json_int_list(f, "I", b->I, b->nI);
        else fputs("\"I\": \"H\"", f);
        fputs(", ", f);
        json_int_list(f, "H", b->H, b->nH);
        fputs(", ", f);
        json_int_list(f, "threads", b->thr, b->nthr);
        fputs(", ", f);
        json_int_list(f, "layers", b->nL ? b->L : (const int[]){1}, b->nL ? b->nL : 1);
        fputs(", \"dirs\": [", f);
        for (int i = 0; i < (b->ndir ? b->ndir : 1); i++) {
            fputs(i ? ", " : "", f);
            rb_json_string(f, rb_dir_name(b->ndir ? b->dir[i] : RB_DIR_L2R));
        }
        fputs("], \"lengths\": [", f);
        for (int i = 0; i < (b->nlen ? b->nlen : 1); i++) {
            fputs(i ? ", " : "", f);
            rb_json_string(f, b->nlen ? b->len[i] : "full");
        }
        fputs("]}", f);
    }
    fprintf(f, "\n%*s],\n%*s\"left_out\": [", indent + 2, "", indent + 2, "");
    for (int i = 0; i < g->nnotes; i++) {
        fputs(i ? ", " : "", f);
        rb_json_string(f, g->notes[i]);
    }
    fprintf(f, "]\n%*s}", indent, "");
}

