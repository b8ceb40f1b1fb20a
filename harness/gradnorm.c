/*
 * gradnorm.c: see gradnorm.h for the experiment and the bookkeeping.
 *
 * Layout of the per-seed scratch (float, what the variants exchange):
 *   cst  [T+1][N][H]  lstm: cst[t+1] = c_t, cst[0] = c0
 *   fdh  [T][N][H]    the part of ∂L/∂h_t that flows through steps t+1..
 *   fdc  [T][N][H]    lstm: the same for c_t (the variant's dc0)
 * Everything reported is accumulated in double.
 */
#include "gradnorm.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "tensors.h"

/* rng streams of this experiment (gradnorm.h); rb_tset_init uses those of
 * rb_tensor_info (1..13). */
enum { STREAM_U = RB_GN_STREAM_U, STREAM_V = RB_GN_STREAM_V, STREAM_LABEL = RB_GN_STREAM_LABEL };

/* ---- small numerics ---- */

static double gaussian(rb_rng *r)
{
    /* Box-Muller; u1 in (0, 1] so the log is finite. */
    double u1 = ((double)(rb_rng_next(r) >> 11) + 1.0) * 0x1p-53;
    double u2 = (double)(rb_rng_next(r) >> 11) * 0x1p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int rb_gn_orthogonal(double *Q, int n, uint64_t seed, uint64_t stream)
{
    /* Work on columns: A[j] is column j, contiguous. */
    double *A = malloc(sizeof(double) * (size_t)n * n);
    if (!A) return -1;
    rb_rng r = rb_rng_stream(seed, stream);
    for (size_t i = 0; i < (size_t)n * n; i++) A[i] = gaussian(&r);
    for (int j = 0; j < n; j++) {
        double *v = A + (size_t)j * n;
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < j; i++) {
                const double *q = A + (size_t)i * n;
                double d = 0;
                for (int k = 0; k < n; k++) d += q[k] * v[k];
                for (int k = 0; k < n; k++) v[k] -= d * q[k];
            }
        double nn = 0;
        for (int k = 0; k < n; k++) nn += v[k] * v[k];
        nn = sqrt(nn);
        for (int k = 0; k < n; k++) v[k] /= nn;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) Q[(size_t)i * n + j] = A[(size_t)j * n + i];
    free(A);
    return 0;
}

double rb_gn_geomean(const double *v, int n)
{
    double s = 0;
    int zero = 0, inf = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i]) || v[i] < 0) return NAN;
        if (v[i] == 0) zero = 1;
        else if (isinf(v[i])) inf = 1;
        else s += log(v[i]);
    }
    if (zero && inf) return NAN;
    return zero ? 0.0 : inf ? INFINITY : exp(s / n);
}

static double sumsq_f(const float *p, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)p[i] * p[i];
    return s;
}

static double sigmoid_d(double a) { return 1.0 / (1.0 + exp(-a)); }

/* log(1 + e^z), without overflow. */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }

/* ---- running the variant ---- */

typedef struct {
    void *plan, *ws;
} vrun;

/* plan, workspace, set_params, forward (training if train). */
static int vrun_forward(const rb_gn_config *c, rb_tset *ts, int train, vrun *vr, char *err,
                        size_t errlen)
{
    const rb_variant_ops *ops = c->v->ops;
    rb_problem p = {.s = ts->s, .threads = c->threads};
    vr->ws = NULL;
    vr->plan = ops->plan_create(&p, err, errlen);
    if (!vr->plan) return -1;
    if (train) {
        size_t b = ops->workspace_bytes(&p);
        vr->ws = rb_alloc(b);
        if (!vr->ws) {
            snprintf(err, errlen, "out of memory for a %zu-byte workspace", b);
            ops->plan_destroy(vr->plan);
            return -1;
        }
    }
    ops->set_params(vr->plan, &ts->t);
    ops->forward(vr->plan, &ts->t, vr->ws);
    return 0;
}

static void vrun_end(const rb_gn_config *c, vrun *vr)
{
    rb_free(vr->ws);
    c->v->ops->plan_destroy(vr->plan);
}

/* A run of len steps starting at step s0 of the full problem: x[s0..],
 * dy[s0..] (train only), the given initial states and final-state gradients
 * (NULL: zero). sub is allocated here; the caller frees it. */
