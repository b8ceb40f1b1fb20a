/*
 * onednn.c: the `onednn` peer variant. oneDNN 2.6's RNN primitive (C API),
 * one layer, one direction (unidirectional_left2right), f32, every cell:
 *   rnn_*                dnnl_vanilla_rnn_*_desc_init with the activation
 *                        as an eltwise kind (elman_alg): tanh, relu (alpha
 *                        0), logistic (rnn_sigmoid), relu with alpha 0.01
 *                        (rnn_leaky: oneDNN's relu is leaky with slope alpha)
 *   lstm                 dnnl_lstm_*_desc_init (no peephole, no projection)
 *   gru                  dnnl_gru_*_desc_init: oneDNN's plain GRU multiplies
 *                        h_{t-1} by the reset gate before the recurrent
 *                        product, which is our classic `gru`
 *   gru_lbr              dnnl_lbr_gru_*_desc_init
 * Three primitives per plan: forward_inference, forward_training and
 * backward (hinted by the training one), created in plan_create.
 *
 * Layouts. x, y, dy, dx are tnc = our [T][N][.]; h0, c0, hT, cT and their
 * gradients are ldnc = [1][1][N][H] = our [N][H]: those are wrapped in place
 * (dnnl_memory_set_data_handle), no copies. Weights: oneDNN's ldgoi user
 * format, [L][D][G][O][I], is our [G*H][I] row layout, so in set_params the
 * canonical weights are (GRU only) permuted to oneDNN's gate order and then
 * reordered to the format each primitive picks (format any), as benchdnn
 * leaves reorders out. Gate orders: lstm i f c o = ours; gru and lbr_gru
 * u r o vs ours r z n (u = z, o = n): permuted. Bias: ldgo, one row per
 * gate = b_ih + b_hh; lbr_gru has G+1 = 4 rows u r o u', u' = b_hn and
 * o = b_in alone.
 *
 * Inside the timing: forward is one dnnl_primitive_execute (plus stream
 * wait). backward zeroes oneDNN's diff weights and diff bias (oneDNN adds
 * to them), executes, and converts the gradients back to the canonical
 * tensors: dweight_* from oneDNN's diff format (ldgoi requested; for gru
 * and gru_lbr a gate permutation copy, otherwise oneDNN writes straight
 * into the user tensor; oneDNN 2.6 in fact refuses ldgoi here and gives
 * ldigo, [I][G][H], so backward also runs a transposing reorder to ldgoi,
 * straight into dweight_* for rnn and lstm), dbias_ih = dbias_hh = oneDNN's summed diff bias (gru_lbr: its n
 * rows come from the o and u' rows). That conversion is part of the
 * backward time.
 *
 * Threads: Debian's libdnnl is built with OpenMP; the team size is
 * problem.threads, set with omp_set_num_threads before the primitives are
 * created and before each execute. The training workspace is oneDNN's own
 * (workspace_bytes = its size), the harness buffer is wrapped as it; the
 * scratchpad is user-mode, allocated once in plan_create.
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "../variant.h"

enum { INF, TRN, BWD, NPRIM };

typedef struct {
    rb_problem p;
    int G;  /* gates */
    int GB; /* bias rows: G, or G+1 for lbr_gru */
    int perm[4]; /* oneDNN gate g is our gate perm[g] */
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_desc_t pd[NPRIM];
    dnnl_primitive_t prim[NPRIM];
    /* canonical tensors, handles set per call */
    dnnl_memory_t x, h0, c0, y, hT, cT, dy, dhT, dcT, dx, dh0, dc0, ws;
    /* parameters in each primitive's format (shared when formats agree) */
    dnnl_memory_t wl[NPRIM], wi[NPRIM];
    dnnl_memory_t bias;       /* ldgo, owned */
    dnnl_memory_t scratch[NPRIM];
    void *scratch_buf;
    /* diff parameters */
    dnnl_memory_t dwl, dwi, dbias; /* as the backward primitive wants them */
    int dw_direct;                 /* dwl/dwi are ldgoi and gate order = ours */
    dnnl_memory_t dwl_u, dwi_u;    /* ldgoi, owned, when a reorder is needed */
    dnnl_primitive_t rdl, rdi;     /* reorders dwl -> dwl_u, dwi -> dwi_u */
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

