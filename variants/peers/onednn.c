/*
 * onednn.c: the `onednn` peer variant. oneDNN 2.6's RNN primitive (C API),
 * f32, every cell, stacked layers and all four direction modes:
 *   rnn_*                dnnl_vanilla_rnn_*_desc_init with the activation
 *                        as an eltwise kind (elman_alg): tanh, relu (alpha
 *                        0), logistic (rnn_sigmoid), relu with alpha 0.01
 *                        (rnn_leaky: oneDNN's relu is leaky with slope alpha)
 *   lstm                 dnnl_lstm_*_desc_init (no peephole, no projection)
 *   gru                  dnnl_gru_*_desc_init: oneDNN's plain GRU multiplies
 *                        h_{t-1} by the reset gate before the recurrent
 *                        product, which is our classic `gru`
 *   gru_lbr              dnnl_lbr_gru_*_desc_init
 * Directions: l2r, r2l, bi_concat, bi_sum are oneDNN's
 * unidirectional_left2right, unidirectional_right2left,
 * bidirectional_concat and bidirectional_sum.
 *
 * Networks: segments and stages. One oneDNN primitive runs nl stacked
 * layers of ONE input width, and in its bidirectional modes it runs the
 * two directions' stacks independently (layer l of direction d reads layer
 * l-1 of direction d only), concatenating or summing only the last layer's
 * outputs (its ref_rnn loops over directions outside layers; one
 * primitive for layers 1.. of a bidirectional network disagrees with the
 * oracle, checked). EQUATIONS.md's bidirectional layer (PyTorch's) feeds
 * both directions of layer l with the concatenation (sum) of layer l-1. So the
 * network is cut into segments, each one primitive execution:
 *   l2r, r2l:          layers 0 .. L-1 in one segment when I = H, else
 *                      layer 0 alone, then layers 1 .. L-1 in one;
 *   bi_concat, bi_sum: one segment per layer (as PyTorch's oneDNN path
 *                      does), each both directions at once.
 * A stage is the primitives of one segment shape (nl, input width): at
 * most two (layer 0's and the others'), shared by the segments of that
 * shape. Every segment runs inside the same forward or backward call
 * (timed as one run). Inference chains segments through two plan buffers;
 * training keeps each segment's output (the next one's input) in the
 * workspace after the segments' oneDNN workspaces, where backward reads
 * it. Backward runs the segments last to first, the gradient of each
 * segment's input going to the one before through two plan buffers. A
 * one-layer l2r problem is one segment and runs exactly as before.
 * oneDNN has no variable-length sequences: such problems are refused
 * (rb_variant_why_not, from the registry line).
 *
 * Three primitives per stage: forward_inference, forward_training and
 * backward (hinted by the training one), created in plan_create.
 *
 * Layouts. x, y, dy, dx (and the segments' inputs and outputs) are tnc =
 * our [T][N][.]; the states of a segment are ldnc = [nl][D][N][H], which is
 * the slice from block l0·D of our [L·D][N][H]: wrapped in place
 * (dnnl_memory_set_data_handle), no copies. Weights: oneDNN's ldgoi user
 * format, [L][D][G][O][I], is our run of nl·D parameter blocks [G*H][I]
 * from block (l0, 0), so in set_params each segment's canonical weights
 * are (GRU only) permuted to oneDNN's gate order and then reordered to the
 * format each primitive picks (format any), as benchdnn leaves reorders
 * out. Gate orders: lstm i f c o = ours; gru and lbr_gru u r o vs ours
 * r z n (u = z, o = n): permuted. Bias: ldgo, one row per gate = b_ih +
 * b_hh; lbr_gru has G+1 = 4 rows u r o u', u' = b_hn and o = b_in alone.
 *
 * Inside the timing: forward is one dnnl_primitive_execute (plus stream
 * wait) per segment. backward, per segment, zeroes oneDNN's diff weights
 * and diff bias (oneDNN adds to them), executes, and converts the
 * gradients back to the canonical tensors: dweight_* from oneDNN's diff
 * format (ldgoi requested; for gru and gru_lbr a gate permutation copy,
 * otherwise oneDNN writes straight into the user tensor; oneDNN 2.6 in
 * fact refuses ldgoi here and gives ldigo, [I][G][H], so backward also
 * runs a transposing reorder to ldgoi, straight into dweight_* for rnn and
 * lstm), dbias_ih = dbias_hh = oneDNN's summed diff bias (gru_lbr: its n
 * rows come from the o and u' rows). That conversion is part of the
 * backward time.
 *
 * Threads: Debian's libdnnl is built with OpenMP; the team size is
 * problem.threads, set with omp_set_num_threads before the primitives are
 * created and before each execute. The training workspace holds oneDNN's
 * own per segment (workspace_bytes = their sizes + the kept outputs), the
 * harness buffer is wrapped as it; the scratchpad is user-mode, allocated
 * once in plan_create.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "../variant.h"

enum { INF, TRN, BWD, NPRIM };

/* The primitives of one segment shape: nl layers of input width `in`. The
 * data memories wrap the caller's tensors (handles set per execution). */
