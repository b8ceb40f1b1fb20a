/*
 * bound.h: the time a perfect implementation would need for one sweep
 * point on this machine (bound.c): bound_ms and pct_bound of results.csv.
 *
 * The model, in short (RB_BOUND_RULE is the text meta.json carries):
 *   compute = GEMM FLOPs of the pass / the measured FMA peak at this
 *             thread count (the pct_peak ceiling);
 *   memory  = per recurrent step, the recurrent weights (G*H*H floats,
 *             split across the team when it splits the hidden units,
 *             read whole by every thread when it splits the batch), the
 *             states and the gates the step must read and write, at the
 *             measured read bandwidth of the level (L1, L2, L3, DRAM)
 *             that holds the per-thread working set of a step; plus what
 *             the pass moves once (input weights, x, workspace, weight
 *             gradients) at the bandwidth of the level that holds the
 *             whole per-thread footprint;
 *   sync    = one barrier per recurrent step when the threads share h
 *             (hidden or grid split; a library, whose split is not
 *             known, gets the lower of both), at the measured latency of
 *             one team barrier.
 *   bound   = max(compute, memory) + sync.
 * Max, not sum: a perfect implementation streams the weights while its
 * FMA units run, so the two overlap and the slower one is the floor (the
 * roofline's rule); sum would describe a schedule, not a bound. The
 * barrier is added: the next step needs every thread's slice of h, so no
 * work of the step after it can hide its latency.
 */
#ifndef RB_BOUND_H
#define RB_BOUND_H

#include "../kernels/rnn.h"
#include "../variants/variant.h"
#include "run.h"
#include "sysinfo.h"

#define RB_BOUND_RULE                                                                               \
    "bound_ms = max(compute, memory) + sync. compute = flops / FMA peak at this thread count "      \
    "(the pct_peak ceiling). memory = per recurrent step the recurrent weights G*H*H (divided "     \
    "among the threads when they split the hidden units, read by each thread when they split the " \
    "batch), the G*N*H gate inputs, h read by every thread and written once (and c for lstm); "     \
    "backward also the stored gates and the dG it writes; at the read bandwidth of the smallest "   \
    "level (L1 L2 L3 DRAM, sizes from hwloc, a level shared by k threads gives each 1/k) that "     \
    "holds one thread's share of that step; plus the bytes moved once (weight_ih, x, the gates of " \
    "the input GEMM, workspace, weight gradients, dx) at the bandwidth of the level holding one "   \
    "thread's share of bytes_min. sync = one measured team barrier per recurrent step when the "    \
    "threads share h (omp_hidden, omp_grid). A library's split is not known: the lower of both. "   \
    "Max: a perfect code overlaps streaming and FMAs; the barrier cannot be hidden. pct_bound = "   \
    "100 * bound_ms / median_ms"

enum { RB_LVL_L1, RB_LVL_L2, RB_LVL_L3, RB_LVL_DRAM, RB_NLEVELS };
const char *rb_level_name(int level); /* "L1" .. "DRAM" */

/* The machine at one thread count. */
typedef struct {
    double peak_gflops;          /* FMA peak of the team                          */
    double bw_gbs[RB_NLEVELS];   /* read bandwidth of the team at each level      */
    double cap_bytes[RB_NLEVELS];/* bytes of each level one thread may use (DRAM: inf) */
    double barrier_s;            /* one barrier across the team; 0 for one thread */
} rb_bound_machine;

typedef struct {
    double s;                       /* the bound, seconds                         */
    double compute_s, memory_s, sync_s;
    double step_bytes, once_bytes;  /* per recurrent step (the team), and once    */
    long long steps;                /* recurrent steps of the pass                */
    int step_level, once_level;     /* RB_LVL_*                                   */
} rb_bound;

/* How the team shares the work of a step. */
typedef enum { RB_SPLIT_HIDDEN, RB_SPLIT_BATCH } rb_split;

/* The bound of pass on s with `threads` threads split as given, on m. */
void rb_bound_of(const rb_bound_machine *m, const rb_shape *s, rb_pass pass, int threads, rb_split split,
                 rb_bound *out);
/* m from the measured ceilings of si at `threads` threads; 0 when si holds
 * no measurement (then there is no bound). */
int rb_bound_machine_of(const rb_sysinfo *si, int threads, rb_bound_machine *m);
/* The FMA peak at `threads` threads: peak_gflops_core * threads up to one
 * thread per core, then peak_gflops_all (NaN when not measured). */
double rb_bound_peak_gflops(const rb_sysinfo *si, int threads);
/* The bound of a variant at a point: its split (serial: one thread;
 * library: the lower of both splits, its own is not known). */
double rb_bound_point_s(const rb_sysinfo *si, const rb_variant *v, const rb_problem *p, rb_pass pass,
                        rb_bound *out);

#endif