/* The RNN op descriptor of a cell and pass. dw_tag: format asked for the
 * diff weights (backward only). */
static dnnl_status_t init_desc(dnnl_rnn_desc_t *d, const rb_shape *s, dnnl_prop_kind_t prop,
                               dnnl_format_tag_t dw_tag)
{
    const rb_cell_family fam = rb_cell_family_of(s->cell);
    const int G = rb_cell_gates(s->cell), GB = fam == RB_FAMILY_GRU_LBR ? G + 1 : G;
    const dnnl_dims_t d_sl = {s->T, s->N, s->I}, d_dl = {s->T, s->N, s->H};
    const dnnl_dims_t d_it = {1, 1, s->N, s->H};
    const dnnl_dims_t d_wl = {1, 1, s->I, G, s->H}, d_wi = {1, 1, s->H, G, s->H};
    const dnnl_dims_t d_b = {1, 1, GB, s->H};
    dnnl_memory_desc_t sl, it, wl, wi, b, dl, dwl, dwi;
    md_tag(&sl, 3, d_sl, dnnl_tnc);
    md_tag(&dl, 3, d_dl, dnnl_tnc);
    md_tag(&it, 4, d_it, dnnl_ldnc);
    md_tag(&wl, 5, d_wl, dnnl_format_tag_any);
    md_tag(&wi, 5, d_wi, dnnl_format_tag_any);
    md_tag(&b, 4, d_b, dnnl_ldgo);
    md_tag(&dwl, 5, d_wl, dw_tag);
    md_tag(&dwi, 5, d_wi, dw_tag);
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
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

static void onednn_plan_destroy(void *plan)
{
    onednn_plan *q = plan;
    if (!q) return;
    dnnl_memory_t *mems[] = {&q->x, &q->h0, &q->c0, &q->y, &q->hT, &q->cT, &q->dy, &q->dhT,
                             &q->dcT, &q->dx, &q->dh0, &q->dc0, &q->ws, &q->bias, &q->dwl,
                             &q->dwi, &q->dbias, &q->dwl_u, &q->dwi_u};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (*mems[i]) dnnl_memory_destroy(*mems[i]);
    for (int k = 0; k < NPRIM; k++) {
        /* weights memories may be shared between primitives */
        for (int j = 0; j < k; j++) {
            if (q->wl[j] == q->wl[k]) q->wl[k] = NULL;
            if (q->wi[j] == q->wi[k]) q->wi[k] = NULL;
        }
    }
    for (int k = 0; k < NPRIM; k++) {
        if (q->wl[k]) dnnl_memory_destroy(q->wl[k]);
        if (q->wi[k]) dnnl_memory_destroy(q->wi[k]);
        if (q->scratch[k]) dnnl_memory_destroy(q->scratch[k]);
        if (q->prim[k]) dnnl_primitive_destroy(q->prim[k]);
        if (q->pd[k]) dnnl_primitive_desc_destroy(q->pd[k]);
    }
    if (q->rdl) dnnl_primitive_destroy(q->rdl);
    if (q->rdi) dnnl_primitive_destroy(q->rdi);
    free(q->scratch_buf);
    if (q->strm) dnnl_stream_destroy(q->strm);
    if (q->eng) dnnl_engine_destroy(q->eng);
    free(q);
}

/* Creates a memory of descriptor md with no buffer (the handle is set per call). */
static dnnl_status_t wrap(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t e)
{
    return dnnl_memory_create(m, md, e, DNNL_MEMORY_NONE);
}

static void *onednn_plan_create(const rb_problem *p, char *err, size_t errlen)
{
    onednn_plan *q = calloc(1, sizeof *q);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t rpd = NULL;
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const rb_shape *s = &p->s;
    const rb_cell cell = s->cell;
    const rb_cell_family fam = rb_cell_family_of(cell);
    /* oneDNN's gru and lbr_gru order their gates u r o, ours r z n. */
    const int same_order = !(fam == RB_FAMILY_GRU || fam == RB_FAMILY_GRU_LBR);
    q->p = *p;
    q->G = rb_cell_gates(cell);
    q->GB = fam == RB_FAMILY_GRU_LBR ? q->G + 1 : q->G;
    for (int g = 0; g < 4; g++) q->perm[g] = g;
    if (!same_order) {
        q->perm[0] = 1; /* u = z */
        q->perm[1] = 0; /* r     */
    }
    omp_set_num_threads(p->threads);

    CK(dnnl_engine_create(&q->eng, dnnl_cpu, 0));
    CK(dnnl_stream_create(&q->strm, q->eng, dnnl_stream_default_flags));
    CK(dnnl_primitive_attr_create(&attr));
    CK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));

    dnnl_rnn_desc_t d;
    CK(init_desc(&d, s, dnnl_forward_inference, dnnl_format_tag_any));
    CK(dnnl_primitive_desc_create(&q->pd[INF], &d, attr, q->eng, NULL));
    CK(init_desc(&d, s, dnnl_forward_training, dnnl_format_tag_any));
    CK(dnnl_primitive_desc_create(&q->pd[TRN], &d, attr, q->eng, NULL));
    /* Ask for the diff weights in ldgoi (= our row layout); take any other
     * format the library insists on and reorder it in backward. */
    CK(init_desc(&d, s, dnnl_backward, dnnl_ldgoi));
    if (dnnl_primitive_desc_create(&q->pd[BWD], &d, attr, q->eng, q->pd[TRN]) != dnnl_success) {
        CK(init_desc(&d, s, dnnl_backward, dnnl_format_tag_any));
        CK(dnnl_primitive_desc_create(&q->pd[BWD], &d, attr, q->eng, q->pd[TRN]));
    }
    dnnl_primitive_attr_destroy(attr);
    attr = NULL;
    for (int k = 0; k < NPRIM; k++) CK(dnnl_primitive_create(&q->prim[k], q->pd[k]));

    /* Data: explicit tnc / ldnc, the same descriptors in all three. */
    const_dnnl_primitive_desc_t fb = q->pd[BWD];
    CK(wrap(&q->x, qmd(fb, DNNL_ARG_SRC_LAYER), q->eng));
    CK(wrap(&q->h0, qmd(fb, DNNL_ARG_SRC_ITER), q->eng));
    CK(wrap(&q->y, qmd(fb, DNNL_ARG_DST_LAYER), q->eng));
    CK(wrap(&q->hT, qmd(fb, DNNL_ARG_DST_ITER), q->eng));
    CK(wrap(&q->dy, qmd(fb, DNNL_ARG_DIFF_DST_LAYER), q->eng));
    CK(wrap(&q->dhT, qmd(fb, DNNL_ARG_DIFF_DST_ITER), q->eng));
    CK(wrap(&q->dx, qmd(fb, DNNL_ARG_DIFF_SRC_LAYER), q->eng));
    CK(wrap(&q->dh0, qmd(fb, DNNL_ARG_DIFF_SRC_ITER), q->eng));
    if (rb_cell_has_c(cell)) {
        CK(wrap(&q->c0, qmd(fb, DNNL_ARG_SRC_ITER_C), q->eng));
        CK(wrap(&q->cT, qmd(fb, DNNL_ARG_DST_ITER_C), q->eng));
        CK(wrap(&q->dcT, qmd(fb, DNNL_ARG_DIFF_DST_ITER_C), q->eng));
        CK(wrap(&q->dc0, qmd(fb, DNNL_ARG_DIFF_SRC_ITER_C), q->eng));
    }
    CK(wrap(&q->ws, dnnl_primitive_desc_query_md(q->pd[TRN], dnnl_query_workspace_md, 0), q->eng));

    /* Parameters in each primitive's chosen format; share equal ones. */
    CK(dnnl_memory_create(&q->bias, qmd(q->pd[INF], DNNL_ARG_BIAS), q->eng, DNNL_MEMORY_ALLOCATE));
    for (int k = 0; k < NPRIM; k++) {
        const dnnl_memory_desc_t *ml = qmd(q->pd[k], DNNL_ARG_WEIGHTS_LAYER);
        const dnnl_memory_desc_t *mi = qmd(q->pd[k], DNNL_ARG_WEIGHTS_ITER);
        for (int j = 0; j < k; j++) {
            if (!q->wl[k] && dnnl_memory_desc_equal(ml, qmd(q->pd[j], DNNL_ARG_WEIGHTS_LAYER)))
                q->wl[k] = q->wl[j];
            if (!q->wi[k] && dnnl_memory_desc_equal(mi, qmd(q->pd[j], DNNL_ARG_WEIGHTS_ITER)))
                q->wi[k] = q->wi[j];
        }
        if (!q->wl[k]) CK(dnnl_memory_create(&q->wl[k], ml, q->eng, DNNL_MEMORY_ALLOCATE));
        if (!q->wi[k]) CK(dnnl_memory_create(&q->wi[k], mi, q->eng, DNNL_MEMORY_ALLOCATE));
    }

    /* Scratchpad: one buffer, the largest of the three. */
    size_t sbytes = 0;
    for (int k = 0; k < NPRIM; k++) {
        size_t b = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(q->pd[k], dnnl_query_scratchpad_md, 0));
        if (b > sbytes) sbytes = b;
    }
    if (posix_memalign(&q->scratch_buf, 4096, sbytes ? (sbytes + 4095) & ~(size_t)4095 : 4096) != 0) {
        q->scratch_buf = NULL;
        snprintf(err, errlen, "out of memory for a %zu-byte scratchpad", sbytes);
        goto fail;
    }
    for (int k = 0; k < NPRIM; k++)
        CK(dnnl_memory_create(&q->scratch[k], dnnl_primitive_desc_query_md(q->pd[k], dnnl_query_scratchpad_md, 0),
                              q->eng, q->scratch_buf));

    /* Diff parameters. */
    const dnnl_memory_desc_t *mdl = qmd(fb, DNNL_ARG_DIFF_WEIGHTS_LAYER);
    const dnnl_memory_desc_t *mdi = qmd(fb, DNNL_ARG_DIFF_WEIGHTS_ITER);
    const dnnl_dims_t d_wl = {1, 1, s->I, q->G, s->H}, d_wi = {1, 1, s->H, q->G, s->H};
    dnnl_memory_desc_t ul, ui;
    md_tag(&ul, 5, d_wl, dnnl_ldgoi);
    md_tag(&ui, 5, d_wi, dnnl_ldgoi);
    const int ldgoi = dnnl_memory_desc_equal(mdl, &ul) && dnnl_memory_desc_equal(mdi, &ui);
    q->dw_direct = ldgoi && same_order;
    CK(dnnl_memory_create(&q->dwl, mdl, q->eng, q->dw_direct ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE));
    CK(dnnl_memory_create(&q->dwi, mdi, q->eng, q->dw_direct ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE));
    if (!ldgoi) {
        /* Same gate order: reorder straight into the user tensors. */
        void *h = same_order ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE;
        CK(dnnl_memory_create(&q->dwl_u, &ul, q->eng, h));
        CK(dnnl_memory_create(&q->dwi_u, &ui, q->eng, h));
        CK(dnnl_reorder_primitive_desc_create(&rpd, mdl, q->eng, &ul, q->eng, NULL));
        CK(dnnl_primitive_create(&q->rdl, rpd));
        dnnl_primitive_desc_destroy(rpd);
        CK(dnnl_reorder_primitive_desc_create(&rpd, mdi, q->eng, &ui, q->eng, NULL));
        CK(dnnl_primitive_create(&q->rdi, rpd));
        dnnl_primitive_desc_destroy(rpd);
        rpd = NULL;
    }
    CK(dnnl_memory_create(&q->dbias, qmd(fb, DNNL_ARG_DIFF_BIAS), q->eng, DNNL_MEMORY_ALLOCATE));
    return q;