typedef struct {
    int nl, in;
    dnnl_primitive_desc_t pd[NPRIM];
    dnnl_primitive_t prim[NPRIM];
    dnnl_memory_t x, h0, c0, y, hT, cT, dy, dhT, dcT, dx, dh0, dc0, ws;
    dnnl_memory_t scratch[NPRIM];
    size_t ws_bytes; /* oneDNN's training workspace of one execution */
    /* diff parameters, as the backward primitive wants them */
    dnnl_memory_t dwl, dwi, dbias;
    int dw_direct;              /* dwl/dwi are ldgoi and gate order = ours */
    dnnl_memory_t dwl_u, dwi_u; /* ldgoi, when a reorder is needed        */
    dnnl_primitive_t rdl, rdi;  /* reorders dwl -> dwl_u, dwi -> dwi_u    */
} stage;

/* One primitive execution: layers l0 .. l0 + nl - 1 of stage st, with its
 * own parameters in each primitive's format (shared when formats agree). */
typedef struct {
    int st, l0;
    dnnl_memory_t wl[NPRIM], wi[NPRIM];
    dnnl_memory_t bias; /* ldgo */
    size_t ws_off;      /* byte offset of its oneDNN workspace in ws  */
    size_t out_off;     /* training: byte offset of its kept output   */
} segment;

typedef struct {
    rb_problem p;
    int G;       /* gates */
    int GB;      /* bias rows: G, or G+1 for lbr_gru */
    int perm[4]; /* oneDNN gate g is our gate perm[g] */
    int D, W;    /* directions, output width */
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    stage st[2];
    int nst;
    segment *seg;
    int nseg;
    void *scratch_buf;
    float *mid[2];  /* [T][N][W] inference: segment outputs, ping-pong     */
    float *dmid[2]; /* [T][N][W] backward: ∂L/∂ segment input, ping-pong   */
} onednn_plan;

/* ------------------------------------------------------------------ */

#define CK(call)                                                              \
    do {                                                                      \
        dnnl_status_t st_ = (call);                                           \
        if (st_ != dnnl_success) {                                            \
            snprintf(err, errlen, "oneDNN: %s failed (status %d)", #call,   \
                     (int)st_);                                               \
            goto fail;                                                        \
        }                                                                     \
    } while (0)

static void die(const char *what, dnnl_status_t st)
{
    fprintf(stderr, "rnnbench: onednn: %s failed (status %d)\n", what, (int)st);
    exit(1);
}
#define RUN(call)                                                             \
    do {                                                                      \
        dnnl_status_t st_ = (call);                                           \
        if (st_ != dnnl_success) die(#call, st_);                             \
    } while (0)

static void md_tag(dnnl_memory_desc_t *md, int nd, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_status_t st = dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tag);
    if (st != dnnl_success) die("dnnl_memory_desc_init_by_tag", st);
}

static size_t al64(size_t n) { return (n + 63) & ~(size_t)63; }

/* The segments of s (see the top): how many, and segment i's first layer
 * and layer count. */
static int one_segment_for_all(const rb_shape *s)
{
    return rb_shape_dirs(s) == 1 && s->I == s->H;
}

static int seg_count(const rb_shape *s)
{
    const int L = rb_shape_layers(s);
    if (one_segment_for_all(s)) return 1;
    return rb_shape_dirs(s) == 2 ? L : (L > 1 ? 2 : 1);
}

static void seg_layers(const rb_shape *s, int i, int *l0, int *nl)
{
    const int L = rb_shape_layers(s);
    if (one_segment_for_all(s)) {
        *l0 = 0;
        *nl = L;
    } else if (rb_shape_dirs(s) == 2) {
        *l0 = i;
        *nl = 1;
    } else {
        *l0 = i;
        *nl = i == 0 ? 1 : L - 1;
    }
}

/* oneDNN's eltwise kind and alpha for an Elman activation. */
static dnnl_alg_kind_t elman_alg(rb_act act, float *alpha)
{
    *alpha = 0.f;
    switch (act) {
    case RB_ACT_TANH: return dnnl_eltwise_tanh;
    case RB_ACT_RELU: return dnnl_eltwise_relu;
    case RB_ACT_SIGMOID: return dnnl_eltwise_logistic;
    case RB_ACT_LEAKY_RELU:
        *alpha = (float)RB_LEAKY_SLOPE;
        return dnnl_eltwise_relu;
    default: RB_UNREACHABLE();
    }
}

static dnnl_rnn_direction_t dnnl_dir(rb_dir d)
{
    switch (d) {
    case RB_DIR_L2R: return dnnl_unidirectional_left2right;
    case RB_DIR_R2L: return dnnl_unidirectional_right2left;
    case RB_DIR_BI_CONCAT: return dnnl_bidirectional_concat;
    case RB_DIR_BI_SUM: return dnnl_bidirectional_sum;
    default: RB_UNREACHABLE();
    }
}

/* The RNN op descriptor of a cell, pass and stage (nl layers of input
 * width in). dw_tag: format asked for the diff weights (backward only). */
