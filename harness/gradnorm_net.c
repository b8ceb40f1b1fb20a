/*
 * gradnorm_net.c: gradient norms through depth (`rnnbench gradnorm
 * --layers L`); the experiment is described in gradnorm.h.
 *
 * Everything runs on the double reference. The network's own forward and
 * backward (rb_ref_f64_*) give y, the parameter gradients, dx and dh0; the
 * per-layer, per-step totals come from a chain of one-step runs of the
 * one-layer reference, per layer from the top down and per step from T-1
 * back:
 *
 *   step t of layer l  from (h^{[l]}_{t-1}, c^{[l]}_{t-1}) on the layer's
 *                      input at t, with dy = dout^{[l]}_t (∂L/∂h^{[l]}_t
 *                      through the layer above, or the head's dy on the
 *                      top layer) and dhT, dcT = the future parts (what
 *                      reaches h^{[l]}_t, c^{[l]}_t through step t+1;
 *                      dhT, dcT of the network at t = T-1)
 *   its dh0, dc0       the future parts for step t-1
 *   its dx             dout^{[l-1]}_t, for the layer below
 *   its dweight_hh     step t's term, exactly
 *   total ∂L/∂h^{[l]}_t = dout^{[l]}_t + future part
 *   total ∂L/∂c^{[l]}_t = future part + ∂L/∂h ∘ o_t ∘ (1 - tanh²(c_t))
 *
 * Scratch (double):
 *   hs, cs  [L][T+1][N][H]  hs[l][t+1] = h^{[l]}_t, hs[l][0] = h0 of l
 *   dout    [T][N][H]       what reaches layer l's outputs from above
 *   din     [T][N][I_l]     what reaches layer l's input (dout of l-1)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/reference/ref.h"
#include "gradnorm.h"
#include "tensors.h"

static double sumsq(const double *p, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += p[i] * p[i];
    return s;
}

void rb_gn_net_grads_free(rb_gn_net_grads *g)
{
    free(g->dh);
    free(g->dc);
    free(g->dx);
    free(g->dh0);
    free(g->dc0);
    free(g->dx_norm);
    free(g->dwhh_norm);
    memset(g, 0, sizeof *g);
}

/* Points the parameters of a one-layer tensor set at block l of the
 * network's. */
static void point_params(rb_tensors_f64 *q, const rb_tensors_f64 *t, const rb_shape *s, int l)
{
    static const rb_tensor_id params[] = {RB_W_IH, RB_W_HH, RB_B_IH, RB_B_HH};
    for (int i = 0; i < 4; i++) q->t[params[i]] = t->t[params[i]] + rb_param_offset(s, params[i], l, 0);
}

/* lstm's o_t (row j of the o block, sequence n) in double from the
 * parameters: what ∂L/∂c_t's path through h_t needs. */
static double lstm_o(const rb_tensors_f64 *q, int I, int H, const double *x, const double *hp, int j)
{
    const size_t row = (size_t)3 * H + j; /* gates i f g o */
    double a = q->t[RB_B_IH][row] + q->t[RB_B_HH][row];
    for (int k = 0; k < I; k++) a += q->t[RB_W_IH][row * I + k] * x[k];
    for (int k = 0; k < H; k++) a += q->t[RB_W_HH][row * H + k] * hp[k];
    return 1.0 / (1.0 + exp(-a));
}

