/*
 * blas.c: the `blas` peer variant, the textbook way to write an RNN layer:
 * every matrix product is one cblas_sgemm call (OpenBLAS), and the cell's
 * nonlinearity is a separate scalar element-wise pass in plain C between
 * them (libm expf/tanhf, auto-vectorized where GCC manages). Same math as
 * kernels/reference/ref_cell.inc, every cell.
 *
 * Forward, canonical layouts throughout (no packing; set_params only sums
 * the biases):
 *   A [T*N][G*H] = x [T*N][I] Wᵀ + bias        one sgemm for all T at once
 *   per step t:  ah [N][G*H] = h_{t-1} Uᵀ        one sgemm (classic gru: the
 *                r z rows first, then (r∘h_{t-1}) U_nᵀ after the r pass)
 *                element-wise pass over [N][G*H], in place in A[t]
 * bias = b_ih + b_hh, except gru_lbr's n rows: b_in there, b_hn added to
 * the recurrent part inside the pass. In training A is the workspace:
 * gates [T][N][G*H] hold the activations and extra [T][N][H] holds c_t
 * (lstm) or h_{t-1}U_nᵀ + b_hn (gru_lbr), the reference's layout.
 *
 * Backward (BPTT), per step t from T-1 down: an element-wise pass forms
 * dA[t] = ∂L/∂(gate pre-activations) [N][G*H] (stored for all t), then one
 * sgemm dh_{t-1} = direct terms + dA[t] U (gru_lbr: the n columns use
 * dA_n∘r, kept apart in dAhn; classic gru: one more sgemm dA_n U_n for
 * ∂L/∂(r∘h) before the r pass). After the loop, all at once:
 *   dx = dA W;  dweight_ih = dAᵀ x;  dweight_hh = dAᵀ [h0; y_0..y_{T-2}]
 *   (classic gru n rows: dA_nᵀ (r∘h_{t-1}), lbr n rows: dAhnᵀ [h;..]);
 *   dbias = column sums of dA (lbr dbias_hh n rows: of dAhn).
 *
 * Parallelism: inside OpenBLAS only (openblas_set_num_threads(threads)
 * before every call); the element-wise pass is serial. Placement: when
 * OpenMP binds threads (rnnbench's default, OMP_PLACES=cores), the calling
 * thread is bound to place 0, and Debian's pthread OpenBLAS creates its
 * workers with that same one-core mask: they would all share one core.
 * So each worker i is bound to place i+1, the placement an OpenMP team of
 * the same size gets (place_openblas_workers). Everything in
 * forward/backward is timed; scratch buffers are allocated in plan_create.
 *
 * Networks: these are the layer ops of the network driver (network.h),
 * which runs every layer and direction through them. With variable lengths
 * the driver hands a layer packed rows (struct rb_pack): step t is the
 * batch[t] rows starting at off[t], so every product above simply runs on
 * batch[t] rows (M = batch[t] per step, M = Σ len for the all-steps ones)
 * and no work is spent on padding. h_{t-1} of step t's rows is the first
 * batch[t] rows of step t-1 (the batch is sorted by length); a row's final
 * state is read from its own last step; its dhT, dcT wait in dh, dc until
 * the row becomes active. Only the weight gradient against h_{t-1} needs a
 * gather (HP: the packed rows' h_{t-1}), as the rows of step t no longer
 * line up with those of step t-1.
 */
#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../network.h"
#include "../variant.h"

/* After variant.h: OpenBLAS's cblas.h pulls in <complex.h>, whose macro I
 * would clobber the shape field rb_shape.I. */
#include <cblas.h>
#undef I

/* OpenBLAS extensions; declared here in case cblas.h is another vendor's.
 * openblas_setaffinity's index n-1 is the caller, 0..n-2 its workers. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
int openblas_setaffinity(int thread_idx, size_t cpusetsize, cpu_set_t *cpu_set);

/* Bind OpenBLAS's workers like an OpenMP team: worker i on place i+1.
 * Nothing to do when OpenMP does not bind (no places). */