fail:
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (rpd) dnnl_primitive_desc_destroy(rpd);
    onednn_plan_destroy(q);
    return NULL;
}

static size_t onednn_workspace_bytes(const rb_problem *p)
{
    dnnl_engine_t eng = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_rnn_desc_t d;
    size_t bytes = 0;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) == dnnl_success &&
        init_desc(&d, &p->s, dnnl_forward_training, dnnl_format_tag_any) == dnnl_success &&
        dnnl_primitive_desc_create(&pd, &d, NULL, eng, NULL) == dnnl_success)
        bytes = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_workspace_md, 0));
    if (pd) dnnl_primitive_desc_destroy(pd);
    if (eng) dnnl_engine_destroy(eng);
    return bytes;
}

static void *handle(dnnl_memory_t m)
{
    void *h = NULL;
    RUN(dnnl_memory_get_data_handle(m, &h));
    return h;
}

static void set(dnnl_memory_t m, const float *ptr) { RUN(dnnl_memory_set_data_handle(m, (void *)ptr)); }

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

/* Canonical [G*H][K] (our gate order) -> [G][H][K] in oneDNN's gate order. */
static void permute_rows(const onednn_plan *q, int K, const float *src, float *dst, int to_dnnl)
{
    const size_t blk = (size_t)q->p.s.H * K;
    for (int g = 0; g < q->G; g++) {
        const int o = q->perm[g];
        if (to_dnnl) memcpy(dst + g * blk, src + o * blk, blk * sizeof(float));
        else memcpy(dst + o * blk, src + g * blk, blk * sizeof(float));
    }
}