int rb_gn_net_grads_run(const rb_shape *s, const rb_tensors_f64 *t, rb_gn_net_grads *g, char *err,
                        size_t errlen)
{
    const int L = rb_shape_layers(s), T = s->T, N = s->N, H = s->H, I = s->I;
    const int G = rb_cell_gates(s->cell), has_c = rb_cell_has_c(s->cell);
    const int lstm = rb_cell_family_of(s->cell) == RB_FAMILY_LSTM;
    const size_t NH = (size_t)N * H, TNH = (size_t)T * NH;
    const int Imax = I > H ? I : H;
    memset(g, 0, sizeof *g);
    if (s->dir != RB_DIR_L2R || s->lengths) {
        snprintf(err, errlen, "gradient norms through depth run l2r networks of full length only");
        return -1;
    }
    g->L = L;
    g->T = T;
    const rb_shape q1 = {.cell = s->cell, .T = 1, .N = N, .I = Imax, .H = H};
    const size_t ws_elems = rb_ref_f64_workspace_elems(&q1);
    g->dh = malloc(sizeof(double) * L * TNH);
    g->dc = lstm ? malloc(sizeof(double) * L * TNH) : NULL;
    g->dx = malloc(sizeof(double) * (size_t)T * N * I);
    g->dh0 = malloc(sizeof(double) * L * NH);
    g->dc0 = has_c ? malloc(sizeof(double) * L * NH) : NULL;
    g->dx_norm = malloc(sizeof(double) * L * T);
    g->dwhh_norm = malloc(sizeof(double) * L * T);
    double *hs = malloc(sizeof(double) * L * (T + 1) * NH);
    double *cs = has_c ? malloc(sizeof(double) * L * (T + 1) * NH) : NULL;
    double *dout = malloc(sizeof(double) * (size_t)T * N * Imax);
    double *din = malloc(sizeof(double) * (size_t)T * N * Imax);
    /* one step's outputs and gradients: y hT cT, dh0 dc0 fut_h fut_c, dW dU db db */
    double *one = malloc(sizeof(double) * (7 * NH + (size_t)G * H * (Imax + H + 2)));
    double *ws = malloc(sizeof(double) * (ws_elems ? ws_elems : 1));
    if (!g->dh || (lstm && !g->dc) || !g->dx || !g->dh0 || (has_c && !g->dc0) || !g->dx_norm ||
        !g->dwhh_norm || !hs || (has_c && !cs) || !dout || !din || !one || !ws) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    double *y1 = one, *hT1 = y1 + NH, *cT1 = hT1 + NH, *dh0 = cT1 + NH, *dc0 = dh0 + NH;
    double *fut_h = dc0 + NH, *fut_c = fut_h + NH, *dW = fut_c + NH, *dU = dW + (size_t)G * H * Imax;
    double *dbi = dU + (size_t)G * H * H, *dbh = dbi + (size_t)G * H;
#define HS(l, i) (hs + ((size_t)(l) * (T + 1) + (i)) * NH)
#define CS(l, i) (cs + ((size_t)(l) * (T + 1) + (i)) * NH)

    /* Forward, one step at a time: every h_t and c_t of every layer. */
    for (int l = 0; l < L; l++) {
        const int Il = rb_layer_input(s, l);
        const rb_shape q = {.cell = s->cell, .T = 1, .N = N, .I = Il, .H = H};
        const double *in = l == 0 ? t->t[RB_X] : HS(l - 1, 1);
        rb_tensors_f64 st = {{0}};
        point_params(&st, t, s, l);
        memcpy(HS(l, 0), t->t[RB_H0] + l * NH, sizeof(double) * NH);
        if (has_c) memcpy(CS(l, 0), t->t[RB_C0] + l * NH, sizeof(double) * NH);
        for (int ts = 0; ts < T; ts++) {
            st.t[RB_X] = (double *)in + (size_t)ts * N * Il;
            st.t[RB_H0] = HS(l, ts);
            st.t[RB_Y] = HS(l, ts + 1);
            st.t[RB_HT] = hT1;
            if (has_c) {
                st.t[RB_C0] = CS(l, ts);
                st.t[RB_CT] = CS(l, ts + 1);
            }
            if (rb_ref_f64_forward(&q, &st, NULL) != 0) {
                snprintf(err, errlen, "out of memory in the reference");
                goto fail;
            }
        }
    }

    /* Backward, from the top layer down and from step T-1 back. */
    memcpy(dout, t->t[RB_DY], sizeof(double) * TNH);
    for (int l = L - 1; l >= 0; l--) {
        const int Il = rb_layer_input(s, l);
        const rb_shape q = {.cell = s->cell, .T = 1, .N = N, .I = Il, .H = H};
        const double *in = l == 0 ? t->t[RB_X] : HS(l - 1, 1);
        rb_tensors_f64 st = {{0}};
        point_params(&st, t, s, l);
        st.t[RB_Y] = y1;
        st.t[RB_HT] = hT1;
        st.t[RB_DH0] = dh0;
        st.t[RB_DHT] = fut_h;
        st.t[RB_DW_IH] = dW;
        st.t[RB_DW_HH] = dU;
        st.t[RB_DB_IH] = dbi;
        st.t[RB_DB_HH] = dbh;
        if (has_c) {
            st.t[RB_CT] = cT1;
            st.t[RB_DC0] = dc0;
            st.t[RB_DCT] = fut_c;
        }
        memcpy(fut_h, t->t[RB_DHT] + l * NH, sizeof(double) * NH);
        if (has_c) memcpy(fut_c, t->t[RB_DCT] + l * NH, sizeof(double) * NH);
        for (int ts = T - 1; ts >= 0; ts--) {
            const double *xt = in + (size_t)ts * N * Il, *dyt = dout + (size_t)ts * NH;
            double *dht = g->dh + ((size_t)l * T + ts) * NH;
            for (size_t i = 0; i < NH; i++) dht[i] = dyt[i] + fut_h[i];
            if (lstm) {
                double *dct = g->dc + ((size_t)l * T + ts) * NH;
                for (int n = 0; n < N; n++)
                    for (int j = 0; j < H; j++) {
                        const size_t e = (size_t)n * H + j;
                        const double o = lstm_o(&st, Il, H, xt + (size_t)n * Il, HS(l, ts) + (size_t)n * H, j);
                        const double tc = tanh(CS(l, ts + 1)[e]);
                        dct[e] = fut_c[e] + dht[e] * o * (1 - tc * tc);
                    }
            }
            st.t[RB_X] = (double *)xt;
            st.t[RB_H0] = HS(l, ts);
            if (has_c) st.t[RB_C0] = CS(l, ts);
            st.t[RB_DY] = (double *)dyt;
            st.t[RB_DX] = din + (size_t)ts * N * Il;
            if (rb_ref_f64_forward(&q, &st, ws) != 0 || rb_ref_f64_backward(&q, &st, ws) != 0) {
                snprintf(err, errlen, "out of memory in the reference");
                goto fail;
            }
            g->dx_norm[(size_t)l * T + ts] = sqrt(sumsq(st.t[RB_DX], (size_t)N * Il));
            g->dwhh_norm[(size_t)l * T + ts] = sqrt(sumsq(dU, (size_t)G * H * H));
            memcpy(fut_h, dh0, sizeof(double) * NH);
            if (has_c) memcpy(fut_c, dc0, sizeof(double) * NH);
        }
        memcpy(g->dh0 + l * NH, fut_h, sizeof(double) * NH);
        if (has_c) memcpy(g->dc0 + l * NH, fut_c, sizeof(double) * NH);
        /* din is what reaches the layer below's outputs (or x) */
        double *tmp = dout;
        dout = din;
        din = tmp;
    }
    memcpy(g->dx, dout, sizeof(double) * (size_t)T * N * I);
#undef HS
#undef CS
    int rc = 0;
    goto done;
fail: /* the partial results go too */
    rb_gn_net_grads_free(g);
    rc = -1;
done:
    free(hs);
    free(cs);
    free(dout);
    free(din);
    free(one);
    free(ws);
    return rc;
}