static void place_openblas_workers(int threads)
{
    const int places = omp_get_num_places();
    if (places <= 0 || omp_get_proc_bind() == omp_proc_bind_false) return;
    for (int i = 0; i + 1 < threads; i++) {
        const int place = (i + 1) % places;
        int ids[256];
        const int n = omp_get_place_num_procs(place);
        if (n <= 0 || n > 256) continue;
        omp_get_place_proc_ids(place, ids);
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int k = 0; k < n; k++) CPU_SET(ids[k], &set);
        openblas_setaffinity(i, sizeof set, &set);
    }
}

typedef struct {
    rb_problem p;
    int G, GH;
    size_t R;    /* rows of all steps: Σ len (T*N at full length)         */
    int ragged;  /* some step has fewer than N rows                        */
    int *batch;  /* [T] rows of step t                                     */
    size_t *off; /* [T+1] first row of step t                              */
    int *len;    /* [N] steps of row k                                    */
    float *HP;   /* [R][H] ragged backward: h_{t-1} of every packed row   */
    float *bias; /* [GH] added to A: b_ih + b_hh (lbr n rows: b_in)       */
    float *bhn;  /* [H]  lbr: b_hn                                        */
    float *ax;   /* [T*N][GH] inference: pre-activations, then gates      */
    float *ah;   /* [N][GH] recurrent product of one step                 */
    float *c;    /* [N][H] lstm cell state (inference)                    */
    float *rh;   /* [N][H] classic gru r∘h_{t-1} of one step              */
    float *ext;  /* [N][H] inference: lbr h U_nᵀ + b_hn of one step       */
    float *dA;   /* [T*N][GH] gate gradients of all steps                 */
    float *dAhn; /* [T*N][H]  lbr: dA_n ∘ r                               */
    float *RH;   /* [T*N][H]  classic gru: r∘h_{t-1} of all steps         */
    float *dh, *dhp, *dc, *drh; /* [N][H] each                            */
} blas_plan;

static float sigm(float a) { return 1.0f / (1.0f + expf(-a)); }

/* The Elman activations over one row of n pre-activations a, in place, h
 * a copy of the result: one loop per activation so each vectorizes alone. */
static void elman_act(rb_act act, int n, float *a, const float *b, float *h)
{
    const float slope = (float)RB_LEAKY_SLOPE;
    switch (act) {
    case RB_ACT_TANH:
        for (int j = 0; j < n; j++) a[j] = h[j] = tanhf(a[j] + b[j]);
        break;
    case RB_ACT_RELU:
        for (int j = 0; j < n; j++) {
            float v = a[j] + b[j];
            a[j] = h[j] = v > 0 ? v : 0;
        }
        break;
    case RB_ACT_SIGMOID:
        for (int j = 0; j < n; j++) a[j] = h[j] = sigm(a[j] + b[j]);
        break;
    case RB_ACT_LEAKY_RELU:
        for (int j = 0; j < n; j++) {
            float v = a[j] + b[j];
            a[j] = h[j] = v > 0 ? v : slope * v;
        }
        break;
    default:
        RB_UNREACHABLE();
    }
}

/* da = dh act'(a), act' from h = act(a) (as the reference). */
static void elman_dact(rb_act act, int n, const float *h, const float *dh, float *da)
{
    const float slope = (float)RB_LEAKY_SLOPE;
    switch (act) {
    case RB_ACT_TANH:
        for (int j = 0; j < n; j++) da[j] = dh[j] * (1 - h[j] * h[j]);
        break;
    case RB_ACT_RELU:
        for (int j = 0; j < n; j++) da[j] = h[j] > 0 ? dh[j] : 0;
        break;
    case RB_ACT_SIGMOID:
        for (int j = 0; j < n; j++) da[j] = dh[j] * (h[j] * (1 - h[j]));
        break;
    case RB_ACT_LEAKY_RELU:
        for (int j = 0; j < n; j++) da[j] = h[j] > 0 ? dh[j] : dh[j] * slope;
        break;
    default:
        RB_UNREACHABLE();
    }
}

