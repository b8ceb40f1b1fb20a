/*
 * network.c: networks over a variant's layer ops (see network.h).
 *
 * Concurrent directions. The two directions of a bi_concat or bi_sum layer
 * are independent until their outputs meet, so a team of K threads can run
 * them at once, direction 0 on K - K/2 threads and direction 1 on K/2
 * (each (l, d) plan is created with its half). One OpenMP region of two
 * threads with proc_bind(spread) splits the places in two (libgomp gives
 * the first, larger partition to thread 0, hence direction 0 gets the
 * larger half); each direction's own team then binds inside its partition
 * (nested: max-active-levels is raised to two levels below the caller when
 * a half has more than one thread). Each direction has its own scratch
 * (reversed input, states, dy, dx); the concat/sum of the outputs, and in
 * backward the sum of the two dx into the layer below's gradient, run
 * after both directions finish.
 *
 * Where it pays (the rule, decided at plan time; RNNBENCH_BIDIR=serial or
 * concurrent overrides it, auto or unset keeps it): see bidir_pays().
 * Never concurrent, whatever RNNBENCH_BIDIR says: a variant that does not
 * use a team (its registry line's rb_parallel_kind), one thread, a forced
 * --grid (it sizes each layer's team), and a library variant at more than
 * two threads (OpenBLAS's thread count is process-wide: halves of more
 * than one thread would set each other's).
 */
#include "network.h"

#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/platform/memory.h"

/* The scratch of one direction: concurrent directions each have their
 * own. */
typedef struct {
    float *xrev;  /* [rows][Imax] the layer's input, read backwards   */
    float *st[8]; /* [N][H] sorted h0 c0 hT cT dhT dcT dh0 dc0         */
    float *dyd;   /* [rows][H] this direction's dy (in its own order)  */
    float *dxd;   /* [rows][Imax] this direction's dx                  */
} dir_scratch;

typedef struct {
    const rb_variant_ops *layer;
    rb_problem p;  /* the network problem (lengths copied into len_orig) */
    int L, D, W, Imax, H, N, T;
    int passthrough; /* one l2r layer, full length: the layer ops alone */
    int varlen;      /* the layers get a pack */
    void **plans;    /* [L*D] */
    size_t *ws_off;  /* [L*D] byte offset of each layer's workspace in ws */
    size_t ws_layers; /* bytes of all layer workspaces (aligned)          */
    size_t rows;     /* packed rows: Σ len */

    struct rb_pack pk;
    int *order, *len, *batch, *len_orig;
    size_t *off;

    /* directions: concurrently (conc) on dir_threads[d] threads each */
    int conc;
    int dir_threads[2];
    const char *conc_why; /* for describe: why (not) concurrent */

    /* scratch, floats */
    float *xin;        /* [rows][I] packed x (varlen)                     */
    float *out[2];     /* [rows][W] inference: layer outputs, ping-pong   */
    float *yd;         /* [D][rows][H] inference: each direction's y      */
    float *dout, *din; /* [rows][max(W, I)] backward: ∂L/∂ layer output/input */
    dir_scratch ds[2]; /* [D] */
    float *block;
} net_plan;

enum { ST_H0, ST_C0, ST_HT, ST_CT, ST_DHT, ST_DCT, ST_DH0, ST_DC0 };

static size_t al16(size_t n) { return (n + 15) & ~(size_t)15; }

/* The layer problem of layer l. */
static rb_problem layer_problem(const net_plan *np, int l)
{
    rb_problem q = np->p;
    q.s = rb_layer_shape(&np->p.s, l);
    q.pack = np->varlen ? &np->pk : NULL;
    return q;
}

static int reversed(const net_plan *np, int d) { return np->p.s.dir == RB_DIR_R2L || d == 1; }

/* Training workspace: each layer's own, then per (l, d) its y [rows][H],
 * then per l < L-1 its output [rows][W] (the next layer's input). */
static size_t ws_floats_after_layers(const rb_shape *s, size_t rows)
{
    const int L = rb_shape_layers(s), D = rb_shape_dirs(s);
    return (size_t)L * D * al16(rows * s->H) + (size_t)(L - 1) * al16(rows * rb_out_width(s));
}

static int is_passthrough(const rb_problem *p)
{
    return !rb_shape_is_net(&p->s) && !rb_shape_has_varlen(&p->s);
}