static void onednn_set_params(void *plan, const rb_tensors *t)
{
    onednn_plan *q = plan;
    const rb_shape *s = &q->p.s;
    const int H = s->H, G = q->G, lbr = rb_cell_family_of(s->cell) == RB_FAMILY_GRU_LBR;
    omp_set_num_threads(q->p.threads);
    const size_t nl = (size_t)G * H * s->I, ni = (size_t)G * H * H;
    float *tmp = malloc(sizeof(float) * (nl > ni ? nl : ni));
    if (!tmp) {
        fprintf(stderr, "rnnbench: onednn set_params: out of memory\n");
        exit(1);
    }
    const dnnl_dims_t d_wl = {1, 1, s->I, G, H}, d_wi = {1, 1, H, G, H};
    dnnl_memory_desc_t ul, ui;
    md_tag(&ul, 5, d_wl, dnnl_ldgoi);
    md_tag(&ui, 5, d_wi, dnnl_ldgoi);
    for (int k = 0; k < NPRIM; k++) {
        int done_l = 0, done_i = 0;
        for (int j = 0; j < k; j++) {
            done_l |= q->wl[j] == q->wl[k];
            done_i |= q->wi[j] == q->wi[k];
        }
        if (!done_l) {
            permute_rows(q, s->I, t->t[RB_W_IH], tmp, 1);
            reorder_into(q, &ul, tmp, q->wl[k]);
        }
        if (!done_i) {
            permute_rows(q, H, t->t[RB_W_HH], tmp, 1);
            reorder_into(q, &ui, tmp, q->wi[k]);
        }
    }
    free(tmp);

    /* Bias, ldgo: row g = b_ih + b_hh of our gate perm[g]; lbr: o = b_in,
     * u' = b_hn. */
    float *b = handle(q->bias);
    const float *bi = t->t[RB_B_IH], *bh = t->t[RB_B_HH];
    for (int g = 0; g < G; g++) {
        const int o = q->perm[g];
        for (int j = 0; j < H; j++) {
            float v = bi[o * H + j];
            if (!(lbr && o == 2)) v += bh[o * H + j];
            b[g * H + j] = v;
        }
    }
    if (lbr)
        for (int j = 0; j < H; j++) b[3 * H + j] = bh[2 * H + j];
}

