/*
 * bound.c: the measured bound of a sweep point (the model: bound.h).
 * Everything in floats of 4 bytes; a network counts each (layer,
 * direction) with its own input size; steps are full length (T).
 */
#include "bound.h"

#include <math.h>

#include "sweep.h"

const char *rb_level_name(int level)
{
    static const char *const names[RB_NLEVELS] = {"L1", "L2", "L3", "DRAM"};
    return level >= 0 && level < RB_NLEVELS ? names[level] : "?";
}

/* The smallest level that holds `bytes` per thread. */
static int level_for(const rb_bound_machine *m, double bytes)
{
    for (int l = 0; l < RB_LVL_DRAM; l++)
        if (m->cap_bytes[l] > 0 && bytes <= m->cap_bytes[l] && m->bw_gbs[l] > 0) return l;
    return RB_LVL_DRAM;
}

void rb_bound_of(const rb_bound_machine *m, const rb_shape *s, rb_pass pass, int threads, rb_split split,
                 rb_bound *out)
{
    const double t = threads > 1 ? threads : 1;
    const double G = rb_cell_gates(s->cell), H = s->H, N = s->N, T = s->T;
    const double c = rb_cell_has_c(s->cell) ? 1 : 0;
    const int fwd = pass != RB_PASS_BWD, bwd = pass == RB_PASS_BWD || pass == RB_PASS_FWDBWD;
    const int keep = pass != RB_PASS_INFER; /* the workspace BPTT needs */
    const int blocks = rb_shape_layers(s) * rb_shape_dirs(s);
    /* The recurrent weights: a slice per thread, or all of them for each. */
    const double U = G * H * H, u_team = split == RB_SPLIT_HIDDEN ? U : t * U;
    const double u_thread = split == RB_SPLIT_HIDDEN ? U / t : U;
    /* floats per step: what the team moves (a pass with both directions of
     * time moves both), and one thread's working set (the larger of the
     * forward's and the backward's: they hold the same U) */
    double step = 0, step_thread = 0;
    if (fwd) {
        /* U, the gate inputs of the step, h read by every thread that
         * needs all of it (hidden split) and written once, c in and out */
        const double h_reads = split == RB_SPLIT_HIDDEN ? t * N * H : N * H;
        step += u_team + G * N * H + h_reads + N * H + 2 * c * N * H;
        step_thread = fmax(step_thread, u_thread + (G * N * H + 2 * N * H + 2 * c * N * H) / t);
    }
    if (bwd) {
        /* dh = dG U: U again; the stored gates (and c) read, dG written for
         * the weight-gradient GEMMs, dh (dc) in and out */
        const double dh_reads = split == RB_SPLIT_HIDDEN ? t * N * H : N * H;
        step += u_team + 2 * G * N * H + c * N * H + dh_reads + N * H + 2 * c * N * H;
        step_thread = fmax(step_thread, u_thread + (2 * G * N * H + 3 * c * N * H + 2 * N * H) / t);
    }
    double once = 0;
    for (int l = 0; l < rb_shape_layers(s); l++) {
        const double I = rb_layer_input(s, l), dirs = rb_shape_dirs(s);
        const double x = T * N * I, wih = G * H * I, gx = G * N * H * T;
        if (fwd) once += dirs * (wih + gx) + x + (keep ? dirs * (G + c) * N * H * T : 0);
        if (bwd) once += dirs * (wih + U + gx) + 2 * x + dirs * N * H * T; /* dW written, x read, dx written, h read */
    }
    out->steps = (long long)((fwd + bwd) * blocks * T);
    out->step_bytes = 4 * step;
    out->once_bytes = 4 * once;
    out->step_level = level_for(m, 4 * step_thread);
    out->once_level = level_for(m, rb_sweep_bytes_min(s, pass) / t);
    out->compute_s = rb_pass_flops(s, pass) / (m->peak_gflops * 1e9);
    out->memory_s = blocks * T * out->step_bytes / (m->bw_gbs[out->step_level] * 1e9) +
                    out->once_bytes / (m->bw_gbs[out->once_level] * 1e9);
    out->sync_s = split == RB_SPLIT_HIDDEN && t > 1 ? out->steps * m->barrier_s : 0;
    out->s = fmax(out->compute_s, out->memory_s) + out->sync_s;
}

double rb_bound_peak_gflops(const rb_sysinfo *si, int thr)
{
    const int cores = si->peak_threads > 0 ? si->peak_threads : (si->cores > 0 ? si->cores : 1);
    if (!(si->measured && si->peak_gflops_core > 0 && si->peak_gflops_all > 0)) return NAN;
    return thr <= cores ? si->peak_gflops_core * thr : si->peak_gflops_all;
}

int rb_bound_machine_of(const rb_sysinfo *si, int threads, rb_bound_machine *m)
{
    if (threads < 1) threads = 1;
    m->peak_gflops = rb_bound_peak_gflops(si, threads);
    if (!(m->peak_gflops > 0)) return 0;
    const long kib[RB_NLEVELS] = {si->l1d_kib, si->l2_kib, si->l3_kib, -1};
    const int inst[RB_NLEVELS] = {si->cores, si->l2_instances, si->l3_instances, 1};
    for (int l = 0; l < RB_NLEVELS; l++) {
        const double one = si->level_bw_core_gbs[l], all = si->level_bw_all_gbs[l];
        /* t threads: t times one core's, up to what all cores measured,
         * and never less than one core's (an all-core figure below it is
         * a probe disturbed by other load, not a slower team) */
        m->bw_gbs[l] = threads == 1 ? one : fmax(one, fmin(threads * one, all));
        if (!(m->bw_gbs[l] > 0)) m->bw_gbs[l] = 0;
        /* t threads spread over min(instances, t) instances of the level */
        const double n = inst[l] > 0 ? inst[l] : 1;
        m->cap_bytes[l] = l == RB_LVL_DRAM ? INFINITY
                          : kib[l] > 0      ? 1024.0 * kib[l] * fmin(n, threads) / threads
                                            : 0;
    }
    if (!(m->bw_gbs[RB_LVL_DRAM] > 0)) return 0;
    m->barrier_s = threads > 1 && si->barrier_us > 0 ? si->barrier_us * 1e-6 : 0;
    return 1;
}

double rb_bound_point_s(const rb_sysinfo *si, const rb_variant *v, const rb_problem *p, rb_pass pass,
                        rb_bound *out)
{
    const int threads = v->par_kind == RB_PAR_SERIAL ? 1 : p->threads;
    rb_bound_machine m;
    if (!rb_bound_machine_of(si, threads, &m)) return NAN;
    switch (v->par_kind) {
    case RB_PAR_OMP_BATCH: rb_bound_of(&m, &p->s, pass, threads, RB_SPLIT_BATCH, out); break;
    case RB_PAR_LIBRARY: {
        rb_bound b;
        rb_bound_of(&m, &p->s, pass, threads, RB_SPLIT_HIDDEN, out);
        rb_bound_of(&m, &p->s, pass, threads, RB_SPLIT_BATCH, &b);
        if (b.s < out->s) *out = b;
        break;
    }
    default: rb_bound_of(&m, &p->s, pass, threads, RB_SPLIT_HIDDEN, out); break;
    }
    return out->s;
}