static int subrun(const rb_gn_config *c, const rb_tset *full, int s0, int len, const float *h0,
                  const float *c0, const float *dhT, const float *dcT, int train, rb_tset *sub,
                  char *err, size_t errlen)
{
    rb_shape s = full->s;
    s.T = len;
    if (rb_tset_alloc(sub, &s, err, errlen) != 0) return -1;
    rb_tset_poison_outputs(sub);
    const size_t NH = (size_t)s.N * s.H, NI = (size_t)s.N * s.I;
    const rb_tensor_id par[] = {RB_W_IH, RB_W_HH, RB_B_IH, RB_B_HH};
    for (int i = 0; i < 4; i++)
        memcpy(sub->t.t[par[i]], full->t.t[par[i]], sizeof(float) * rb_tensor_numel(&s, par[i]));
    memcpy(sub->t.t[RB_X], full->t.t[RB_X] + (size_t)s0 * NI, sizeof(float) * (size_t)len * NI);
    memcpy(sub->t.t[RB_H0], h0, sizeof(float) * NH);
    if (rb_cell_has_c(s.cell)) memcpy(sub->t.t[RB_C0], c0, sizeof(float) * NH);
    memcpy(sub->t.t[RB_DY], full->t.t[RB_DY] + (size_t)s0 * NH, sizeof(float) * (size_t)len * NH);
    for (size_t i = 0; i < NH; i++) sub->t.t[RB_DHT][i] = dhT ? dhT[i] : 0.0f;
    if (rb_cell_has_c(s.cell))
        for (size_t i = 0; i < NH; i++) sub->t.t[RB_DCT][i] = dcT ? dcT[i] : 0.0f;
    vrun vr;
    if (vrun_forward(c, sub, train, &vr, err, errlen) != 0) {
        rb_tset_free(sub);
        return -1;
    }
    if (train) c->v->ops->backward(vr.plan, &sub->t, vr.ws);
    vrun_end(c, &vr);
    return 0;
}

/* ---- the problem ---- */

/* weight_hh = rho * orthogonal per gate block; lstm forget bias. */
static int set_params(const rb_gn_config *c, rb_tset *ts, uint64_t seed)
{
    const int H = c->s.H, G = rb_cell_gates(c->s.cell);
    double *Q = malloc(sizeof(double) * (size_t)H * H);
    if (!Q) return -1;
    for (int g = 0; g < G; g++) {
        if (rb_gn_orthogonal(Q, H, seed, STREAM_U + (uint64_t)g) != 0) {
            free(Q);
            return -1;
        }
        float *U = ts->t.t[RB_W_HH] + (size_t)g * H * H;
        for (size_t i = 0; i < (size_t)H * H; i++) U[i] = (float)(c->rho * Q[i]);
    }
    free(Q);
    if (rb_cell_family_of(c->s.cell) == RB_FAMILY_LSTM)
        for (int j = 0; j < H; j++) ts->t.t[RB_B_IH][H + j] += (float)c->forget_bias;
    return 0;
}

double rb_gn_head_loss(const rb_gn_config *c, uint64_t seed, const double *V, const double *y, double *dy,
                  double *dV, double *db, double *z)
{
    const int T = c->s.T, N = c->s.N, H = c->s.H, K = c->K;
    memset(dy, 0, sizeof(double) * (size_t)T * N * H);
    memset(dV, 0, sizeof(double) * (size_t)K * H);
    memset(db, 0, sizeof(double) * (size_t)K);
    rb_rng lr = rb_rng_stream(seed, STREAM_LABEL);
    double L = 0;
    for (int t = c->loss == RB_GN_LOSS_LAST ? T - 1 : 0; t < T; t++)
        for (int n = 0; n < N; n++) {
            const double *h = y + ((size_t)t * N + n) * H;
            for (int k = 0; k < K; k++) {
                double s = 0; /* head bias b = 0 */
                for (int j = 0; j < H; j++) s += V[(size_t)k * H + j] * h[j];
                z[k] = s;
            }
            /* z becomes ∂L/∂z, already divided by N (mean over the batch). */
            if (c->head == RB_GN_HEAD_SOFTMAX) {
                int label = (int)(rb_rng_next(&lr) % (uint64_t)K);
                double m = z[0], sum = 0;
                for (int k = 1; k < K; k++) m = fmax(m, z[k]);
                for (int k = 0; k < K; k++) sum += exp(z[k] - m);
                L += (m + log(sum) - z[label]) / N;
                for (int k = 0; k < K; k++) z[k] = (exp(z[k] - m) / sum - (k == label)) / N;
            } else {
                for (int k = 0; k < K; k++) {
                    int bit = (int)(rb_rng_next(&lr) >> 63);
                    L += (softplus(z[k]) - bit * z[k]) / N;
                    z[k] = (sigmoid_d(z[k]) - bit) / N;
                }
            }
            double *d = dy + ((size_t)t * N + n) * H;
            for (int j = 0; j < H; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) s += V[(size_t)k * H + j] * z[k];
                d[j] = s;
            }
            for (int k = 0; k < K; k++) {
                db[k] += z[k];
                for (int j = 0; j < H; j++) dV[(size_t)k * H + j] += z[k] * h[j];
            }
        }
    return L;
}