/* What forward and backward both pass: x, h0, the weights in layout k
 * (INF, TRN or BWD), the bias, y and hT, their handles set to t's
 * tensors, as the first arguments of a. Returns their count. */
static int forward_args(onednn_plan *q, rb_tensors *t, int k, dnnl_exec_arg_t *a)
{
    set(q->x, t->t[RB_X]);
    set(q->h0, t->t[RB_H0]);
    set(q->y, t->t[RB_Y]);
    set(q->hT, t->t[RB_HT]);
    int n = 0;
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, q->x};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, q->h0};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, q->wl[k]};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, q->wi[k]};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, q->bias};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, q->y};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, q->hT};
    return n;
}

static void onednn_forward(void *plan, rb_tensors *t, void *ws)
{
    onednn_plan *q = plan;
    const int k = ws ? TRN : INF;
    omp_set_num_threads(q->p.threads);
    dnnl_exec_arg_t a[12];
    int n = forward_args(q, t, k, a);
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, q->scratch[k]};
    if (rb_cell_has_c(q->p.s.cell)) {
        set(q->c0, t->t[RB_C0]);
        set(q->cT, t->t[RB_CT]);
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, q->c0};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, q->cT};
    }
    if (ws) {
        RUN(dnnl_memory_set_data_handle(q->ws, ws));
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, q->ws};
    }
    execute(q, q->prim[k], n, a);
}