static dnnl_status_t init_desc(dnnl_rnn_desc_t *d, const rb_shape *s, int nl, int in, dnnl_prop_kind_t prop,
                               dnnl_format_tag_t dw_tag)
{
    const rb_cell_family fam = rb_cell_family_of(s->cell);
    const int G = rb_cell_gates(s->cell), GB = fam == RB_FAMILY_GRU_LBR ? G + 1 : G;
    const int D = rb_shape_dirs(s);
    const dnnl_dims_t d_sl = {s->T, s->N, in}, d_dl = {s->T, s->N, rb_out_width(s)};
    const dnnl_dims_t d_it = {nl, D, s->N, s->H};
    const dnnl_dims_t d_wl = {nl, D, in, G, s->H}, d_wi = {nl, D, s->H, G, s->H};
    const dnnl_dims_t d_b = {nl, D, GB, s->H};
    dnnl_memory_desc_t sl, it, wl, wi, b, dl, dwl, dwi;
    md_tag(&sl, 3, d_sl, dnnl_tnc);
    md_tag(&dl, 3, d_dl, dnnl_tnc);
    md_tag(&it, 4, d_it, dnnl_ldnc);
    md_tag(&wl, 5, d_wl, dnnl_format_tag_any);
    md_tag(&wi, 5, d_wi, dnnl_format_tag_any);
    md_tag(&b, 4, d_b, dnnl_ldgo);
    md_tag(&dwl, 5, d_wl, dw_tag);
    md_tag(&dwi, 5, d_wi, dw_tag);
    const dnnl_rnn_direction_t dir = dnnl_dir(s->dir);
    const int bwd = prop == dnnl_backward;

    switch (fam) {
    case RB_FAMILY_ELMAN: {
        float alpha;
        const dnnl_alg_kind_t act = elman_alg(rb_cell_act(s->cell), &alpha);
        if (!bwd)
            return dnnl_vanilla_rnn_forward_desc_init(d, prop, act, dir, &sl, &it, &wl, &wi, &b, &dl,
                                                      &it, 0, alpha, 0.f);
        return dnnl_vanilla_rnn_backward_desc_init(d, prop, act, dir, &sl, &it, &wl, &wi, &b, &dl, &it,
                                                   &sl, &it, &dwl, &dwi, &b, &dl, &it, 0, alpha, 0.f);
    }
    case RB_FAMILY_LSTM:
        if (!bwd)
            return dnnl_lstm_forward_desc_init(d, prop, dir, &sl, &it, &it, &wl, &wi, &b, &dl, &it,
                                               &it, 0);
        return dnnl_lstm_backward_desc_init(d, prop, dir, &sl, &it, &it, &wl, &wi, &b, &dl, &it, &it,
                                            &sl, &it, &it, &dwl, &dwi, &b, &dl, &it, &it, 0);
    case RB_FAMILY_GRU:
        if (!bwd)
            return dnnl_gru_forward_desc_init(d, prop, dir, &sl, &it, &wl, &wi, &b, &dl, &it, 0);
        return dnnl_gru_backward_desc_init(d, prop, dir, &sl, &it, &wl, &wi, &b, &dl, &it, &sl, &it,
                                           &dwl, &dwi, &b, &dl, &it, 0);
    case RB_FAMILY_GRU_LBR:
        if (!bwd)
            return dnnl_lbr_gru_forward_desc_init(d, prop, dir, &sl, &it, &wl, &wi, &b, &dl, &it, 0);
        return dnnl_lbr_gru_backward_desc_init(d, prop, dir, &sl, &it, &wl, &wi, &b, &dl, &it, &sl,
                                               &it, &dwl, &dwi, &b, &dl, &it, 0);
    default:
        RB_UNREACHABLE();
    }
}

static const dnnl_memory_desc_t *qmd(const_dnnl_primitive_desc_t pd, int arg)
{
    return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
}

static void destroy_mem(dnnl_memory_t *m)
{
    if (*m) dnnl_memory_destroy(*m);
    *m = NULL;
}

static void stage_destroy(stage *st)
{
    dnnl_memory_t *mems[] = {&st->x, &st->h0, &st->c0, &st->y, &st->hT, &st->cT, &st->dy, &st->dhT,
                             &st->dcT, &st->dx, &st->dh0, &st->dc0, &st->ws, &st->dwl, &st->dwi,
                             &st->dbias, &st->dwl_u, &st->dwi_u};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++) destroy_mem(mems[i]);
    for (int k = 0; k < NPRIM; k++) {
        destroy_mem(&st->scratch[k]);
        if (st->prim[k]) dnnl_primitive_destroy(st->prim[k]);
        if (st->pd[k]) dnnl_primitive_desc_destroy(st->pd[k]);
    }
    if (st->rdl) dnnl_primitive_destroy(st->rdl);
    if (st->rdi) dnnl_primitive_destroy(st->rdi);
}

static void segment_destroy(segment *sg)
{
    /* weights memories may be shared between primitives */
    for (int k = 0; k < NPRIM; k++)
        for (int j = 0; j < k; j++) {
            if (sg->wl[j] == sg->wl[k]) sg->wl[k] = NULL;
            if (sg->wi[j] == sg->wi[k]) sg->wi[k] = NULL;
        }
    for (int k = 0; k < NPRIM; k++) {
        destroy_mem(&sg->wl[k]);
        destroy_mem(&sg->wi[k]);
    }
    destroy_mem(&sg->bias);
}

static void onednn_plan_destroy(void *plan)
{
    onednn_plan *q = plan;
    if (!q) return;
    for (int i = 0; q->seg && i < q->nseg; i++) segment_destroy(&q->seg[i]);
    free(q->seg);
    for (int i = 0; i < q->nst; i++) stage_destroy(&q->st[i]);
    free(q->scratch_buf);
    for (int i = 0; i < 2; i++) {
        free(q->mid[i]);
        free(q->dmid[i]);
    }
    if (q->strm) dnnl_stream_destroy(q->strm);
    if (q->eng) dnnl_engine_destroy(q->eng);
    free(q);
}