/* Bytes of layer l's own workspace, rounded up to 64. Sized for full
 * length, an upper bound of any pack (a layer's workspace depends on the
 * pack only through its size), and for the network's team: the one size
 * both rb_net_workspace_bytes and the plan's offsets use. */
static size_t layer_ws_bytes(const rb_variant_ops *layer, const rb_problem *p, int l)
{
    rb_problem q = *p;
    q.s = rb_layer_shape(&p->s, l);
    q.pack = NULL;
    return (layer->workspace_bytes(&q) + 63) & ~(size_t)63;
}

size_t rb_net_workspace_bytes(const rb_variant_ops *layer, const rb_problem *p)
{
    if (is_passthrough(p)) {
        rb_problem q = *p;
        q.s.lengths = NULL;
        return layer->workspace_bytes(&q);
    }
    const int L = rb_shape_layers(&p->s), D = rb_shape_dirs(&p->s);
    size_t b = 0;
    for (int l = 0; l < L; l++) b += (size_t)D * layer_ws_bytes(layer, p, l);
    return b + sizeof(float) * ws_floats_after_layers(&p->s, (size_t)rb_tokens(&p->s));
}

/* Sort by length, longest first, ties in batch order; batch sizes and
 * offsets. */
static void make_pack(net_plan *np)
{
    const int N = np->N, T = np->T;
    for (int k = 0; k < N; k++) np->order[k] = k;
    /* insertion sort: stable, and N is a batch */
    for (int k = 1; k < N; k++) {
        const int v = np->order[k];
        int j = k;
        while (j > 0 && np->len_orig[np->order[j - 1]] < np->len_orig[v]) {
            np->order[j] = np->order[j - 1];
            j--;
        }
        np->order[j] = v;
    }
    for (int k = 0; k < N; k++) np->len[k] = np->len_orig[np->order[k]];
    np->off[0] = 0;
    for (int t = 0; t < T; t++) {
        int b = 0;
        while (b < N && np->len[b] > t) b++;
        np->batch[t] = b;
        np->off[t + 1] = np->off[t] + (size_t)b;
    }
    np->pk = (struct rb_pack){T, N, np->order, np->len, np->batch, np->off};
}

void rb_net_plan_destroy(void *plan)
{
    net_plan *np = plan;
    if (!np) return;
    if (np->plans)
        for (int i = 0; i < np->L * np->D; i++)
            if (np->plans[i]) np->layer->plan_destroy(np->plans[i]);
    free(np->plans);
    free(np->ws_off);
    free(np->order);
    free(np->len);
    free(np->batch);
    free(np->len_orig);
    free(np->off);
    rb_free(np->block);
    free(np);
}

/* The auto rule: whether running the two directions at once, on K/2
 * threads each, beats running them one after the other on all K threads,
 * for a variant of work split `kind`. Measured at K = 2 only (a 2-core Zen 3,
 * bi_concat lstm and gru_lbr, L = 2, T = 50, H = I = 256 and 512,
 * N = 1, 4, 16, 64, infer and fwdbwd; geometric mean of the speedups of
 * concurrent over serial):
 *   omp_batch   N <= 16: 1.29x (0.99 .. 1.82); N = 64: 0.97x (0.85 .. 1.07).
 *               Few rows split in two leave each thread short GEMM row
 *               blocks; whole directions give each thread every row.
 *   omp_hidden  N <= 16: 1.06x (0.94 .. 1.34); N = 64: 1.16x (0.97 .. 1.61):
 *               one step barrier per step saved, never clearly slower.
 *   library     blas: N <= 16: 1.58x (0.91 .. 5.65); N = 64: 1.32x (0.99 ..
 *               2.03): OpenBLAS at two threads splits small products badly.
 *   omp_grid    not concluded: its runs got about one core of the shared
 *               machine (process CPU time / wall time <= 1, against 1.3 to
 *               1.9 for the runs above), so it stays serial.
 * So at K = 2: concurrent, except omp_batch from N = 32 (between the
 * measured 16 and 64). Larger teams were not measured (this machine has two
 * cores): they stay serial unless RNNBENCH_BIDIR=concurrent. */