/* ---- one seed of the experiment ---- */

/* Every layer's weight_hh block: rho times an orthogonal matrix per gate
 * block; lstm: forget bias on every layer's f rows. Layer 0 is drawn as the
 * single-layer experiment draws it. */
static int set_params(const rb_gn_config *c, const rb_shape *s, rb_tset *ts, uint64_t seed)
{
    const int H = s->H, G = rb_cell_gates(s->cell), L = rb_shape_layers(s);
    double *Q = malloc(sizeof(double) * (size_t)H * H);
    if (!Q) return -1;
    for (int l = 0; l < L; l++) {
        for (int g = 0; g < G; g++) {
            if (rb_gn_orthogonal(Q, H, seed, RB_GN_STREAM_U + 1000 * (uint64_t)l + (uint64_t)g) != 0) {
                free(Q);
                return -1;
            }
            float *U = ts->t.t[RB_W_HH] + rb_param_offset(s, RB_W_HH, l, 0) + (size_t)g * H * H;
            for (size_t i = 0; i < (size_t)H * H; i++) U[i] = (float)(c->rho * Q[i]);
        }
        if (rb_cell_family_of(s->cell) == RB_FAMILY_LSTM) {
            float *b = ts->t.t[RB_B_IH] + rb_param_offset(s, RB_B_IH, l, 0);
            for (int j = 0; j < H; j++) b[H + j] += (float)c->forget_bias;
        }
    }
    free(Q);
    return 0;
}

