/*
 * sweep_model.c: the work and the compulsory memory traffic of one sweep
 * point (FLOPs, bytes_min, hence arithmetic intensity), and the rough time
 * estimate of --dry-run and the first ETA (sweep.h).
 */
#include <string.h>

#include "sweep.h"
#include "tensors.h"

/* The pass multiplier of rb_pass_flops (1, 1, 2, 3) times DeepBench's
 * recurrent-only count. */
double rb_sweep_flops_deepbench(const rb_shape *s, rb_pass pass)
{
    return rb_pass_flops(s, pass) / rb_flops_forward(s) * rb_flops_deepbench(s);
}

static double numel(const rb_shape *s, rb_tensor_id id) { return (double)rb_tensor_numel(s, id); }

/*
 * bytes_min: the compulsory memory traffic of one pass, float32, for the
 * roofline: every tensor the pass must read counted once, every tensor it
 * must write counted once, as if caches were infinite within a pass and
 * empty between passes.
 *   parameters P = weight_ih + weight_hh + bias_ih + bias_hh
 *   inputs     X = x + h0 (+ c0)
 *   outputs    Y = y + hT (+ cT)
 *   workspace  W = what BPTT needs beyond y: the G activated gates of every
 *                  step (G*N*H*T) plus, for lstm, the cell states c_t
 *                  (N*H*T); a variant may store more, this is the minimum;
 *                  a network: every layer and direction, over the real
 *                  steps (N*T becomes tokens times L*D)
 *   upstream   D = dy + dhT (+ dcT)
 *   gradients  R = dx + dh0 (+ dc0) + dweight_* + dbias_*
 *   infer  = P + X + Y
 *   train  = P + X + Y + W                       (W written)
 *   bwd    = P + X + y + W + D + R               (y, W read back)
 *   fwdbwd = P + X + Y + W + (y + W) + D + R     (W written, then y and W
 *                                                 read back; P, X once)
 * The biases are counted in bwd too (small). arith_intensity = flops /
 * bytes_min, the benchdnn flops of the pass.
 */
double rb_sweep_bytes_min(const rb_shape *s, rb_pass pass)
{
    const double P = numel(s, RB_W_IH) + numel(s, RB_W_HH) + numel(s, RB_B_IH) + numel(s, RB_B_HH);
    const double X = numel(s, RB_X) + numel(s, RB_H0) + numel(s, RB_C0);
    const double y = numel(s, RB_Y);
    const double Y = y + numel(s, RB_HT) + numel(s, RB_CT);
    /* a network keeps every layer's and direction's gates, over the
     * real steps only (N * T at full length, one layer) */
    const double NHT = (double)rb_tokens(s) * s->H * rb_shape_layers(s) * rb_shape_dirs(s);
    const double W = rb_cell_gates(s->cell) * NHT + (rb_cell_has_c(s->cell) ? NHT : 0);
    const double D = numel(s, RB_DY) + numel(s, RB_DHT) + numel(s, RB_DCT);
    const double R = numel(s, RB_DX) + numel(s, RB_DH0) + numel(s, RB_DC0) + numel(s, RB_DW_IH) +
                     numel(s, RB_DW_HH) + numel(s, RB_DB_IH) + numel(s, RB_DB_HH);
    double e;
    switch (pass) {
    case RB_PASS_INFER: e = P + X + Y; break;
    case RB_PASS_TRAIN: e = P + X + Y + W; break;
    case RB_PASS_BWD: e = P + X + y + W + D + R; break;
    default: e = P + X + Y + W + y + W + D + R; break;
    }
    return 4.0 * e;
}

/* Rough, for --dry-run and the first ETA only; the ETA corrects itself
 * with the measured times as the sweep goes. */
double rb_sweep_rough_gflops(const rb_variant *v, int threads)
{
    double gf;
    /* one core of a 2020s server at the shapes of the quick preset */
    switch (v->isa_kind) {
    case RB_VISA_AVX512: gf = 80; break;
    case RB_VISA_AVX2: gf = 50; break;
    case RB_VISA_NEON: gf = 15; break;
    case RB_VISA_LIBRARY: gf = 50; break;
    default: gf = strcmp(v->name, "naive") == 0 ? 1.5 : 3; break;
    }
    if (rb_variant_is_parallel(v) && threads > 1) gf *= 0.8 * threads;
    return gf;
}

double rb_sweep_estimate_s(const rb_sweep_point *pt, int reps, int warmup)
{
    /* the interleaved rounds (interleave.h): warmup untimed passes before
     * each timed one (a variant alone at its point runs fewer) */
    const double fwd = rb_flops_forward(&pt->p.s), n = (double)reps * (1 + warmup);
    double units; /* forward passes' worth of GEMM work the sweep does */
    switch (pt->pass) {
    case RB_PASS_INFER: units = n; break;
    case RB_PASS_TRAIN: units = n; break;
    case RB_PASS_BWD: units = 3 * n; break;
    default: units = 3 * n; break;
    }
    const double bytes = (double)rb_tset_bytes(&pt->p.s, 0);
    return units * fwd / (rb_sweep_rough_gflops(pt->v, pt->p.threads) * 1e9) + bytes / 1e9 + 1e-3;
}