void rb_gn_head_weights(const rb_gn_config *c, uint64_t seed, double *V)
{
    rb_rng vr = rb_rng_stream(seed, STREAM_V);
    const float a = 1.0f / sqrtf((float)c->s.H);
    for (size_t i = 0; i < (size_t)c->K * c->s.H; i++) V[i] = rb_rng_uniform(&vr, a);
}

/* The head on a float run (ts's y and dy): through rb_gn_head_loss in double,
 * dy rounded to float once at the end, as the variant sees it. Returns 0
 * and the loss in *L, or -1 if out of memory. */
static int head(const rb_gn_config *c, rb_tset *ts, uint64_t seed, const double *V, double *dV,
                double *db, double *z, double *L)
{
    const size_t n = (size_t)c->s.T * c->s.N * c->s.H;
    double *y = calloc(n, sizeof(double)), *dy = calloc(n, sizeof(double));
    if (!y || !dy) {
        free(y);
        free(dy);
        return -1;
    }
    for (size_t i = 0; i < n; i++) y[i] = ts->t.t[RB_Y][i];
    *L = rb_gn_head_loss(c, seed, V, y, dy, dV, db, z);
    for (size_t i = 0; i < n; i++) ts->t.t[RB_DY][i] = (float)dy[i];
    free(y);
    free(dy);
    return 0;
}

/* The first step whose output h_t (or the final state) is not finite, or
 * -1. */
static int first_nonfinite_step(const rb_tset *ts)
{
    const rb_shape *s = &ts->s;
    const size_t NH = (size_t)s->N * s->H;
    for (int t = 0; t < s->T; t++)
        if (rb_first_nonfinite(ts->t.t[RB_Y] + (size_t)t * NH, NH) >= 0) return t;
    if (rb_first_nonfinite(ts->t.t[RB_HT], NH) >= 0) return s->T - 1;
    if (ts->t.t[RB_CT] && rb_first_nonfinite(ts->t.t[RB_CT], NH) >= 0) return s->T - 1;
    return -1;
}

/* A seed whose forward pass overflowed: no norm of it is a number. */
static void nan_result(rb_gn_seed_result *r, int lstm)
{
    for (int k = 0; k < r->T; k++) {
        r->dh[k] = r->dx[k] = r->dwhh[k] = NAN;
        if (lstm) r->dc[k] = NAN;
    }
    r->loss = r->grad_norm_before = r->grad_norm_after = r->clip_scale = r->selfcheck = NAN;
}

void rb_gn_seed_result_free(rb_gn_seed_result *r)
{
    free(r->dh);
    free(r->dc);
    free(r->dx);
    free(r->dwhh);
    memset(r, 0, sizeof *r);
}

