/*
 * gradnorm.h: how far a gradient travels back through time in each cell,
 * measured with a variant's own BPTT (`rnnbench gradnorm`,
 * scripts/gradplots.sh). This is the experiment behind "why LSTM and GRU
 * exist": with an orthogonal recurrent matrix scaled to spectral radius rho,
 * the plain RNN's ‖∂L/∂h_t‖ shrinks or grows like rho^k over k steps, while
 * the gated cells keep it alive.
 *
 * One problem (cell, shape, rho, seed):
 *   parameters   x h0 c0 weight_ih bias_* as `run` sets them (rb_tset_init
 *                with the seed); every gate block of weight_hh is rho times
 *                an orthogonal H x H matrix (QR of a Gaussian matrix, in
 *                double), so rho is exactly its spectral radius and norm;
 *                lstm: forget_bias added to the f rows of bias_ih.
 *   head         z = V h_t + b, V [K][H] uniform in ±1/sqrt(H), b = 0;
 *                softmax + cross-entropy against a random class, or
 *                sigmoid + binary cross-entropy against K random bits;
 *                mean over the batch; loss `last` (h_{T-1} only) or `all`
 *                (summed over the T steps). dy[t] = ∂L/∂h_t through the
 *                head alone; dhT = dcT = 0.
 *   measured     for each step t (k = T-1-t steps back from the last):
 *                  dh[k]    ‖∂L/∂h_t‖, the total gradient reaching h_t
 *                           (head term at t plus everything through t+1..)
 *                  dc[k]    lstm: ‖∂L/∂c_t‖, total (the path through h_t
 *                           included), i.e. the "dc_t" of the BPTT recursion
 *                  dx[k]    ‖∂L/∂x_t‖ (the full run's dx[t])
 *                  dwhh[k]  ‖step t's term of dweight_hh‖
 *                Norms are Frobenius over the batch: [N][H] or [N][I] or
 *                [G*H][H], accumulated in double.
 *   clipping     global norm g of (dweight_ih, dweight_hh, dbias_ih,
 *                dbias_hh, dV, db) from the full run; when clip > 0 and
 *                g > clip every one is scaled by s = clip / (g (1 + 1e-9))
 *                (the 1e-9 keeps rounding from landing a hair above clip;
 *                PyTorch's clip_grad_norm_ uses g + 1e-6 for the same
 *                reason); the norm after is recomputed from the scaled
 *                tensors.
 *
 * How the variant's BPTT gives these (O(T^2) work, fine at these sizes):
 *   full run      forward(ws) + backward over 0..T-1 with the head's dy:
 *                 dx, the parameter gradients.
 *   suffix run s  (s = 1..T-1) a run of T-s steps over x[s..] from the
 *                 state (h_{s-1}, c_{s-1}) with dy[s..]: its dh0, dc0 are
 *                 the parts of ∂L/∂h_{s-1}, ∂L/∂c_{s-1} that flow through
 *                 the future steps; adding the head term dy[s-1] gives the
 *                 total ∂L/∂h_{s-1}. For lstm the total ∂L/∂c_{s-1} adds
 *                 ∂L/∂h_{s-1} ∘ o ∘ (1 - tanh²(c)) (o recomputed in double
 *                 from the parameters, c from the prefix run below).
 *   prefix run s  (lstm only) inference over 0..s-1: cT = c_{s-1} (c_t is
 *                 not a canonical output; the workspace is private).
 *   one-step run  for each t a run of 1 step from (h_{t-1}, c_{t-1}) with
 *                 dy[t] and dhT, dcT = the future parts above: its
 *                 dweight_hh is exactly step t's term, without the
 *                 cancellation of differencing two suffix runs (which turns
 *                 a vanished term into noise).
 *
 * Variant independence: every variant gives the same curves to ~1e-6
 * relative (tests/test_gradnorm.c), except where the forward dynamics are
 * chaotic (rnn_tanh with rho >= ~2): there float noise in h_t grows
 * exponentially along the sequence, two variants' trajectories part, and
 * their curves differ by O(1) although each is a correct gradient of its
 * own trajectory. The seed-to-seed spread (dh_min, dh_max) is the honest
 * error bar there.
 *
 * Through depth (layers >= 1 in the config, `gradnorm --layers L`): the same
 * problem on an L-layer l2r network of the cell, run by the double
 * reference (kernels/reference), every layer's weight_hh rho times
 * orthogonal blocks (streams STREAM_U + 1000 l + g), the head on the top
 * layer. Every curve is then indexed [l][k] (l*T + k): ‖∂L/∂h^{[l]}_t‖, the
 * total gradient reaching layer l's state at step t (through layer l+1's
 * input at t and layer l's step t+1), ‖∂L/∂c^{[l]}_t‖, ‖∂L/∂(layer l's
 * input at t)‖ and step t's term of dweight_hh_l{l}. gradnorm_net.c gets
 * them from a chain of one-step runs of the one-layer reference per layer,
 * from the top layer down and from step T-1 back (O(L T) steps, no
 * differencing); its self-check is the chain's dx and dh0 against the
 * network reference's own backward.
 */