static int bidir_pays(const rb_problem *p, rb_parallel_kind kind)
{
    if (p->threads != 2) return 0;
    switch (kind) {
    case RB_PAR_OMP_BATCH: return p->s.N < 32;
    case RB_PAR_OMP_HIDDEN: return 1;
    case RB_PAR_LIBRARY: return 1;
    default: return 0;
    }
}

/* The work split of the network variant `self`, from its registry line
 * (never guessed from a name); RB_PAR_SERIAL for ops not in the registry. */
static rb_parallel_kind par_kind_of(const rb_variant_ops *self)
{
    for (int i = 0; i < rb_variant_count(); i++)
        if (rb_variant_at(i)->ops == self) return rb_variant_at(i)->par_kind;
    return RB_PAR_SERIAL;
}

/* Decides np->conc, np->dir_threads and np->conc_why (see the top of this
 * file). Returns -1 with err for a bad RNNBENCH_BIDIR. */
static int choose_directions(net_plan *np, const rb_variant_ops *self, const rb_problem *p, char *err,
                             size_t n)
{
    const char *env = getenv("RNNBENCH_BIDIR");
    int force = -1; /* -1 auto, 0 serial, 1 concurrent */
    if (env && *env && strcmp(env, "auto") != 0) {
        if (strcmp(env, "serial") == 0)
            force = 0;
        else if (strcmp(env, "concurrent") == 0)
            force = 1;
        else {
            snprintf(err, n, "RNNBENCH_BIDIR must be serial, concurrent or auto, not '%s'", env);
            return -1;
        }
    }
    const rb_parallel_kind kind = par_kind_of(self);
    const int K = p->threads;
    np->conc = 0;
    np->dir_threads[0] = np->dir_threads[1] = K;
    if (np->D != 2)
        np->conc_why = NULL;
    else if (!rb_parallel_uses_team(kind))
        np->conc_why = "the variant runs one thread";
    else if (K < 2)
        np->conc_why = "one thread";
    else if (p->grid_b || p->grid_s)
        np->conc_why = "--grid sizes each layer's team";
    else if (kind == RB_PAR_LIBRARY && K > 2)
        np->conc_why = "the library's thread count is process-wide";
    else if (force == 0)
        np->conc_why = "RNNBENCH_BIDIR=serial";
    else if (force == 1)
        np->conc = 1, np->conc_why = "RNNBENCH_BIDIR=concurrent";
    else if (bidir_pays(p, kind))
        np->conc = 1, np->conc_why = "where it pays: network.c's rule";
    else
        np->conc_why = K > 2 ? "not measured beyond two threads: network.c's rule" : "network.c's rule";
    if (np->conc) {
        np->dir_threads[0] = K - K / 2;
        np->dir_threads[1] = K / 2;
    }
    return 0;
}