/* Relative difference of two vectors, norm-wise. */
static double rel_diff(const double *a, const double *b, size_t n)
{
    double dd = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; i++) {
        dd += (a[i] - b[i]) * (a[i] - b[i]);
        aa += a[i] * a[i];
        bb += b[i] * b[i];
    }
    const double den = sqrt(fmax(aa, bb));
    return den > 0 ? sqrt(dd) / den : sqrt(dd);
}

static int nonfinite(const double *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i])) return 1;
    return 0;
}

int rb_gradnorm_net_seed(const rb_gn_config *c, uint64_t seed, rb_gn_seed_result *r, char *err,
                         size_t errlen)
{
    const rb_shape s = {.cell = c->s.cell, .T = c->s.T, .N = c->s.N, .I = c->s.I, .H = c->s.H,
                        .layers = c->layers, .dir = RB_DIR_L2R};
    const int L = c->layers, T = s.T, N = s.N, H = s.H, K = c->K;
    const int lstm = rb_cell_family_of(s.cell) == RB_FAMILY_LSTM;
    const size_t NH = (size_t)N * H, LT = (size_t)L * T;
    static const rb_tensor_id dparams[] = {RB_DW_IH, RB_DW_HH, RB_DB_IH, RB_DB_HH};
    int rc = -1;
    memset(r, 0, sizeof *r);
    r->T = T;
    r->L = L;
    r->overflow_step = -1;

    rb_tset ts;
    if (rb_tset_alloc(&ts, &s, err, errlen) != 0) return -1;
    rb_tset_init(&ts, seed);
    rb_tensors_f64 t = {{0}};
    double *block = NULL, *ws = NULL;
    rb_gn_net_grads g = {0};
    r->dh = calloc(LT, sizeof(double));
    r->dx = calloc(LT, sizeof(double));
    r->dwhh = calloc(LT, sizeof(double));
    r->dc = lstm ? calloc(LT, sizeof(double)) : NULL;
    double *V = malloc(sizeof(double) * (size_t)K * H), *dV = malloc(sizeof(double) * (size_t)K * H);
    double *db = malloc(sizeof(double) * (size_t)K), *z = malloc(sizeof(double) * (size_t)K);
    size_t total = 0;
    for (int id = 0; id < RB_NTENSORS; id++) total += rb_tensor_numel(&s, (rb_tensor_id)id);
    block = malloc(sizeof(double) * total);
    ws = malloc(sizeof(double) * rb_ref_f64_workspace_elems(&s));
    if (!r->dh || !r->dx || !r->dwhh || (lstm && !r->dc) || !V || !dV || !db || !z || !block || !ws ||
        set_params(c, &s, &ts, seed) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    /* The float problem, exactly, in double. */
    {
        double *p = block;
        for (int id = 0; id < RB_NTENSORS; id++) {
            if (!ts.t.t[id]) continue;
            const size_t n = rb_tensor_numel(&s, (rb_tensor_id)id);
            t.t[id] = p;
            for (size_t i = 0; i < n; i++) p[i] = ts.t.t[id][i];
            p += n;
        }
    }
    if (rb_ref_f64_forward(&s, &t, ws) != 0) {
        snprintf(err, errlen, "out of memory in the reference");
        goto done;
    }
    for (int ts_ = 0; ts_ < T && r->overflow_step < 0; ts_++)
        if (nonfinite(t.t[RB_Y] + (size_t)ts_ * NH, NH)) r->overflow_step = ts_;
    if (r->overflow_step < 0 && (nonfinite(t.t[RB_HT], L * NH) || (t.t[RB_CT] && nonfinite(t.t[RB_CT], L * NH))))
        r->overflow_step = T - 1;
    if (r->overflow_step >= 0) {
        for (size_t i = 0; i < LT; i++) {
            r->dh[i] = r->dx[i] = r->dwhh[i] = NAN;
            if (lstm) r->dc[i] = NAN;
        }
        r->loss = r->grad_norm_before = r->grad_norm_after = r->clip_scale = r->selfcheck = NAN;
        rc = 0;
        goto done;
    }
    rb_gn_head_weights(c, seed, V);
    r->loss = rb_gn_head_loss(c, seed, V, t.t[RB_Y], t.t[RB_DY], dV, db, z);
    memset(t.t[RB_DHT], 0, sizeof(double) * L * NH);
    if (t.t[RB_DCT]) memset(t.t[RB_DCT], 0, sizeof(double) * L * NH);
    if (rb_ref_f64_backward(&s, &t, ws) != 0) {
        snprintf(err, errlen, "out of memory in the reference");
        goto done;
    }

    /* Global norm of every layer's parameter gradients and the head's, and
     * clipping, as the single-layer experiment does it. */
    {
        double sc = 1, acc[2];
        for (int pass = 0; pass < 2; pass++) {
            double a = 0;
            for (int i = 0; i < 4; i++) {
                const double *p = t.t[dparams[i]];
                for (size_t e = 0; e < rb_tensor_numel(&s, dparams[i]); e++) a += (sc * p[e]) * (sc * p[e]);
            }
            for (size_t e = 0; e < (size_t)K * H; e++) a += (sc * dV[e]) * (sc * dV[e]);
            for (int e = 0; e < K; e++) a += (sc * db[e]) * (sc * db[e]);
            acc[pass] = sqrt(a);
            if (pass == 0 && c->clip > 0 && acc[0] > c->clip) sc = c->clip / (acc[0] * (1 + 1e-9));
        }
        r->grad_norm_before = acc[0];
        r->grad_norm_after = acc[1];
        r->clip_scale = isfinite(acc[0]) ? sc : NAN;
    }

    if (rb_gn_net_grads_run(&s, &t, &g, err, errlen) != 0) goto done;
    /* Two routes to the same numbers: the chain and the network's backward. */
    r->selfcheck = fmax(rel_diff(g.dx, t.t[RB_DX], (size_t)T * N * s.I), rel_diff(g.dh0, t.t[RB_DH0], L * NH));
    if (lstm) r->selfcheck = fmax(r->selfcheck, rel_diff(g.dc0, t.t[RB_DC0], L * NH));
    for (int l = 0; l < L; l++)
        for (int ts_ = 0; ts_ < T; ts_++) {
            const size_t at = (size_t)l * T + ts_, k = (size_t)l * T + (T - 1 - ts_);
            r->dh[k] = sqrt(sumsq(g.dh + at * NH, NH));
            if (lstm) r->dc[k] = sqrt(sumsq(g.dc + at * NH, NH));
            r->dx[k] = g.dx_norm[at];
            r->dwhh[k] = g.dwhh_norm[at];
        }
    rc = 0;
done:
    rb_gn_net_grads_free(&g);
    free(V);
    free(dV);
    free(db);
    free(z);
    free(block);
    free(ws);
    rb_tset_free(&ts);
    if (rc != 0) rb_gn_seed_result_free(r);
    return rc;
}
