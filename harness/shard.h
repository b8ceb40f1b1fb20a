/*
 * shard.h: `rnnbench sweep --shard K/N`: the K-th of N disjoint parts of a
 * grid, so that N machines (a Slurm array) share one sweep.
 *
 * The partition is a pure function of the point list and each point's
 * estimated cost: the points, heaviest first (ties in grid order), go one
 * by one to the part with the least estimated load so far (ties to the
 * lowest part): greedy longest-processing-time. Costs are rounded to whole
 * microseconds first, so every task of an array, on any machine, computes
 * the same partition from the same point list. Within a part, points keep
 * the grid order.
 */
#ifndef RB_SHARD_H
#define RB_SHARD_H

#include <stddef.h>

#include "sweep.h"

typedef struct {
    int k, n; /* part k of n, 1 <= k <= n; n == 0: no sharding (the whole grid) */
} rb_shard;

/* "K/N" with 1 <= K <= N <= RB_SHARD_MAX, or NULL for no sharding; dies
 * (rb_die, exit 2) naming --shard on anything else. */
#define RB_SHARD_MAX 100000
rb_shard rb_shard_parse(const char *s);

/* owner[i] = the part (0 .. nparts-1) of point i, given cost[i] >= 0 in
 * seconds. Deterministic; balanced to within the largest single cost. */
void rb_shard_assign(const double *cost, size_t npts, int nparts, int *owner);

/* Keeps, in place and in order, the points of part sh (cost of a point:
 * rb_sweep_estimate_s with reps and warmup); returns the new count. With
 * sh.n == 0 the list is left whole. */
size_t rb_shard_filter(rb_sweep_point *pts, size_t npts, rb_shard sh, int reps, int warmup);

#endif