/* Creates a memory of descriptor md with no buffer (the handle is set per call). */
static dnnl_status_t wrap(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t e)
{
    return dnnl_memory_create(m, md, e, DNNL_MEMORY_NONE);
}

/* The primitives, data wrappers and diff parameter memories of stage st
 * (nl, in already set). Returns 0, or -1 with err written. */
static int stage_create(onednn_plan *q, stage *st, dnnl_primitive_attr_t attr, char *err, size_t errlen)
{
    const rb_shape *s = &q->p.s;
    const int same_order = q->perm[0] == 0;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_rnn_desc_t d;
    CK(init_desc(&d, s, st->nl, st->in, dnnl_forward_inference, dnnl_format_tag_any));
    CK(dnnl_primitive_desc_create(&st->pd[INF], &d, attr, q->eng, NULL));
    CK(init_desc(&d, s, st->nl, st->in, dnnl_forward_training, dnnl_format_tag_any));
    CK(dnnl_primitive_desc_create(&st->pd[TRN], &d, attr, q->eng, NULL));
    /* Ask for the diff weights in ldgoi (= our row layout); take any other
     * format the library insists on and reorder it in backward. */
    CK(init_desc(&d, s, st->nl, st->in, dnnl_backward, dnnl_ldgoi));
    if (dnnl_primitive_desc_create(&st->pd[BWD], &d, attr, q->eng, st->pd[TRN]) != dnnl_success) {
        CK(init_desc(&d, s, st->nl, st->in, dnnl_backward, dnnl_format_tag_any));
        CK(dnnl_primitive_desc_create(&st->pd[BWD], &d, attr, q->eng, st->pd[TRN]));
    }
    for (int k = 0; k < NPRIM; k++) CK(dnnl_primitive_create(&st->prim[k], st->pd[k]));

    /* Data: explicit tnc / ldnc, the same descriptors in all three. */
    const_dnnl_primitive_desc_t fb = st->pd[BWD];
    CK(wrap(&st->x, qmd(fb, DNNL_ARG_SRC_LAYER), q->eng));
    CK(wrap(&st->h0, qmd(fb, DNNL_ARG_SRC_ITER), q->eng));
    CK(wrap(&st->y, qmd(fb, DNNL_ARG_DST_LAYER), q->eng));
    CK(wrap(&st->hT, qmd(fb, DNNL_ARG_DST_ITER), q->eng));
    CK(wrap(&st->dy, qmd(fb, DNNL_ARG_DIFF_DST_LAYER), q->eng));
    CK(wrap(&st->dhT, qmd(fb, DNNL_ARG_DIFF_DST_ITER), q->eng));
    CK(wrap(&st->dx, qmd(fb, DNNL_ARG_DIFF_SRC_LAYER), q->eng));
    CK(wrap(&st->dh0, qmd(fb, DNNL_ARG_DIFF_SRC_ITER), q->eng));
    if (rb_cell_has_c(s->cell)) {
        CK(wrap(&st->c0, qmd(fb, DNNL_ARG_SRC_ITER_C), q->eng));
        CK(wrap(&st->cT, qmd(fb, DNNL_ARG_DST_ITER_C), q->eng));
        CK(wrap(&st->dcT, qmd(fb, DNNL_ARG_DIFF_DST_ITER_C), q->eng));
        CK(wrap(&st->dc0, qmd(fb, DNNL_ARG_DIFF_SRC_ITER_C), q->eng));
    }
    const dnnl_memory_desc_t *wsmd = dnnl_primitive_desc_query_md(st->pd[TRN], dnnl_query_workspace_md, 0);
    st->ws_bytes = dnnl_memory_desc_get_size(wsmd);
    CK(wrap(&st->ws, wsmd, q->eng));

    /* Diff parameters. */
    const dnnl_memory_desc_t *mdl = qmd(fb, DNNL_ARG_DIFF_WEIGHTS_LAYER);
    const dnnl_memory_desc_t *mdi = qmd(fb, DNNL_ARG_DIFF_WEIGHTS_ITER);
    const dnnl_dims_t d_wl = {st->nl, q->D, st->in, q->G, s->H}, d_wi = {st->nl, q->D, s->H, q->G, s->H};
    dnnl_memory_desc_t ul, ui;
    md_tag(&ul, 5, d_wl, dnnl_ldgoi);
    md_tag(&ui, 5, d_wi, dnnl_ldgoi);
    const int ldgoi = dnnl_memory_desc_equal(mdl, &ul) && dnnl_memory_desc_equal(mdi, &ui);
    st->dw_direct = ldgoi && same_order;
    CK(dnnl_memory_create(&st->dwl, mdl, q->eng, st->dw_direct ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE));
    CK(dnnl_memory_create(&st->dwi, mdi, q->eng, st->dw_direct ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE));
    if (!ldgoi) {
        /* Same gate order: reorder straight into the user tensors. */
        void *h = same_order ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE;
        CK(dnnl_memory_create(&st->dwl_u, &ul, q->eng, h));
        CK(dnnl_memory_create(&st->dwi_u, &ui, q->eng, h));
        CK(dnnl_reorder_primitive_desc_create(&rpd, mdl, q->eng, &ul, q->eng, NULL));
        CK(dnnl_primitive_create(&st->rdl, rpd));
        dnnl_primitive_desc_destroy(rpd);
        CK(dnnl_reorder_primitive_desc_create(&rpd, mdi, q->eng, &ui, q->eng, NULL));
        CK(dnnl_primitive_create(&st->rdi, rpd));
        dnnl_primitive_desc_destroy(rpd);
        rpd = NULL;
    }
    CK(dnnl_memory_create(&st->dbias, qmd(fb, DNNL_ARG_DIFF_BIAS), q->eng, DNNL_MEMORY_ALLOCATE));
    return 0;

fail:
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    return -1;
}