static void onednn_backward(void *plan, rb_tensors *t, const void *ws)
{
    onednn_plan *q = plan;
    const rb_shape *s = &q->p.s;
    const int H = s->H, G = q->G;
    omp_set_num_threads(q->p.threads);

    dnnl_exec_arg_t a[24];
    int n = forward_args(q, t, BWD, a);
    set(q->dy, t->t[RB_DY]);
    set(q->dhT, t->t[RB_DHT]);
    set(q->dx, t->t[RB_DX]);
    set(q->dh0, t->t[RB_DH0]);
    RUN(dnnl_memory_set_data_handle(q->ws, (void *)ws));
    if (q->dw_direct) {
        set(q->dwl, t->t[RB_DW_IH]);
        set(q->dwi, t->t[RB_DW_HH]);
    }
    /* oneDNN accumulates into the diff parameters. */
    const dnnl_memory_desc_t *md;
    RUN(dnnl_memory_get_memory_desc(q->dwl, &md));
    memset(handle(q->dwl), 0, dnnl_memory_desc_get_size(md));
    RUN(dnnl_memory_get_memory_desc(q->dwi, &md));
    memset(handle(q->dwi), 0, dnnl_memory_desc_get_size(md));
    RUN(dnnl_memory_get_memory_desc(q->dbias, &md));
    memset(handle(q->dbias), 0, dnnl_memory_desc_get_size(md));

    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_LAYER, q->dy};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER, q->dhT};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, q->ws};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_LAYER, q->dx};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER, q->dh0};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_LAYER, q->dwl};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_ITER, q->dwi};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, q->dbias};
    a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, q->scratch[BWD]};
    if (rb_cell_has_c(s->cell)) {
        set(q->c0, t->t[RB_C0]);
        set(q->cT, t->t[RB_CT]);
        set(q->dcT, t->t[RB_DCT]);
        set(q->dc0, t->t[RB_DC0]);
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, q->c0};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, q->cT};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER_C, q->dcT};
        a[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER_C, q->dc0};
    }
    execute(q, q->prim[BWD], n, a);

    /* Back to the canonical layout (timed). */
    if (!q->dw_direct) {
        const int same_order = q->perm[0] == 0;
        const float *gl = handle(q->dwl), *gi = handle(q->dwi);
        if (q->rdl) {
            if (same_order) {
                set(q->dwl_u, t->t[RB_DW_IH]);
                set(q->dwi_u, t->t[RB_DW_HH]);
            }
            dnnl_exec_arg_t r1[2] = {{DNNL_ARG_FROM, q->dwl}, {DNNL_ARG_TO, q->dwl_u}};
            execute(q, q->rdl, 2, r1);
            dnnl_exec_arg_t r2[2] = {{DNNL_ARG_FROM, q->dwi}, {DNNL_ARG_TO, q->dwi_u}};
            execute(q, q->rdi, 2, r2);
            gl = handle(q->dwl_u);
            gi = handle(q->dwi_u);
        }
        if (!same_order) {
            permute_rows(q, s->I, gl, t->t[RB_DW_IH], 0);
            permute_rows(q, H, gi, t->t[RB_DW_HH], 0);
        }
    }
    const float *db = handle(q->dbias);
    float *dbi = t->t[RB_DB_IH], *dbh = t->t[RB_DB_HH];
    for (int g = 0; g < G; g++) {
        const int o = q->perm[g];
        memcpy(dbi + o * H, db + (size_t)g * H, sizeof(float) * H);
        memcpy(dbh + o * H, db + (size_t)g * H, sizeof(float) * H);
    }
    if (rb_cell_family_of(s->cell) == RB_FAMILY_GRU_LBR) memcpy(dbh + 2 * H, db + (size_t)3 * H, sizeof(float) * H);
}

static void onednn_describe(const void *plan, char *buf, size_t n)
{
    (void)plan;
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, n, "oneDNN %d.%d.%d (%s), cpu runtime %s, ISA as oneDNN dispatches (ONEDNN_VERBOSE=1 says)",
             v->major, v->minor, v->patch, v->hash, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other");
}

RB_DEFINE_VARIANT_OPS(onednn);