void *rb_net_plan_create(const rb_variant_ops *self, const rb_variant_ops *layer, const rb_problem *p, char *err,
                         size_t n)
{
    net_plan *np = calloc(1, sizeof *np);
    if (!np) {
        snprintf(err, n, "out of memory for the network plan");
        return NULL;
    }
    const rb_shape *s = &p->s;
    np->layer = layer;
    np->p = *p;
    np->L = rb_shape_layers(s);
    np->D = rb_shape_dirs(s);
    np->W = rb_out_width(s);
    np->H = s->H;
    np->N = s->N;
    np->T = s->T;
    np->Imax = s->I > np->W ? s->I : np->W;
    np->passthrough = is_passthrough(p);
    np->varlen = rb_shape_has_varlen(s);
    np->rows = (size_t)rb_tokens(s);
    const int LD = np->L * np->D, N = s->N, T = s->T, H = s->H;
    np->plans = calloc((size_t)LD, sizeof *np->plans);
    np->ws_off = calloc((size_t)LD, sizeof *np->ws_off);
    np->order = calloc((size_t)N, sizeof(int));
    np->len = calloc((size_t)N, sizeof(int));
    np->len_orig = calloc((size_t)N, sizeof(int));
    np->batch = calloc((size_t)T, sizeof(int));
    np->off = calloc((size_t)T + 1, sizeof(size_t));
    if (!np->plans || !np->ws_off || !np->order || !np->len || !np->len_orig || !np->batch || !np->off) {
        snprintf(err, n, "out of memory for the network plan");
        rb_net_plan_destroy(np);
        return NULL;
    }
    /* the plan keeps its own copy: the caller's array may go */
    for (int k = 0; k < N; k++) np->len_orig[k] = rb_seq_len(s, k);
    np->p.s.lengths = np->len_orig;
    make_pack(np);

    if (np->passthrough) {
        rb_problem q = *p;
        q.s.lengths = NULL;
        np->plans[0] = layer->plan_create(&q, err, n);
        if (!np->plans[0]) {
            rb_net_plan_destroy(np);
            return NULL;
        }
        return np;
    }
    if (choose_directions(np, self, p, err, n) != 0) {
        rb_net_plan_destroy(np);
        return NULL;
    }
    size_t wsb = 0;
    for (int l = 0; l < np->L; l++)
        for (int d = 0; d < np->D; d++) {
            rb_problem q = layer_problem(np, l);
            q.threads = np->dir_threads[d];
            np->ws_off[l * np->D + d] = wsb;
            wsb += layer_ws_bytes(layer, p, l);
            np->plans[l * np->D + d] = layer->plan_create(&q, err, n);
            if (!np->plans[l * np->D + d]) {
                rb_net_plan_destroy(np);
                return NULL;
            }
        }
    np->ws_layers = wsb;

    const size_t R = np->rows, NH = (size_t)N * H, Wd = np->W > s->I ? np->W : s->I;
    /* the network's buffers, then each direction's scratch */
    enum { NNET = 6, NDIR = 11 };
    size_t sizes[NNET + 2 * NDIR] = {np->varlen ? R * s->I : 0, R * np->W, R * np->W, (size_t)np->D * R * H,
                                     R * Wd, R * Wd};
    float **dst[NNET + 2 * NDIR] = {&np->xin, &np->out[0], &np->out[1], &np->yd, &np->dout, &np->din};
    size_t nbuf = NNET;
    for (int d = 0; d < np->D; d++) {
        dir_scratch *b = &np->ds[d];
        sizes[nbuf] = R * np->Imax, dst[nbuf++] = &b->xrev;
        for (int i = 0; i < 8; i++) sizes[nbuf] = NH, dst[nbuf++] = &b->st[i];
        sizes[nbuf] = R * H, dst[nbuf++] = &b->dyd;
        sizes[nbuf] = R * np->Imax, dst[nbuf++] = &b->dxd;
    }
    size_t total = 0;
    for (size_t i = 0; i < nbuf; i++) total += al16(sizes[i]);
    if (rb_check_fits(total * sizeof(float), err, n) != 0) {
        rb_net_plan_destroy(np);
        return NULL;
    }
    np->block = rb_alloc(total * sizeof(float));
    if (!np->block) {
        snprintf(err, n, "out of memory for the network's buffers (%zu floats)", total);
        rb_net_plan_destroy(np);
        return NULL;
    }
    float *q = np->block;
    for (size_t i = 0; i < nbuf; i++) {
        *dst[i] = q;
        q += al16(sizes[i]);
    }
    return np;
}

/* The tensors of layer (l, d): parameters (and their gradients) point at
 * block (l, d) of the network's. */
static rb_tensors layer_params(const net_plan *np, const rb_tensors *t, int l, int d)
{
    rb_tensors lt = {{0}};
    for (int id = 0; id < RB_NTENSORS; id++)
        if (rb_tensor_is_param((rb_tensor_id)id) && t->t[id])
            lt.t[id] = t->t[id] + rb_param_offset(&np->p.s, (rb_tensor_id)id, l, d);
    return lt;
}

void rb_net_set_params(void *plan, const rb_tensors *t)
{
    net_plan *np = plan;
    if (np->passthrough) {
        np->layer->set_params(np->plans[0], t);
        return;
    }
    for (int l = 0; l < np->L; l++)
        for (int d = 0; d < np->D; d++) {
            const rb_tensors lt = layer_params(np, t, l, d);
            np->layer->set_params(np->plans[l * np->D + d], &lt);
        }
}

/* Packed row of (step t, sorted row k). */
static size_t prow(const net_plan *np, int t, int k) { return np->off[t] + (size_t)k; }

/* dst = src with every sequence read backwards: row (t, k) of dst is row
 * (len_k - 1 - t, k) of src, for packed rows of `width` floats (an
 * involution: the same call puts outputs back). */