/* The parameter memories of segment sg in its stage's formats. */
static int segment_create(onednn_plan *q, segment *sg, char *err, size_t errlen)
{
    const stage *st = &q->st[sg->st];
    CK(dnnl_memory_create(&sg->bias, qmd(st->pd[INF], DNNL_ARG_BIAS), q->eng, DNNL_MEMORY_ALLOCATE));
    for (int k = 0; k < NPRIM; k++) {
        const dnnl_memory_desc_t *ml = qmd(st->pd[k], DNNL_ARG_WEIGHTS_LAYER);
        const dnnl_memory_desc_t *mi = qmd(st->pd[k], DNNL_ARG_WEIGHTS_ITER);
        for (int j = 0; j < k; j++) {
            if (!sg->wl[k] && dnnl_memory_desc_equal(ml, qmd(st->pd[j], DNNL_ARG_WEIGHTS_LAYER)))
                sg->wl[k] = sg->wl[j];
            if (!sg->wi[k] && dnnl_memory_desc_equal(mi, qmd(st->pd[j], DNNL_ARG_WEIGHTS_ITER)))
                sg->wi[k] = sg->wi[j];
        }
        if (!sg->wl[k]) CK(dnnl_memory_create(&sg->wl[k], ml, q->eng, DNNL_MEMORY_ALLOCATE));
        if (!sg->wi[k]) CK(dnnl_memory_create(&sg->wi[k], mi, q->eng, DNNL_MEMORY_ALLOCATE));
    }
    return 0;
fail:
    return -1;
}

static float *falloc(size_t n)
{
    void *p = NULL;
    return posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) == 0 ? p : NULL;
}

static void *onednn_plan_create(const rb_problem *p, char *err, size_t errlen)
{
    onednn_plan *q = calloc(1, sizeof *q);
    dnnl_primitive_attr_t attr = NULL;
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const rb_shape *s = &p->s;
    const rb_cell cell = s->cell;
    const rb_cell_family fam = rb_cell_family_of(cell);
    if (rb_shape_has_varlen(s)) {
        snprintf(err, errlen, "the library has no variable-length sequences");
        free(q);
        return NULL;
    }
    q->p = *p;
    q->p.s.lengths = NULL;
    q->G = rb_cell_gates(cell);
    q->GB = fam == RB_FAMILY_GRU_LBR ? q->G + 1 : q->G;
    q->D = rb_shape_dirs(s);
    q->W = rb_out_width(s);
    for (int g = 0; g < 4; g++) q->perm[g] = g;
    if (fam == RB_FAMILY_GRU || fam == RB_FAMILY_GRU_LBR) {
        /* oneDNN's gru and lbr_gru order their gates u r o, ours r z n. */
        q->perm[0] = 1; /* u = z */
        q->perm[1] = 0; /* r     */
    }
    omp_set_num_threads(p->threads);

    CK(dnnl_engine_create(&q->eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&q->strm, q->eng, dnnl_stream_default_flags));
    CK(dnnl_primitive_attr_create(&attr));
    CK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

    /* Segments, and a stage per distinct (nl, in). */
    q->nseg = seg_count(s);
    q->seg = calloc((size_t)q->nseg, sizeof *q->seg);
    if (!q->seg) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    size_t wsb = 0;
    for (int i = 0; i < q->nseg; i++) {
        segment *sg = &q->seg[i];
        int nl;
        seg_layers(s, i, &sg->l0, &nl);
        const int in = rb_layer_input(s, sg->l0);
        sg->st = -1;
        for (int j = 0; j < q->nst; j++)
            if (q->st[j].nl == nl && q->st[j].in == in) sg->st = j;
        if (sg->st < 0) {
            sg->st = q->nst++;
            q->st[sg->st].nl = nl;
            q->st[sg->st].in = in;
            if (stage_create(q, &q->st[sg->st], attr, err, errlen) != 0) goto fail;
        }
        if (segment_create(q, sg, err, errlen) != 0) goto fail;
        sg->ws_off = wsb;
        wsb += al64(q->st[sg->st].ws_bytes);
    }
    /* training: each segment's output but the last stays for backward */
    const size_t outb = al64(sizeof(float) * (size_t)s->T * s->N * q->W);
    for (int i = 0; i < q->nseg; i++) q->seg[i].out_off = wsb + (size_t)i * outb;
    dnnl_primitive_attr_destroy(attr);
    attr = NULL;

    /* Scratchpad: one buffer, the largest of all primitives. */
    size_t sbytes = 0;
    for (int j = 0; j < q->nst; j++)
        for (int k = 0; k < NPRIM; k++) {
            size_t b = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(q->st[j].pd[k], dnnl_query_scratchpad_md, 0));
            if (b > sbytes) sbytes = b;
        }
    if (posix_memalign(&q->scratch_buf, 4096, sbytes ? (sbytes + 4095) & ~(size_t)4095 : 4096) != 0) {
        q->scratch_buf = NULL;
        snprintf(err, errlen, "out of memory for a %zu-byte scratchpad", sbytes);
        goto fail;
    }
    for (int j = 0; j < q->nst; j++)
        for (int k = 0; k < NPRIM; k++)
            CK(dnnl_memory_create(&q->st[j].scratch[k],
                                  dnnl_primitive_desc_query_md(q->st[j].pd[k], dnnl_query_scratchpad_md, 0),
                                  q->eng, q->scratch_buf));
    if (q->nseg > 1) {
        const size_t n = (size_t)s->T * s->N * q->W;
        for (int i = 0; i < 2; i++) {
            q->mid[i] = falloc(n);
            q->dmid[i] = falloc(n);
            if (!q->mid[i] || !q->dmid[i]) {
                snprintf(err, errlen, "out of memory for the segments' buffers");
                goto fail;
            }
        }
    }
    return q;