static void blas_plan_destroy(void *plan)
{
    blas_plan *q = plan;
    if (!q) return;
    float *bufs[] = {q->bias, q->bhn, q->ax, q->ah, q->c, q->rh, q->ext,
                     q->dA, q->dAhn, q->RH, q->dh, q->dhp, q->dc, q->drh, q->HP};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(q->batch);
    free(q->off);
    free(q->len);
    free(q);
}

static float *falloc(size_t n, int *ok)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) {
        *ok = 0;
        return NULL;
    }
    return p;
}

static void *blas_plan_create(const rb_problem *p, char *err, size_t errlen)
{
    /* OpenBLAS silently caps the team at its build's limit (64 on Debian):
     * a run labelled with more threads than ran would be a false result. */
    openblas_set_num_threads(p->threads);
    const int got = openblas_get_num_threads();
    if (got != p->threads) {
        snprintf(err, errlen, "OpenBLAS runs at most %d threads (its build limit), not the %d asked for", got,
                 p->threads);
        return NULL;
    }
    blas_plan *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const rb_shape *s = &p->s;
    const size_t H = s->H, NH = (size_t)s->N * H;
    q->p = *p;
    q->p.pack = NULL; /* copied below: the plan keeps its own */
    q->G = rb_cell_gates(s->cell);
    q->GH = q->G * s->H;
    q->batch = calloc((size_t)s->T, sizeof(int));
    q->off = calloc((size_t)s->T + 1, sizeof(size_t));
    q->len = calloc((size_t)s->N, sizeof(int));
    if (!q->batch || !q->off || !q->len) {
        snprintf(err, errlen, "out of memory for the blas plan");
        blas_plan_destroy(q);
        return NULL;
    }
    for (int t = 0; t <= s->T; t++) {
        if (t < s->T) q->batch[t] = p->pack ? p->pack->batch[t] : s->N;
        q->off[t] = p->pack ? p->pack->off[t] : (size_t)t * s->N;
        q->ragged |= t < s->T && q->batch[t] != s->N;
    }
    for (int k = 0; k < s->N; k++) q->len[k] = p->pack ? p->pack->len[k] : s->T;
    q->R = q->off[s->T];
    const size_t TN = q->R;
    int ok = 1;
    q->bias = falloc(q->GH, &ok);
    q->bhn = falloc(H, &ok);
    q->ax = falloc(TN * q->GH, &ok);
    q->ah = falloc((size_t)s->N * q->GH, &ok);
    q->c = falloc(NH, &ok);
    q->rh = falloc(NH, &ok);
    q->ext = falloc(NH, &ok);
    q->dA = falloc(TN * q->GH, &ok);
    q->dAhn = falloc(rb_cell_family_of(s->cell) == RB_FAMILY_GRU_LBR ? TN * H : 1, &ok);
    q->RH = falloc(rb_cell_family_of(s->cell) == RB_FAMILY_GRU ? TN * H : 1, &ok);
    q->dh = falloc(NH, &ok);
    q->dhp = falloc(NH, &ok);
    q->dc = falloc(NH, &ok);
    q->drh = falloc(NH, &ok);
    q->HP = falloc(q->ragged ? TN * H : 1, &ok);
    if (!ok) {
        snprintf(err, errlen, "out of memory for the blas plan");
        blas_plan_destroy(q);
        return NULL;
    }
    openblas_set_num_threads(p->threads);
    place_openblas_workers(p->threads);
    return q;
}

static size_t blas_workspace_bytes(const rb_problem *p)
{
    const rb_shape *s = &p->s;
    /* The reference's layout (gates, then c_t or the lbr linear part),
     * over the packed rows when there is a pack. */
    const size_t TN = p->pack ? p->pack->off[s->T] : (size_t)s->T * s->N, H = s->H;
    return TN * H * (size_t)rb_cell_info_of(s->cell)->ref_ws_blocks * sizeof(float);
}