static void reverse_rows(const net_plan *np, float *dst, const float *src, int width)
{
    for (int t = 0; t < np->T; t++)
        for (int k = 0; k < np->batch[t]; k++)
            memcpy(dst + prow(np, t, k) * width, src + prow(np, np->len[k] - 1 - t, k) * width,
                   sizeof(float) * (size_t)width);
}

/* Canonical [T][N][width] (zero at padding) <-> packed rows. */
static void pack_rows(const net_plan *np, float *dst, const float *src, int width)
{
    for (int t = 0; t < np->T; t++)
        for (int k = 0; k < np->batch[t]; k++)
            memcpy(dst + prow(np, t, k) * width, src + ((size_t)t * np->N + np->order[k]) * width,
                   sizeof(float) * (size_t)width);
}

static void unpack_rows(const net_plan *np, float *dst, const float *src, int width)
{
    for (int t = 0; t < np->T; t++)
        for (int k = 0; k < np->N; k++) {
            float *o = dst + ((size_t)t * np->N + np->order[k]) * width;
            if (k < np->batch[t])
                memcpy(o, src + prow(np, t, k) * width, sizeof(float) * (size_t)width);
            else
                memset(o, 0, sizeof(float) * (size_t)width);
        }
}

/* State block ld of a [L*D][N][H] tensor <-> [N][H] in sorted order. */
static void sort_state(const net_plan *np, float *dst, const float *src, int ld)
{
    const size_t NH = (size_t)np->N * np->H;
    for (int k = 0; k < np->N; k++)
        memcpy(dst + (size_t)k * np->H, src + ld * NH + (size_t)np->order[k] * np->H,
               sizeof(float) * (size_t)np->H);
}

static void unsort_state(const net_plan *np, float *dst, const float *src, int ld)
{
    const size_t NH = (size_t)np->N * np->H;
    for (int k = 0; k < np->N; k++)
        memcpy(dst + ld * NH + (size_t)np->order[k] * np->H, src + (size_t)k * np->H,
               sizeof(float) * (size_t)np->H);
}

/* Where the training forward keeps layer (l, d)'s y and layer l's output. */
static float *ws_y(const net_plan *np, void *ws, int l, int d)
{
    float *base = (float *)((char *)ws + np->ws_layers);
    return base + (size_t)(l * np->D + d) * al16(np->rows * np->H);
}

static float *ws_out(const net_plan *np, void *ws, int l)
{
    float *base = (float *)((char *)ws + np->ws_layers);
    return base + (size_t)np->L * np->D * al16(np->rows * np->H) + (size_t)l * al16(np->rows * np->W);
}

/* Layer l's input, packed: x (packed once) or layer l-1's output. */
static const float *layer_input(const net_plan *np, rb_tensors *t, void *ws, int l)
{
    if (l == 0) return np->varlen ? np->xin : t->t[RB_X];
    return ws ? ws_out(np, ws, l - 1) : np->out[(l - 1) & 1];
}

/* What one direction of layer l needs; each direction writes only its own
 * scratch, its own y, its own state blocks and parameter gradients. */
typedef struct {
    rb_tensors *t;
    void *ws;
    int l;
    const float *in; /* layer l's input, packed */
} dir_job;

/* Runs one(np, job, d) for both directions (or the one): at once on two
 * halves of the team when np->conc, else one after the other. */
static void run_directions(net_plan *np, const dir_job *job, void (*one)(net_plan *, const dir_job *, int))
{
    if (!np->conc) {
        for (int d = 0; d < np->D; d++) one(np, job, d);
        return;
    }
    const int lvl = omp_get_level();
    if ((np->dir_threads[0] > 1 || np->dir_threads[1] > 1) && omp_get_max_active_levels() < lvl + 2)
        omp_set_max_active_levels(lvl + 2);
    /* A team short of two threads runs both directions on the one it has.
     * Each direction runs inside a team of its own (of one thread; a half
     * of more opens its own team inside): the barriers a one-thread layer
     * leaves orphaned (plan.inc's FAST_TEAM calls its body directly) then
     * bind to that team, as no-ops, not to the pair of directions. */
#pragma omp parallel num_threads(2) proc_bind(spread)
    for (int d = omp_get_thread_num(); d < 2; d += omp_get_num_threads()) {
#pragma omp parallel num_threads(1)
        one(np, job, d);
    }
}