fail:
    if (attr) dnnl_primitive_attr_destroy(attr);
    onednn_plan_destroy(q);
    return NULL;
}

static size_t onednn_workspace_bytes(const rb_problem *p)
{
    const rb_shape *s = &p->s;
    dnnl_engine_t eng = NULL;
    size_t bytes = 0, stage_bytes[2] = {0, 0};
    int stage_nl[2] = {0, 0}, stage_in[2] = {0, 0}, nst = 0;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success) return 0;
    const int nseg = seg_count(s);
    for (int i = 0; i < nseg; i++) {
        int l0, nl, j;
        seg_layers(s, i, &l0, &nl);
        const int in = rb_layer_input(s, l0);
        for (j = 0; j < nst; j++)
            if (stage_nl[j] == nl && stage_in[j] == in) break;
        if (j == nst) {
            dnnl_primitive_desc_t pd = NULL;
            dnnl_rnn_desc_t d;
            stage_nl[j] = nl;
            stage_in[j] = in;
            nst++;
            if (init_desc(&d, s, nl, in, dnnl_forward_training, dnnl_format_tag_any) == dnnl_success &&
                dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL) == dnnl_success)
                stage_bytes[j] = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0));
            if (pd) dnnl_primitive_desc_destroy(pd);
        }
        bytes += al64(stage_bytes[j]);
    }
    dnnl_engine_destroy(eng);
    return bytes + (size_t)(nseg - 1) * al64(sizeof(float) * (size_t)s->T * s->N * rb_out_width(s));
}

static void *handle(dnnl_memory_t m)
{
    void *h = NULL;
    RUN(dnnl_memory_get_data_handle(m, &h));
    return h;
}

static void set(dnnl_memory_t m, const void *ptr) { RUN(dnnl_memory_set_data_handle(m, (void *)ptr)); }

static void execute(onednn_plan *q, dnnl_primitive_t prim, int n, const dnnl_exec_arg_t *args)
{
    RUN(dnnl_primitive_execute(prim, q->strm, n, args));
    RUN(dnnl_stream_wait(q->strm));
}

/* Reorders a user memory of descriptor src (ldgoi, handle ptr) into dst. */
static void reorder_into(onednn_plan *q, const dnnl_memory_desc_t *src, void *ptr, dnnl_memory_t dst)
{
    const dnnl_memory_desc_t *dmd;
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    dnnl_memory_t m;
    RUN(dnnl_memory_get_memory_desc(dst, &dmd));
    RUN(dnnl_memory_create(&m, src, q->eng, ptr));
    RUN(dnnl_reorder_primitive_desc_create(&rpd, src, q->eng, dmd, q->eng, NULL));
    RUN(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, m}, {DNNL_ARG_TO, dst}};
    execute(q, r, 2, a);
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(m);
}

/* nb parameter blocks [G*H][K]: canonical (our gate order) <-> [G][H][K]
 * in oneDNN's gate order. */
static void permute_rows(const onednn_plan *q, int nb, int K, const float *src, float *dst, int to_dnnl)
{
    const size_t blk = (size_t)q->p.s.H * K, gblk = (size_t)q->G * blk;
    for (int b = 0; b < nb; b++)
        for (int g = 0; g < q->G; g++) {
            const int o = q->perm[g];
            if (to_dnnl) memcpy(dst + b * gblk + g * blk, src + b * gblk + o * blk, blk * sizeof(float));
            else memcpy(dst + b * gblk + o * blk, src + b * gblk + g * blk, blk * sizeof(float));
        }
}

/* Where segment sg's parameter blocks start in parameter tensor id. */
static size_t seg_param(const onednn_plan *q, const segment *sg, rb_tensor_id id)
{
    return rb_param_offset(&q->p.s, id, sg->l0, 0);
}