static void blas_set_params(void *plan, const rb_tensors *t)
{
    blas_plan *q = plan;
    const int H = q->p.s.H, lbr = rb_cell_family_of(q->p.s.cell) == RB_FAMILY_GRU_LBR;
    const float *bi = t->t[RB_B_IH], *bh = t->t[RB_B_HH];
    for (int j = 0; j < q->GH; j++) q->bias[j] = bi[j] + ((lbr && j >= 2 * H) ? 0.0f : bh[j]);
    if (lbr) memcpy(q->bhn, bh + 2 * H, sizeof(float) * H);
}

/* C[M][Nc] = alpha op(A) op(B) + beta C, row-major. */
static void gemm(int ta, int tb, int M, int Nc, int K, const float *A, int lda, const float *B,
                 int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M,
                Nc, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

static void blas_forward(void *plan, rb_tensors *t, void *wsv)
{
    blas_plan *q = plan;
    const rb_shape *s = &q->p.s;
    const rb_cell_family fam = rb_cell_family_of(s->cell);
    const int gru = fam == RB_FAMILY_GRU, lbr = fam == RB_FAMILY_GRU_LBR;
    const int T = s->T, N = s->N, I = s->I, H = s->H, GH = q->GH;
    const size_t TN = q->R, NH = (size_t)N * H;
    const float *x = t->t[RB_X], *h0 = t->t[RB_H0], *c0 = t->t[RB_C0];
    const float *W = t->t[RB_W_IH], *U = t->t[RB_W_HH];
    float *y = t->t[RB_Y];
    float *ws = wsv;
    float *A = ws ? ws : q->ax;                          /* [T*N][GH] */
    float *E = ws ? ws + TN * GH : NULL;                 /* [T*N][H]  */
    openblas_set_num_threads(q->p.threads);

    /* Input projection of every step at once. */
    for (size_t r = 0; r < TN; r++) memcpy(A + r * GH, q->bias, sizeof(float) * GH);
    gemm(0, 1, (int)TN, GH, I, x, I, W, I, 1.0f, A, GH);

    /* The lstm cell state of inference lives in q->c, updated in place row
     * by row: a row no longer active keeps its final c. */
    if (!E && rb_cell_has_c(s->cell)) memcpy(q->c, c0, sizeof(float) * NH);
    for (int ts = 0; ts < T; ts++) {
        const int B = q->batch[ts]; /* this step's active rows */
        const size_t row0 = q->off[ts];
        const float *hp = ts == 0 ? h0 : y + q->off[ts - 1] * H;
        float *At = A + row0 * GH, *h = y + row0 * H;
        float *ah = q->ah;
        /* Recurrent product (classic gru: r and z rows only, for now). */
        gemm(0, 1, B, gru ? 2 * H : GH, H, hp, H, U, H, 0.0f, ah, GH);

        switch (fam) {
        case RB_FAMILY_ELMAN:
            for (int n = 0; n < B; n++)
                elman_act(rb_cell_act(s->cell), H, At + (size_t)n * GH, ah + (size_t)n * GH, h + (size_t)n * H);
            break;
        case RB_FAMILY_LSTM: {
            const float *cprev = !E ? q->c : ts == 0 ? c0 : E + q->off[ts - 1] * H;
            float *cnew = E ? E + row0 * H : q->c;
            for (int n = 0; n < B; n++) {
                float *a = At + (size_t)n * GH, *hn = h + (size_t)n * H;
                const float *b = ah + (size_t)n * GH, *cp = cprev + (size_t)n * H;
                float *cn = cnew + (size_t)n * H;
                for (int j = 0; j < H; j++) {
                    float i = sigm(a[j] + b[j]);
                    float f = sigm(a[H + j] + b[H + j]);
                    float g = tanhf(a[2 * H + j] + b[2 * H + j]);
                    float o = sigm(a[3 * H + j] + b[3 * H + j]);
                    float c = f * cp[j] + i * g;
                    cn[j] = c;
                    hn[j] = o * tanhf(c);
                    a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o;
                }
            }
            break;
        }
        case RB_FAMILY_GRU:
        case RB_FAMILY_GRU_LBR: {
            float *ext = E ? E + row0 * H : q->ext;
            for (int n = 0; n < B; n++) {
                float *a = At + (size_t)n * GH;
                const float *b = ah + (size_t)n * GH, *hpn = hp + (size_t)n * H;
                float *rhn = q->rh + (size_t)n * H;
                for (int j = 0; j < 2 * H; j++) a[j] = sigm(a[j] + b[j]); /* r, z */
                if (gru)
                    for (int j = 0; j < H; j++) rhn[j] = a[j] * hpn[j];
            }
            if (gru)
                gemm(0, 1, B, H, H, q->rh, H, U + (size_t)2 * H * H, H, 0.0f, ah + 2 * H, GH);
            for (int n = 0; n < B; n++) {
                float *a = At + (size_t)n * GH, *hn = h + (size_t)n * H;
                const float *b = ah + (size_t)n * GH, *hpn = hp + (size_t)n * H;
                float *en = ext + (size_t)n * H;
                for (int j = 0; j < H; j++) {
                    float r = a[j], z = a[H + j], lin;
                    if (lbr) {
                        en[j] = b[2 * H + j] + q->bhn[j];
                        lin = r * en[j];
                    } else {
                        lin = b[2 * H + j];
                    }
                    float nn = tanhf(a[2 * H + j] + lin);
                    a[2 * H + j] = nn;
                    hn[j] = (1 - z) * nn + z * hpn[j];
                }
            }
            break;
        }
        default:
            RB_UNREACHABLE();
        }
    }
    /* Each row's final state: from its own last step. */
    for (int k = 0; k < N; k++) {
        const size_t last = (q->off[q->len[k] - 1] + (size_t)k) * H;
        memcpy(t->t[RB_HT] + (size_t)k * H, y + last, sizeof(float) * H);
        if (E && rb_cell_has_c(s->cell)) memcpy(t->t[RB_CT] + (size_t)k * H, E + last, sizeof(float) * H);
    }
    if (!E && rb_cell_has_c(s->cell)) memcpy(t->t[RB_CT], q->c, sizeof(float) * NH);
}

/* out[j] = sum over rows r < R of M[r][j] (ld), j < C. */
static void colsum(int R, int C, const float *M, int ld, float *out)
{
    memset(out, 0, sizeof(float) * C);
    for (int r = 0; r < R; r++) {
        const float *row = M + (size_t)r * ld;
        for (int j = 0; j < C; j++) out[j] += row[j];
    }
}

/* dU[rows][H] (ld H) = dGᵀ Hprev over all rows, dG [R][rows] (ld), Hprev
 * [R][H] each row's h_{t-1}: [h0; y_0..y_{T-2}] at full length (no copy),
 * the gathered HP when ragged. */
static void weight_grad_hprev(const blas_plan *q, int rows, const float *dG, int ld, const float *h0,
                              const float *y, float *dU)
{
    const int N = q->p.s.N, H = q->p.s.H;
    if (q->ragged) {
        gemm(1, 0, rows, H, (int)q->R, dG, ld, q->HP, H, 0.0f, dU, H);
        return;
    }
    gemm(1, 0, rows, H, N, dG, ld, h0, H, 0.0f, dU, H);
    if (q->R > (size_t)N) gemm(1, 0, rows, H, (int)q->R - N, dG + (size_t)N * ld, ld, y, H, 1.0f, dU, H);
}

static void blas_backward(void *plan, rb_tensors *t, const void *wsv)
{
    blas_plan *q = plan;
    const rb_shape *s = &q->p.s;
    const rb_cell_family fam = rb_cell_family_of(s->cell);
    const int gru = fam == RB_FAMILY_GRU, lbr = fam == RB_FAMILY_GRU_LBR;
    const int T = s->T, N = s->N, I = s->I, H = s->H, GH = q->GH;
    const size_t TN = q->R, NH = (size_t)N * H;
    const float *x = t->t[RB_X], *h0 = t->t[RB_H0], *c0 = t->t[RB_C0];
    const float *W = t->t[RB_W_IH], *U = t->t[RB_W_HH], *y = t->t[RB_Y];
    const float *dy = t->t[RB_DY];
    const float *ws = wsv, *Gs = ws, *E = ws + TN * GH;
    float *dh = q->dh, *dhp = q->dhp, *dc = q->dc;
    openblas_set_num_threads(q->p.threads);

    /* A row's dhT (dcT) waits in dh (dc) until its last step; the gru
     * swaps dh and dhp, so both start as dhT. Rows of step t: the first
     * batch[t], whose h_{t-1} are the first of step t-1. */
    memcpy(dh, t->t[RB_DHT], sizeof(float) * NH);
    if (gru || lbr) memcpy(dhp, t->t[RB_DHT], sizeof(float) * NH);
    if (rb_cell_has_c(s->cell)) memcpy(dc, t->t[RB_DCT], sizeof(float) * NH);

    for (int ts = T - 1; ts >= 0; ts--) {
        const int B = q->batch[ts]; /* this step's active rows */
        const size_t row0 = q->off[ts];
        const float *hp = ts == 0 ? h0 : y + q->off[ts - 1] * H;
        const float *g = Gs + row0 * GH, *e = E + row0 * H;
        const float *dyt = dy + row0 * H;
        float *dAt = q->dA + row0 * GH;
        for (size_t k = 0; k < (size_t)B * H; k++) dh[k] += dyt[k];
        if (q->ragged) memcpy(q->HP + row0 * H, hp, sizeof(float) * B * H);

        switch (fam) {
        case RB_FAMILY_ELMAN:
            for (int n = 0; n < B; n++)
                elman_dact(rb_cell_act(s->cell), H, g + (size_t)n * GH, dh + (size_t)n * H, dAt + (size_t)n * GH);
            gemm(0, 0, B, H, GH, dAt, GH, U, H, 0.0f, dh, H);
            break;
        case RB_FAMILY_LSTM: {
            const float *cprev = ts == 0 ? c0 : E + q->off[ts - 1] * H;
            for (int n = 0; n < B; n++) {
                const float *gn = g + (size_t)n * GH, *dhn = dh + (size_t)n * H;
                const float *en = e + (size_t)n * H, *cp = cprev + (size_t)n * H;
                float *da = dAt + (size_t)n * GH, *dcn = dc + (size_t)n * H;
                for (int j = 0; j < H; j++) {
                    float i = gn[j], f = gn[H + j], gg = gn[2 * H + j], o = gn[3 * H + j];
                    float tc = tanhf(en[j]);
                    float dct = dcn[j] + dhn[j] * o * (1 - tc * tc);
                    da[j] = dct * gg * i * (1 - i);
                    da[H + j] = dct * cp[j] * f * (1 - f);
                    da[2 * H + j] = dct * i * (1 - gg * gg);
                    da[3 * H + j] = dhn[j] * tc * o * (1 - o);
                    dcn[j] = dct * f;
                }
            }
            gemm(0, 0, B, H, GH, dAt, GH, U, H, 0.0f, dh, H);
            break;
        }
        case RB_FAMILY_GRU:
        case RB_FAMILY_GRU_LBR: {
            float *dAhn = lbr ? q->dAhn + row0 * H : NULL;
            for (int n = 0; n < B; n++) {
                const float *gn = g + (size_t)n * GH, *dhn = dh + (size_t)n * H;
                const float *hpn = hp + (size_t)n * H, *en = e + (size_t)n * H;
                float *da = dAt + (size_t)n * GH, *dpn = dhp + (size_t)n * H;
                for (int j = 0; j < H; j++) {
                    float z = gn[H + j], nn = gn[2 * H + j];
                    da[2 * H + j] = dhn[j] * (1 - z) * (1 - nn * nn);
                    da[H + j] = dhn[j] * (hpn[j] - nn) * z * (1 - z);
                    dpn[j] = dhn[j] * z;
                }
                if (lbr) {
                    float *dn = dAhn + (size_t)n * H;
                    for (int j = 0; j < H; j++) {
                        float r = gn[j];
                        da[j] = da[2 * H + j] * en[j] * r * (1 - r);
                        dn[j] = da[2 * H + j] * r;
                    }
                }
            }
            if (gru) {
                /* ∂L/∂(r∘h_{t-1}) = dA_n U_n, then through r and h. */
                gemm(0, 0, B, H, H, dAt + 2 * H, GH, U + (size_t)2 * H * H, H, 0.0f, q->drh, H);
                float *RHt = q->RH + row0 * H;
                for (int n = 0; n < B; n++) {
                    const float *gn = g + (size_t)n * GH, *hpn = hp + (size_t)n * H;
                    const float *dr = q->drh + (size_t)n * H;
                    float *da = dAt + (size_t)n * GH, *dpn = dhp + (size_t)n * H;
                    float *rh = RHt + (size_t)n * H;
                    for (int j = 0; j < H; j++) {
                        float r = gn[j];
                        da[j] = dr[j] * hpn[j] * r * (1 - r);
                        dpn[j] += dr[j] * r;
                        rh[j] = r * hpn[j];
                    }
                }
            } else {
                gemm(0, 0, B, H, H, dAhn, H, U + (size_t)2 * H * H, H, 1.0f, dhp, H);
            }
            gemm(0, 0, B, H, 2 * H, dAt, GH, U, H, 1.0f, dhp, H);
            float *tmp = dh; /* dh_{t-1} is now in dhp */
            dh = dhp;
            dhp = tmp;
            break;
        }
        default:
            RB_UNREACHABLE();
        }
    }
    memcpy(t->t[RB_DH0], dh, sizeof(float) * NH);
    if (rb_cell_has_c(s->cell)) memcpy(t->t[RB_DC0], dc, sizeof(float) * NH);

    /* Everything that does not carry through time, all steps at once. */
    float *dW = t->t[RB_DW_IH], *dU = t->t[RB_DW_HH];
    float *dbi = t->t[RB_DB_IH], *dbh = t->t[RB_DB_HH];
    gemm(0, 0, (int)TN, I, GH, q->dA, GH, W, I, 0.0f, t->t[RB_DX], I);
    gemm(1, 0, GH, I, (int)TN, q->dA, GH, x, I, 0.0f, dW, I);
    colsum((int)TN, GH, q->dA, GH, dbi);
    memcpy(dbh, dbi, sizeof(float) * GH);
    switch (fam) {
    case RB_FAMILY_GRU:
        weight_grad_hprev(q, 2 * H, q->dA, GH, h0, y, dU);
        gemm(1, 0, H, H, (int)TN, q->dA + 2 * H, GH, q->RH, H, 0.0f, dU + (size_t)2 * H * H, H);
        break;
    case RB_FAMILY_GRU_LBR:
        weight_grad_hprev(q, 2 * H, q->dA, GH, h0, y, dU);
        weight_grad_hprev(q, H, q->dAhn, H, h0, y, dU + (size_t)2 * H * H);
        colsum((int)TN, H, q->dAhn, H, dbh + 2 * H);
        break;
    case RB_FAMILY_ELMAN:
    case RB_FAMILY_LSTM:
        weight_grad_hprev(q, GH, q->dA, GH, h0, y, dU);
        break;
    default:
        RB_UNREACHABLE();
    }
}

static void blas_describe(const void *plan, char *buf, size_t n)
{
    const blas_plan *q = plan;
    snprintf(buf, n, "cblas_sgemm from %s, %d thread%s; element-wise pass serial", openblas_get_config(),
             q->p.threads, q->p.threads == 1 ? "" : "s");
}

/* One layer, one direction (packed or not); networks of every kind come
 * from the driver in network.c. */
static const rb_variant_ops blas_layer_ops = {
    .plan_create = blas_plan_create,
    .plan_destroy = blas_plan_destroy,
    .workspace_bytes = blas_workspace_bytes,
    .set_params = blas_set_params,
    .forward = blas_forward,
    .backward = blas_backward,
    .describe = blas_describe,
};
RB_DEFINE_NET_VARIANT_OPS(blas, blas_layer_ops);