#ifndef RB_GRADNORM_H
#define RB_GRADNORM_H

#include <stddef.h>
#include <stdint.h>

#include "../variants/variant.h"

typedef enum { RB_GN_LOSS_LAST, RB_GN_LOSS_ALL } rb_gn_loss;
typedef enum { RB_GN_HEAD_SOFTMAX, RB_GN_HEAD_SIGMOID } rb_gn_head;

typedef struct {
    rb_shape s;              /* cell and T N I H                        */
    const rb_variant *v;     /* whose forward/backward is used          */
    int threads;             /* OpenMP team for parallel variants, >= 1 */
    double rho;              /* spectral radius of each block of U      */
    double forget_bias;      /* lstm only: added to bias_ih's f rows    */
    rb_gn_loss loss;
    rb_gn_head head;
    int K;                   /* head outputs (classes or bits)          */
    double clip;             /* <= 0: no clipping                       */
    int layers;              /* 0: one layer through v (the original
                              * experiment); L >= 1: an L-layer l2r network
                              * through the double reference (v unused) */
} rb_gn_config;

/* One seed's curves, each indexed by l*T + k, k = 0..T-1 (k = T-1-t),
 * l = 0..L-1 (L = 1 for the single-layer experiment). */
typedef struct {
    int T, L;
    double *dh, *dc, *dx, *dwhh; /* dc is NULL for cells other than lstm */
    double loss;                 /* the head's loss value               */
    double grad_norm_before, grad_norm_after, clip_scale;
    /* Self-check of the bookkeeping: max over t >= 1 of the relative
     * difference between the dh0 of the one-step run at t and the dh0 of
     * the suffix run from t (both the future part of ∂L/∂h_{t-1}): two
     * routes through the variant to the same number. */
    double selfcheck;
    /* The first step t whose forward output h_t is not finite, or -1. A
     * plain RNN with a large rho overflows float; relu(NaN) = 0 then resets
     * the state, so the later steps and every gradient would look finite
     * (and the far ones vanished) although they describe no real run. Such
     * a seed reports NaN for every norm and the loss, as IEEE arithmetic
     * without that reset would. */
    int overflow_step;
} rb_gn_seed_result;

/* Runs one seed. Returns 0, or -1 with a one-line reason in err.
 * rb_gn_seed_result_free releases the curves. */
int rb_gradnorm_seed(const rb_gn_config *c, uint64_t seed, rb_gn_seed_result *r, char *err,
                     size_t errlen);
void rb_gn_seed_result_free(rb_gn_seed_result *r);