static void onednn_set_params(void *plan, const rb_tensors *t)
{
    onednn_plan *q = plan;
    const rb_shape *s = &q->p.s;
    const int H = s->H, G = q->G, lbr = rb_cell_family_of(s->cell) == RB_FAMILY_GRU_LBR;
    omp_set_num_threads(q->p.threads);
    const size_t most = rb_tensor_numel(s, RB_W_IH) > rb_tensor_numel(s, RB_W_HH) ? rb_tensor_numel(s, RB_W_IH)
                                                                                  : rb_tensor_numel(s, RB_W_HH);
    float *tmp = malloc(sizeof(float) * most);
    if (!tmp) {
        fprintf(stderr, "rnnbench: onednn set_params: out of memory\n");
        exit(1);
    }
    for (int i = 0; i < q->nseg; i++) {
        segment *sg = &q->seg[i];
        const stage *st = &q->st[sg->st];
        const int nb = st->nl * q->D;
        const dnnl_dims_t d_wl = {st->nl, q->D, st->in, G, H}, d_wi = {st->nl, q->D, H, G, H};
        dnnl_memory_desc_t ul, ui;
        md_tag(&ul, 5, d_wl, dnnl_ldgoi);
        md_tag(&ui, 5, d_wi, dnnl_ldgoi);
        for (int k = 0; k < NPRIM; k++) {
            int done_l = 0, done_i = 0;
            for (int j = 0; j < k; j++) {
                done_l |= sg->wl[j] == sg->wl[k];
                done_i |= sg->wi[j] == sg->wi[k];
            }
            if (!done_l) {
                permute_rows(q, nb, st->in, t->t[RB_W_IH] + seg_param(q, sg, RB_W_IH), tmp, 1);
                reorder_into(q, &ul, tmp, sg->wl[k]);
            }
            if (!done_i) {
                permute_rows(q, nb, H, t->t[RB_W_HH] + seg_param(q, sg, RB_W_HH), tmp, 1);
                reorder_into(q, &ui, tmp, sg->wi[k]);
            }
        }
        /* Bias, ldgo per block: row g = b_ih + b_hh of our gate perm[g];
         * lbr: o = b_in, u' = b_hn. */
        float *b = handle(sg->bias);
        for (int blk = 0; blk < nb; blk++) {
            const float *bi = t->t[RB_B_IH] + seg_param(q, sg, RB_B_IH) + (size_t)blk * G * H;
            const float *bh = t->t[RB_B_HH] + seg_param(q, sg, RB_B_HH) + (size_t)blk * G * H;
            float *bb = b + (size_t)blk * q->GB * H;
            for (int g = 0; g < G; g++) {
                const int o = q->perm[g];
                for (int j = 0; j < H; j++) {
                    float v = bi[o * H + j];
                    if (!(lbr && o == 2)) v += bh[o * H + j];
                    bb[g * H + j] = v;
                }
            }
            if (lbr)
                for (int j = 0; j < H; j++) bb[3 * H + j] = bh[2 * H + j];
        }
    }
    free(tmp);
}

/* Offset in floats of segment sg's first state block in a [L·D][N][H] tensor. */
static size_t seg_state(const onednn_plan *q, const segment *sg)
{
    return (size_t)sg->l0 * q->D * q->p.s.N * q->p.s.H;
}

/* What forward and backward both pass for segment sg: its input and
 * output, h0 and hT (and c0, cT) slices, the weights in layout k (INF, TRN
 * or BWD), the bias, as the first arguments of a. Returns their count. */
static int forward_args(onednn_plan *q, const segment *sg, rb_tensors *t, const float *in, float *out, int k,
                        dnnl_exec_arg_t *a)
{
    const stage *st = &q->st[sg->st];
    const size_t so = seg_state(q, sg);
    set(st->x, in);
    set(st->h0, t->t[RB_H0] + so);
    set(st->y, out);
    set(st->hT, t->t[RB_HT] + so);
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, st->x};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, st->h0};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, sg->wl[k]};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, sg->wi[k]};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, sg->bias};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, st->y};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, st->hT};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, st->scratch[k]};
    if (rb_cell_has_c(q->p.s.cell)) {
        set(st->c0, t->t[RB_C0] + so);
        set(st->cT, t->t[RB_CT] + so);
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, st->c0};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, st->cT};
    }
    return n;
}

/* Segment i's input and output: x, y, or the segment outputs in between
 * (in ws when training, else the plan's ping-pong buffers). */
static const float *seg_in(onednn_plan *q, rb_tensors *t, const void *ws, int i)
{
    if (i == 0) return t->t[RB_X];
    return ws ? (const float *)((const char *)ws + q->seg[i - 1].out_off) : q->mid[(i - 1) & 1];
}

static float *seg_out(onednn_plan *q, rb_tensors *t, const void *ws, int i)
{
    if (i == q->nseg - 1) return t->t[RB_Y];
    return ws ? (float *)((char *)ws + q->seg[i].out_off) : q->mid[i & 1];
}

static void onednn_forward(void *plan, rb_tensors *t, void *ws)
{
    onednn_plan *q = plan;
    const int k = ws ? TRN : INF;
    omp_set_num_threads(q->p.threads);
    for (int i = 0; i < q->nseg; i++) {
        const segment *sg = &q->seg[i];
        const stage *st = &q->st[sg->st];
        dnnl_exec_arg_t a[12];
        int n = forward_args(q, sg, t, seg_in(q, t, ws, i), seg_out(q, t, ws, i), k, a);
        if (ws) {
            set(st->ws, (char *)ws + sg->ws_off);
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, st->ws};
        }
        execute(q, st->prim[k], n, a);
    }
}

static void zero_mem(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md;
    RUN(dnnl_memory_get_memory_desc(m, &md));
    memset(handle(m), 0, dnnl_memory_desc_get_size(md));
}

/* Segment sg's diff weights and bias from oneDNN's formats to the
 * canonical tensors (timed). */
