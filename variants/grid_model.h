/*
 * grid_model.h: the cost model that picks the thread grid of the
 * *_omp_grid variants: B batch groups x S hidden slices, B * S = threads.
 *
 * Per time step, thread (g, j) multiplies its r = ceil(N / B) rows by its
 * slice of u units (whole engine tiles of q units) of the weights, and the
 * S threads of a group meet at a barrier. The model charges, for the
 * slowest thread of a step:
 *
 *   compute   2 * G * u * (H + I) * ceil(r / mr) * mr / peak
 *               the engine works in blocks of mr rows: a block of fewer
 *               rows costs a full one (why one row per thread is slow);
 *               the input projection is hoisted but still this thread's
 *   weights   bytes of the slice streamed per step / bandwidth:
 *               U's slice (4 G u H bytes) every step; W's slice (4 G u I)
 *               every step too when B > 1 (the group projects its rows
 *               step by step), once per chunk of steps when B = 1.
 *               Bandwidth is the core's L2 bandwidth when the thread's
 *               whole slice (U and W) fits in the per-core L2, else the
 *               core's share of L3/DRAM bandwidth
 *   barrier   barriers per step (2 for the classic gru, else 1) x
 *               (barrier_s + barrier_per_thread_s * S) when S > 1: the
 *               group barrier is a counter on one cache line, so arrivals
 *               serialize on it
 *
 * and picks the (B, S) of least cost; ties go to the smaller S (fewer
 * barriers). Candidates where B exceeds N or S exceeds the q-tiles of H
 * leave threads idle: they are allowed (the cost above counts the busy
 * threads only) but rarely win. Each thread packs its own copy of its
 * slice (first touch on its NUMA node), so the weights exist B times: a
 * grid whose copies exceed max_copies_bytes is not chosen (B = 1 always
 * may be).
 *
 * The numbers are defaults for a current server core (3 GHz, 2 FMA pipes):
 * rb_grid_machine_default(); the L2 size comes from sysconf when it knows
 * it. The model only orders grids; it does not predict wall time.
 */
#ifndef RB_GRID_MODEL_H
#define RB_GRID_MODEL_H

#include "../kernels/rnn.h"

typedef struct {
    double peak_flops;          /* fp32 FLOP/s of one core               */
    double l2_bytes;            /* per-core L2                           */
    double bw_l2;               /* bytes/s a core streams from its L2     */
    double bw_far;              /* bytes/s a core gets from L3 or DRAM   */
    double barrier_s;           /* fixed cost of one group barrier       */
    double barrier_per_thread_s;/* added per thread of the group         */
    double max_copies_bytes;    /* cap on B copies of the packed weights */
} rb_grid_machine;

/* Defaults for a core with `flops_per_cycle` fp32 FLOP per cycle (2 FMA
 * pipes x vector width x 2), at 3 GHz; L2 from sysconf (default 1 MiB). */
void rb_grid_machine_default(rb_grid_machine *m, double flops_per_cycle);

/* Modelled seconds of one forward step on grid B x S (see above). mr: the
 * GEMM engine's row tile; q: units per hidden-slice quantum. */
double rb_grid_step_cost(const rb_shape *s, int B, int S, int mr, int q, const rb_grid_machine *m);

/* The grid of least modelled cost for `threads` threads: sets *B, *S. */
void rb_grid_choose(const rb_shape *s, int threads, int mr, int q, const rb_grid_machine *m, int *B,
                    int *S);

/* Parses "BxS" (e.g. "4x2"): 0 and *B, *S >= 1, or -1 on any other form. */
int rb_grid_parse(const char *text, int *B, int *S);

#endif