/* Over seeds: geometric mean (0 if any seed is 0), min and max per (l, k). */
typedef struct {
    int T, L, seeds;
    double *dh, *dh_min, *dh_max, *dc, *dx, *dwhh, *dh_clipped; /* [L][T] by l, k */
    double grad_norm_before, grad_norm_after;                    /* geo mean */
    double grad_norm_after_max; /* the largest over seeds               */
    double loss;                /* arithmetic mean of the loss values    */
    int overflowed;             /* seeds whose forward pass overflowed   */
    int overflow_step;          /* the earliest such step t, or -1       */
} rb_gn_curve;

/* Seeds seed0, seed0+1, ..., seed0+seeds-1. Returns 0 or -1 with err. */
int rb_gradnorm_curve(const rb_gn_config *c, uint64_t seed0, int seeds, rb_gn_curve *out,
                      char *err, size_t errlen);
void rb_gn_curve_free(rb_gn_curve *c);

/* ---- through depth (gradnorm_net.c) ---- */

/* Every layer's gradients of an L-layer l2r network of one cell, full
 * length, for the loss whose gradients with respect to y, hT and cT are
 * t's dy, dhT and dcT (in the network layout of rnn.h; t also holds x, h0,
 * c0 and the parameters; nothing in t is written). */
typedef struct {
    int L, T;
    double *dh;        /* [L][T][N][H]  total ∂L/∂h^{[l]}_t                   */
    double *dc;        /* [L][T][N][H]  lstm: total ∂L/∂c^{[l]}_t, the path
                        *               through h^{[l]}_t included; else NULL  */
    double *dx;        /* [T][N][I]     ∂L/∂x_t (layer 0's input)              */
    double *dh0, *dc0; /* [L][N][H]     ∂L/∂h0, ∂L/∂c0 (dc0: lstm) per layer   */
    double *dx_norm;   /* [L][T] by t   ‖∂L/∂(layer l's input at step t)‖      */
    double *dwhh_norm; /* [L][T] by t   ‖step t's term of dweight_hh_l{l}‖     */
} rb_gn_net_grads;

/* s: layers >= 1, dir l2r, lengths NULL. Returns 0, or -1 with err. */
int rb_gn_net_grads_run(const rb_shape *s, const rb_tensors_f64 *t, rb_gn_net_grads *g, char *err,
                        size_t errlen);
void rb_gn_net_grads_free(rb_gn_net_grads *g);

/* rb_gradnorm_seed for c->layers >= 1 (it calls this). */
int rb_gradnorm_net_seed(const rb_gn_config *c, uint64_t seed, rb_gn_seed_result *r, char *err,
                         size_t errlen);

/* Shared by gradnorm.c and gradnorm_net.c: the rng streams of the
 * experiment (rb_tset_init uses 1..13), the head. */
enum { RB_GN_STREAM_U = 100, RB_GN_STREAM_V = 200, RB_GN_STREAM_LABEL = 300 };
/* The head on y [T][N][H]: fills dy [T][N][H] (zero where the loss does
 * not look), dV [K][H] and db [K]; returns the loss. V [K][H] is drawn by
 * rb_gn_head_weights; z is scratch of K. */
double rb_gn_head_loss(const rb_gn_config *c, uint64_t seed, const double *V, const double *y, double *dy,
                  double *dV, double *db, double *z);
void rb_gn_head_weights(const rb_gn_config *c, uint64_t seed, double *V);

/* Q [n][n] row-major, orthogonal: the Q factor (R with a positive diagonal,
 * so Q is Haar-distributed) of a Gaussian matrix drawn from the rng stream
 * (seed, stream), by modified Gram-Schmidt applied twice ("twice is
 * enough": orthogonal to ~1e-15), in double. Returns -1 if out of memory. */
int rb_gn_orthogonal(double *Q, int n, uint64_t seed, uint64_t stream);

/* Geometric mean of v[0..n): 0 if any is 0, +inf if any is +inf, NaN if
 * any is NaN or < 0 or both 0 and +inf occur (non-finite stays visible). */
double rb_gn_geomean(const double *v, int n);

#endif