static void diff_params_out(onednn_plan *q, const segment *sg, rb_tensors *t)
{
    const stage *st = &q->st[sg->st];
    const int H = q->p.s.H, G = q->G, nb = st->nl * q->D, same_order = q->perm[0] == 0;
    float *dwl = t->t[RB_DW_IH] + seg_param(q, sg, RB_DW_IH);
    float *dwi = t->t[RB_DW_HH] + seg_param(q, sg, RB_DW_HH);
    if (!st->dw_direct) {
        const float *gl = handle(st->dwl), *gi = handle(st->dwi);
        if (st->rdl) {
            if (same_order) {
                set(st->dwl_u, dwl);
                set(st->dwi_u, dwi);
            }
            dnnl_exec_arg_t r1[2] = {{DNNL_ARG_FROM, st->dwl}, {DNNL_ARG_TO, st->dwl_u}};
            execute(q, st->rdl, 2, r1);
            dnnl_exec_arg_t r2[2] = {{DNNL_ARG_FROM, st->dwi}, {DNNL_ARG_TO, st->dwi_u}};
            execute(q, st->rdi, 2, r2);
            gl = handle(st->dwl_u);
            gi = handle(st->dwi_u);
        }
        if (!same_order) {
            permute_rows(q, nb, st->in, gl, dwl, 0);
            permute_rows(q, nb, H, gi, dwi, 0);
        }
    }
    const float *db = handle(st->dbias);
    for (int blk = 0; blk < nb; blk++) {
        float *dbi = t->t[RB_DB_IH] + seg_param(q, sg, RB_DB_IH) + (size_t)blk * G * H;
        float *dbh = t->t[RB_DB_HH] + seg_param(q, sg, RB_DB_HH) + (size_t)blk * G * H;
        const float *d = db + (size_t)blk * q->GB * H;
        for (int g = 0; g < G; g++) {
            const int o = q->perm[g];
            memcpy(dbi + o * H, d + (size_t)g * H, sizeof(float) * H);
            memcpy(dbh + o * H, d + (size_t)g * H, sizeof(float) * H);
        }
        if (rb_cell_family_of(q->p.s.cell) == RB_FAMILY_GRU_LBR)
            memcpy(dbh + 2 * H, d + (size_t)3 * H, sizeof(float) * H);
    }
}

static void onednn_backward(void *plan, rb_tensors *t, const void *ws)
{
    onednn_plan *q = plan;
    omp_set_num_threads(q->p.threads);
    for (int i = q->nseg - 1; i >= 0; i--) {
        const segment *sg = &q->seg[i];
        const stage *st = &q->st[sg->st];
        const size_t so = seg_state(q, sg);
        dnnl_exec_arg_t a[24];
        int n = forward_args(q, sg, t, seg_in(q, t, ws, i), seg_out(q, t, ws, i), BWD, a);
        set(st->dy, i == q->nseg - 1 ? t->t[RB_DY] : q->dmid[(i + 1) & 1]);
        set(st->dx, i == 0 ? t->t[RB_DX] : q->dmid[i & 1]);
        set(st->dhT, t->t[RB_DHT] + so);
        set(st->dh0, t->t[RB_DH0] + so);
        set(st->ws, (const char *)ws + sg->ws_off);
        if (st->dw_direct) {
            set(st->dwl, t->t[RB_DW_IH] + seg_param(q, sg, RB_DW_IH));
            set(st->dwi, t->t[RB_DW_HH] + seg_param(q, sg, RB_DW_HH));
        }
        /* oneDNN accumulates into the diff parameters. */
        zero_mem(st->dwl);
        zero_mem(st->dwi);
        zero_mem(st->dbias);
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_LAYER, st->dy};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER, st->dhT};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, st->ws};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_LAYER, st->dx};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER, st->dh0};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_LAYER, st->dwl};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_ITER, st->dwi};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, st->dbias};
        if (rb_cell_has_c(q->p.s.cell)) {
            set(st->dcT, t->t[RB_DCT] + so);
            set(st->dc0, t->t[RB_DC0] + so);
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER_C, st->dcT};
            a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER_C, st->dc0};
        }
        execute(q, st->prim[BWD], n, a);
        diff_params_out(q, sg, t);
    }
}

static void onednn_describe(const void *plan, char *buf, size_t n)
{
    const onednn_plan *q = plan;
    const dnnl_version_t *v = dnnl_version();
    char net[160] = "";
    if (q->nseg > 1 || rb_shape_is_net(&q->p.s))
        snprintf(net, sizeof net, "; %d layer%s %s as %d primitive execution%s per pass (%s)",
                 rb_shape_layers(&q->p.s), rb_shape_layers(&q->p.s) == 1 ? "" : "s", rb_dir_name(q->p.s.dir),
                 q->nseg, q->nseg == 1 ? "" : "s",
                 q->D == 2 ? "one per layer: oneDNN stacks the directions independently"
                 : q->nseg == 1 ? "all layers in one"
                                : "layer 0, then layers 1.. in one");
    snprintf(buf, n, "oneDNN %d.%d.%d (%s), cpu runtime %s, ISA as oneDNN dispatches (ONEDNN_VERBOSE=1 says)%s",
             v->major, v->minor, v->patch, v->hash, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other", net);
}

RB_DEFINE_VARIANT_OPS(onednn);