static void forward_dir(net_plan *np, const dir_job *job, int d)
{
    rb_tensors *t = job->t;
    void *ws = job->ws;
    const int l = job->l, ld = l * np->D + d, rev = reversed(np, d), has_c = rb_cell_has_c(np->p.s.cell);
    const int Il = rb_layer_input(&np->p.s, l);
    dir_scratch *b = &np->ds[d];
    rb_tensors lt = layer_params(np, t, l, d);
    if (rev) reverse_rows(np, b->xrev, job->in, Il);
    lt.t[RB_X] = rev ? b->xrev : (float *)job->in;
    sort_state(np, b->st[ST_H0], t->t[RB_H0], ld);
    if (has_c) sort_state(np, b->st[ST_C0], t->t[RB_C0], ld);
    lt.t[RB_H0] = b->st[ST_H0];
    lt.t[RB_C0] = has_c ? b->st[ST_C0] : NULL;
    lt.t[RB_HT] = b->st[ST_HT];
    lt.t[RB_CT] = has_c ? b->st[ST_CT] : NULL;
    lt.t[RB_Y] = ws ? ws_y(np, ws, l, d) : np->yd + (size_t)d * np->rows * np->H;
    np->layer->forward(np->plans[ld], &lt, ws ? (char *)ws + np->ws_off[ld] : NULL);
    unsort_state(np, t->t[RB_HT], b->st[ST_HT], ld);
    if (has_c) unsort_state(np, t->t[RB_CT], b->st[ST_CT], ld);
}

void rb_net_forward(void *plan, rb_tensors *t, void *ws)
{
    net_plan *np = plan;
    if (np->passthrough) {
        np->layer->forward(np->plans[0], t, ws);
        return;
    }
    const int L = np->L, D = np->D, H = np->H, W = np->W;
    const size_t R = np->rows;
    if (np->varlen) pack_rows(np, np->xin, t->t[RB_X], np->p.s.I);
    for (int l = 0; l < L; l++) {
        const float *in = layer_input(np, t, ws, l);
        float *out = l == L - 1 && !np->varlen ? t->t[RB_Y]
                     : ws && l < L - 1         ? ws_out(np, ws, l)
                                               : np->out[l & 1];
        run_directions(np, &(dir_job){t, ws, l, in}, forward_dir);
        /* the layer's output from its directions' y, in step order */
        for (int d = 0; d < D; d++) {
            const float *y = ws ? ws_y(np, ws, l, d) : np->yd + (size_t)d * R * H;
            const int rev = reversed(np, d);
            for (int tt = 0; tt < np->T; tt++)
                for (int k = 0; k < np->batch[tt]; k++) {
                    const float *src = y + prow(np, rev ? np->len[k] - 1 - tt : tt, k) * H;
                    float *o = out + prow(np, tt, k) * W;
                    if (np->p.s.dir == RB_DIR_BI_CONCAT)
                        memcpy(o + d * H, src, sizeof(float) * H);
                    else if (d == 0)
                        memcpy(o, src, sizeof(float) * H);
                    else
                        for (int j = 0; j < H; j++) o[j] += src[j];
                }
        }
        if (l == L - 1 && np->varlen) unpack_rows(np, t->t[RB_Y], out, W);
    }
}

/* One direction's backward through layer l: leaves its dx, in its own
 * step order, in its scratch dxd (summed into the layer's by the caller). */
