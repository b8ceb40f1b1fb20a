/*
 * shard.c: the partition of a sweep's grid into N parts balanced by
 * estimated time (see shard.h for the rule and why it is deterministic).
 */
#include "shard.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

rb_shard rb_shard_parse(const char *s)
{
    rb_shard sh = {0, 0};
    if (!s) return sh;
    const char *slash = strchr(s, '/');
    char *end;
    if (!slash || slash == s || !slash[1])
        rb_die("--shard: '%s' is not K/N (part K of N, 1 <= K <= N, e.g. 2/8)", s);
    errno = 0;
    long k = strtol(s, &end, 10);
    if (end != slash || errno || s[0] == '+' || s[0] == ' ')
        rb_die("--shard: '%s' is not K/N (part K of N, 1 <= K <= N, e.g. 2/8)", s);
    long n = strtol(slash + 1, &end, 10);
    if (*end || errno || slash[1] == '+' || slash[1] == ' ' || slash[1] == '-')
        rb_die("--shard: '%s' is not K/N (part K of N, 1 <= K <= N, e.g. 2/8)", s);
    if (n < 1 || n > RB_SHARD_MAX) rb_die("--shard %s: N must be 1 to %d", s, RB_SHARD_MAX);
    if (k < 1 || k > n) rb_die("--shard %s: K must be 1 to N (parts count from 1)", s);
    sh.k = (int)k;
    sh.n = (int)n;
    return sh;
}

typedef struct {
    uint64_t cost; /* microseconds */
    size_t index;
} weighted;

static int heavier_first(const void *a, const void *b)
{
    const weighted *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* A binary min-heap of parts keyed by (load, part): the lightest part on
 * top, the lowest-numbered among equals, so ties break the same way
 * everywhere. */
typedef struct {
    uint64_t load;
    int part;
} part_load;

static int lighter(const part_load *a, const part_load *b)
{
    return a->load != b->load ? a->load < b->load : a->part < b->part;
}

static void sift_down(part_load *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && lighter(&h[l], &h[m])) m = l;
        if (r < n && lighter(&h[r], &h[m])) m = r;
        if (m == i) return;
        part_load t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

void rb_shard_assign(const double *cost, size_t npts, int nparts, int *owner)
{
    if (npts == 0) return;
    weighted *w = malloc(npts * sizeof *w);
    part_load *heap = malloc((size_t)nparts * sizeof *heap);
    if (!w || !heap) rb_die("--shard: out of memory for %zu points", npts);
    for (size_t i = 0; i < npts; i++) {
        double us = cost[i] > 0 && isfinite(cost[i]) ? cost[i] * 1e6 + 0.5 : 0;
        w[i].cost = us < 1.8e19 ? (uint64_t)us : UINT64_MAX / 2;
        w[i].index = i;
    }
    qsort(w, npts, sizeof *w, heavier_first);
    /* loads all 0 and parts ascending: already a valid heap */
    for (int p = 0; p < nparts; p++) heap[p] = (part_load){0, p};
    for (size_t j = 0; j < npts; j++) {
        owner[w[j].index] = heap[0].part;
        heap[0].load += w[j].cost;
        sift_down(heap, nparts, 0);
    }
    free(w);
    free(heap);
}

typedef struct {
    const int *owner;
    int part;
} shard_ctx;

static int in_part(const rb_sweep_point *pt, size_t index, void *ctx)
{
    (void)pt;
    const shard_ctx *c = ctx;
    return c->owner[index] == c->part;
}

size_t rb_shard_filter(rb_sweep_point *pts, size_t npts, rb_shard sh, int reps, int warmup)
{
    if (sh.n == 0 || npts == 0) return npts;
    double *cost = malloc(npts * sizeof *cost);
    int *owner = malloc(npts * sizeof *owner);
    if (!cost || !owner) rb_die("--shard: out of memory for %zu points", npts);
    /* The estimate alone, not whether this CPU would skip the point: the
     * cost must not depend on the machine that computes the partition. */
    for (size_t i = 0; i < npts; i++) cost[i] = rb_sweep_estimate_s(&pts[i], reps, warmup);
    rb_shard_assign(cost, npts, sh.n, owner);
    shard_ctx ctx = {owner, sh.k - 1};
    size_t kept = rb_sweep_points_filter(pts, npts, in_part, &ctx);
    free(cost);
    free(owner);
    return kept;
}