int rb_gradnorm_seed(const rb_gn_config *c, uint64_t seed, rb_gn_seed_result *r, char *err,
                     size_t errlen)
{
    if (c->layers >= 1) return rb_gradnorm_net_seed(c, seed, r, err, errlen);
    const rb_shape s = c->s;
    const int T = s.T, N = s.N, I = s.I, H = s.H, K = c->K, G = rb_cell_gates(s.cell);
    /* The c-state bookkeeping below is the lstm's (its o gate recomputes
     * ∂L/∂c_t), so it follows the family, not has_c alone. */
    const int lstm = rb_cell_family_of(s.cell) == RB_FAMILY_LSTM;
    const size_t NH = (size_t)N * H;
    int rc = -1;
    memset(r, 0, sizeof *r);
    r->T = T;
    r->L = 1;
    r->overflow_step = -1;

    rb_tset full;
    if (rb_tset_alloc(&full, &s, err, errlen) != 0) return -1;
    rb_tset_init(&full, seed);
    r->dh = calloc((size_t)T, sizeof(double));
    r->dx = calloc((size_t)T, sizeof(double));
    r->dwhh = calloc((size_t)T, sizeof(double));
    r->dc = lstm ? calloc((size_t)T, sizeof(double)) : NULL;
    double *V = malloc(sizeof(double) * (size_t)K * H), *dV = malloc(sizeof(double) * (size_t)K * H);
    double *db = malloc(sizeof(double) * (size_t)K), *z = malloc(sizeof(double) * (size_t)K);
    double *dht = malloc(sizeof(double) * NH); /* total ∂L/∂h_t, one step */
    float *cst = lstm ? malloc(sizeof(float) * (size_t)(T + 1) * NH) : NULL;
    float *fdh = calloc((size_t)T * NH, sizeof(float));
    float *fdc = lstm ? calloc((size_t)T * NH, sizeof(float)) : NULL;
    if (!r->dh || !r->dx || !r->dwhh || (lstm && (!r->dc || !cst || !fdc)) || !V || !dV || !db ||
        !z || !dht || !fdh || set_params(c, &full, seed) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    omp_set_num_threads(c->threads);

    rb_gn_head_weights(c, seed, V);

    /* Full run: forward, head, backward. */
    {
        vrun vr;
        if (vrun_forward(c, &full, 1, &vr, err, errlen) != 0) goto done;
        r->overflow_step = first_nonfinite_step(&full);
        if (r->overflow_step >= 0) {
            vrun_end(c, &vr);
            nan_result(r, lstm);
            rc = 0;
            goto done;
        }
        if (head(c, &full, seed, V, dV, db, z, &r->loss) != 0) {
            vrun_end(c, &vr);
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        memset(full.t.t[RB_DHT], 0, sizeof(float) * NH);
        if (lstm) memset(full.t.t[RB_DCT], 0, sizeof(float) * NH);
        c->v->ops->backward(vr.plan, &full.t, vr.ws);
        vrun_end(c, &vr);
    }
    const float *y = full.t.t[RB_Y], *dy = full.t.t[RB_DY];
#define HPREV(step) ((step) == 0 ? full.t.t[RB_H0] : y + (size_t)((step) - 1) * NH)

    /* Global norm of the parameter gradients, and clipping. */
    {
        const rb_tensor_id g[] = {RB_DW_IH, RB_DW_HH, RB_DB_IH, RB_DB_HH};
        double ss = 0, after = 0;
        double sc = 1;
        for (int pass = 0; pass < 2; pass++) {
            double acc = 0;
            for (int i = 0; i < 4; i++) {
                const float *p = full.t.t[g[i]];
                for (size_t e = 0; e < rb_tensor_numel(&s, g[i]); e++) acc += (sc * p[e]) * (sc * p[e]);
            }
            for (size_t e = 0; e < (size_t)K * H; e++) acc += (sc * dV[e]) * (sc * dV[e]);
            for (int e = 0; e < K; e++) acc += (sc * db[e]) * (sc * db[e]);
            if (pass == 0) {
                ss = sqrt(acc);
                if (c->clip > 0 && ss > c->clip) sc = c->clip / (ss * (1 + 1e-9));
            } else {
                after = sqrt(acc);
            }
        }
        r->grad_norm_before = ss;
        r->grad_norm_after = after;
        /* clip / inf = 0 would turn every finite dh into a clipped 0. */
        r->clip_scale = isfinite(ss) ? sc : NAN;
    }

    /* dx: the full run's. */
    for (int t = 0; t < T; t++)
        r->dx[T - 1 - t] = sqrt(sumsq_f(full.t.t[RB_DX] + (size_t)t * N * I, (size_t)N * I));

    /* lstm: c_t for every t, from prefix runs (inference). */
    if (lstm) {
        memcpy(cst, full.t.t[RB_C0], sizeof(float) * NH);
        memcpy(cst + (size_t)T * NH, full.t.t[RB_CT], sizeof(float) * NH);
        for (int len = 1; len < T; len++) {
            rb_tset sub;
            if (subrun(c, &full, 0, len, full.t.t[RB_H0], full.t.t[RB_C0], NULL, NULL, 0, &sub, err,
                       errlen) != 0)
                goto done;
            memcpy(cst + (size_t)len * NH, sub.t.t[RB_CT], sizeof(float) * NH);
            rb_tset_free(&sub);
        }
    }

    /* Suffix runs: the future parts of ∂L/∂h_{s-1}, ∂L/∂c_{s-1}. */
    for (int s0 = 1; s0 < T; s0++) {
        rb_tset sub;
        if (subrun(c, &full, s0, T - s0, HPREV(s0), lstm ? cst + (size_t)s0 * NH : NULL, NULL, NULL,
                   1, &sub, err, errlen) != 0)
            goto done;
        memcpy(fdh + (size_t)(s0 - 1) * NH, sub.t.t[RB_DH0], sizeof(float) * NH);
        if (lstm) memcpy(fdc + (size_t)(s0 - 1) * NH, sub.t.t[RB_DC0], sizeof(float) * NH);
        rb_tset_free(&sub);
    }

    /* Totals per step, and the one-step runs for step t's dweight_hh. */
    const float *W = full.t.t[RB_W_IH], *U = full.t.t[RB_W_HH];
    const float *bi = full.t.t[RB_B_IH], *bh = full.t.t[RB_B_HH];
    for (int t = 0; t < T; t++) {
        const int k = T - 1 - t;
        double ss = 0;
        for (size_t i = 0; i < NH; i++) {
            dht[i] = (double)fdh[(size_t)t * NH + i] + dy[(size_t)t * NH + i];
            ss += dht[i] * dht[i];
        }
        r->dh[k] = sqrt(ss);
        if (lstm) {
            /* total ∂L/∂c_t = future part + ∂L/∂h_t ∘ o_t ∘ (1 - tanh²(c_t)) */
            double sc = 0;
            for (int n = 0; n < N; n++) {
                const float *xt = full.t.t[RB_X] + ((size_t)t * N + n) * I;
                const float *hp = HPREV(t) + (size_t)n * H;
                const float *ct = cst + (size_t)(t + 1) * NH + (size_t)n * H;
                for (int j = 0; j < H; j++) {
                    const size_t row = (size_t)3 * H + j; /* o block */
                    double a = (double)bi[row] + bh[row];
                    for (int q = 0; q < I; q++) a += (double)W[row * I + q] * xt[q];
                    for (int q = 0; q < H; q++) a += (double)U[row * H + q] * hp[q];
                    double tc = tanh((double)ct[j]);
                    double d = (double)fdc[(size_t)t * NH + (size_t)n * H + j] +
                               dht[(size_t)n * H + j] * sigmoid_d(a) * (1 - tc * tc);
                    sc += d * d;
                }
            }
            r->dc[k] = sqrt(sc);
        }
        rb_tset one;
        if (subrun(c, &full, t, 1, HPREV(t), lstm ? cst + (size_t)t * NH : NULL,
                   fdh + (size_t)t * NH, lstm ? fdc + (size_t)t * NH : NULL, 1, &one, err,
                   errlen) != 0)
            goto done;
        r->dwhh[k] = sqrt(sumsq_f(one.t.t[RB_DW_HH], (size_t)G * H * H));
        if (t > 0) {
            /* Its dh0 is the future part of ∂L/∂h_{t-1}, as the suffix run
             * from t said. */
            double dd = 0, aa = 0, bb = 0;
            for (size_t i = 0; i < NH; i++) {
                double a = one.t.t[RB_DH0][i], b = fdh[(size_t)(t - 1) * NH + i];
                dd += (a - b) * (a - b);
                aa += a * a;
                bb += b * b;
            }
            double den = sqrt(fmax(aa, bb));
            double rel = den > 0 ? sqrt(dd) / den : sqrt(dd);
            if (!(rel <= r->selfcheck)) r->selfcheck = rel; /* NaN sticks */
        }
        rb_tset_free(&one);
    }
#undef HPREV
    rc = 0;
done:
    free(V);
    free(dV);
    free(db);
    free(z);
    free(dht);
    free(cst);
    free(fdh);
    free(fdc);
    rb_tset_free(&full);
    if (rc != 0) rb_gn_seed_result_free(r);
    return rc;
}

void rb_gn_curve_free(rb_gn_curve *c)
{
    free(c->dh);
    free(c->dh_min);
    free(c->dh_max);
    free(c->dc);
    free(c->dx);
    free(c->dwhh);
    free(c->dh_clipped);
    memset(c, 0, sizeof *c);
}

int rb_gradnorm_curve(const rb_gn_config *c, uint64_t seed0, int seeds, rb_gn_curve *out,
                      char *err, size_t errlen)
{
    /* The curves are [L][T]; below, T counts all L*T points of them. */
    const int L = c->layers >= 1 ? c->layers : 1, T = L * c->s.T, lstm = rb_cell_has_c(c->s.cell);
    memset(out, 0, sizeof *out);
    out->T = c->s.T;
    out->L = L;
    out->seeds = seeds;
    out->overflow_step = -1;
    /* per[quantity][seed][k] */
    enum { Q_DH, Q_DC, Q_DX, Q_DWHH, Q_DHC, NQ };
    double *per = malloc(sizeof(double) * NQ * (size_t)seeds * T);
    double *before = malloc(sizeof(double) * (size_t)seeds);
    double *after = malloc(sizeof(double) * (size_t)seeds);
    double *col = malloc(sizeof(double) * (size_t)seeds);
    double **dst[NQ] = {&out->dh, &out->dc, &out->dx, &out->dwhh, &out->dh_clipped};
    int ok = per && before && after && col;
    for (int q = 0; q < NQ && ok; q++) ok = (*dst[q] = calloc((size_t)T, sizeof(double))) != NULL;
    if (ok) ok = (out->dh_min = calloc((size_t)T, sizeof(double))) != NULL;
    if (ok) ok = (out->dh_max = calloc((size_t)T, sizeof(double))) != NULL;
    if (!ok) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
#define PER(q, sd, k) per[((size_t)(q) * seeds + (sd)) * T + (k)]
    for (int sd = 0; sd < seeds; sd++) {
        rb_gn_seed_result r;
        if (rb_gradnorm_seed(c, seed0 + (uint64_t)sd, &r, err, errlen) != 0) goto fail;
        for (int k = 0; k < T; k++) {
            PER(Q_DH, sd, k) = r.dh[k];
            PER(Q_DC, sd, k) = lstm ? r.dc[k] : NAN;
            PER(Q_DX, sd, k) = r.dx[k];
            PER(Q_DWHH, sd, k) = r.dwhh[k];
            PER(Q_DHC, sd, k) = r.dh[k] * r.clip_scale;
        }
        if (r.overflow_step >= 0) {
            out->overflowed++;
            if (out->overflow_step < 0 || r.overflow_step < out->overflow_step) out->overflow_step = r.overflow_step;
        }
        before[sd] = r.grad_norm_before;
        after[sd] = r.grad_norm_after;
        /* fmax drops a NaN; a seed without a number must show. */
        if (sd == 0 || isnan(r.grad_norm_after)) out->grad_norm_after_max = r.grad_norm_after;
        else if (!isnan(out->grad_norm_after_max))
            out->grad_norm_after_max = fmax(out->grad_norm_after_max, r.grad_norm_after);
        out->loss += r.loss / seeds;
        rb_gn_seed_result_free(&r);
    }
    for (int q = 0; q < NQ; q++)
        for (int k = 0; k < T; k++) {
            for (int sd = 0; sd < seeds; sd++) col[sd] = PER(q, sd, k);
            (*dst[q])[k] = rb_gn_geomean(col, seeds);
            if (q == Q_DH) {
                double lo = col[0], hi = col[0];
                for (int sd = 1; sd < seeds; sd++) {
                    lo = isnan(lo) || isnan(col[sd]) ? NAN : fmin(lo, col[sd]);
                    hi = isnan(hi) || isnan(col[sd]) ? NAN : fmax(hi, col[sd]);
                }
                out->dh_min[k] = lo;
                out->dh_max[k] = hi;
            }
        }
#undef PER
    if (!lstm) {
        free(out->dc);
        out->dc = NULL;
    }
    out->grad_norm_before = rb_gn_geomean(before, seeds);
    out->grad_norm_after = rb_gn_geomean(after, seeds);
    free(per);
    free(before);
    free(after);
    free(col);
    return 0;
fail:
    free(per);
    free(before);
    free(after);
    free(col);
    rb_gn_curve_free(out);
    return -1;
}