static void backward_dir(net_plan *np, const dir_job *job, int d)
{
    rb_tensors *t = job->t;
    void *ws = job->ws;
    const int l = job->l, ld = l * np->D + d, rev = reversed(np, d), has_c = rb_cell_has_c(np->p.s.cell);
    const int Il = rb_layer_input(&np->p.s, l), H = np->H, W = np->W;
    const int col = np->p.s.dir == RB_DIR_BI_CONCAT ? d * H : 0;
    dir_scratch *b = &np->ds[d];
    rb_tensors lt = layer_params(np, t, l, d);
    if (rev) reverse_rows(np, b->xrev, job->in, Il);
    lt.t[RB_X] = rev ? b->xrev : (float *)job->in;
    lt.t[RB_Y] = ws_y(np, ws, l, d);
    /* this direction's dy, in its own step order */
    for (int tt = 0; tt < np->T; tt++)
        for (int k = 0; k < np->batch[tt]; k++)
            memcpy(b->dyd + prow(np, tt, k) * H, np->dout + prow(np, rev ? np->len[k] - 1 - tt : tt, k) * W + col,
                   sizeof(float) * H);
    lt.t[RB_DY] = b->dyd;
    sort_state(np, b->st[ST_H0], t->t[RB_H0], ld);
    sort_state(np, b->st[ST_DHT], t->t[RB_DHT], ld);
    lt.t[RB_H0] = b->st[ST_H0];
    lt.t[RB_DHT] = b->st[ST_DHT];
    lt.t[RB_DH0] = b->st[ST_DH0];
    if (has_c) {
        sort_state(np, b->st[ST_C0], t->t[RB_C0], ld);
        sort_state(np, b->st[ST_DCT], t->t[RB_DCT], ld);
        lt.t[RB_C0] = b->st[ST_C0];
        lt.t[RB_DCT] = b->st[ST_DCT];
        lt.t[RB_DC0] = b->st[ST_DC0];
    }
    lt.t[RB_DX] = b->dxd;
    np->layer->backward(np->plans[ld], &lt, (char *)ws + np->ws_off[ld]);
    unsort_state(np, t->t[RB_DH0], b->st[ST_DH0], ld);
    if (has_c) unsort_state(np, t->t[RB_DC0], b->st[ST_DC0], ld);
}

void rb_net_backward(void *plan, rb_tensors *t, const void *cws)
{
    net_plan *np = plan;
    if (np->passthrough) {
        np->layer->backward(np->plans[0], t, cws);
        return;
    }
    void *ws = (void *)cws; /* read only: the layers' y and outputs */
    const int L = np->L, D = np->D, W = np->W;
    const size_t R = np->rows;
    if (np->varlen) {
        pack_rows(np, np->dout, t->t[RB_DY], W);
        pack_rows(np, np->xin, t->t[RB_X], np->p.s.I);
    } else {
        memcpy(np->dout, t->t[RB_DY], sizeof(float) * R * W);
    }
    for (int l = L - 1; l >= 0; l--) {
        const int Il = rb_layer_input(&np->p.s, l);
        run_directions(np, &(dir_job){t, ws, l, layer_input(np, t, ws, l)}, backward_dir);
        /* ∂L/∂(layer input): the directions' dx, each put back in step
         * order, summed */
        memset(np->din, 0, sizeof(float) * R * Il);
        for (int d = 0; d < D; d++) {
            const int rev = reversed(np, d);
            for (int tt = 0; tt < np->T; tt++)
                for (int k = 0; k < np->batch[tt]; k++) {
                    float *o = np->din + prow(np, tt, k) * Il;
                    const float *src = np->ds[d].dxd + prow(np, rev ? np->len[k] - 1 - tt : tt, k) * Il;
                    for (int j = 0; j < Il; j++) o[j] += src[j];
                }
        }
        float *tmp = np->dout;
        np->dout = np->din;
        np->din = tmp;
    }
    if (np->varlen)
        unpack_rows(np, t->t[RB_DX], np->dout, np->p.s.I);
    else
        memcpy(t->t[RB_DX], np->dout, sizeof(float) * R * np->p.s.I);
}

void rb_net_describe(const void *plan, char *buf, size_t n)
{
    const net_plan *np = plan;
    char inner[384] = "";
    if (np->layer->describe) np->layer->describe(np->plans[0], inner, sizeof inner);
    if (np->passthrough) {
        snprintf(buf, n, "%s", inner);
        return;
    }
    char dirs[160] = "";
    if (np->conc)
        snprintf(dirs, sizeof dirs, ", directions concurrently on %d+%d threads (%s)", np->dir_threads[0],
                 np->dir_threads[1], np->conc_why);
    else if (np->conc_why)
        snprintf(dirs, sizeof dirs, ", directions one after the other (%s)", np->conc_why);
    snprintf(buf, n, "network driver: %d layer%s, %s, %s%s; each layer: %s", np->L, np->L == 1 ? "" : "s",
             rb_dir_name(np->p.s.dir),
             np->varlen ? "packed variable lengths (sorted by length, no work on padding)"
                        : "full length",
             dirs, inner);
}
