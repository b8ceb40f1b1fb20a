/*
 * sweep.h: the grid of `rnnbench sweep`: which points (variant, cell, pass,
 * shape, threads) a command line or a preset names (sweep_grid.c), which
 * variants the sweep may run (sweep_variants.c), and the work and traffic
 * of one point (sweep_model.c). results.csv: results_csv.h; the loop:
 * sweep_loop.c; the command: cmd_sweep.c.
 *
 * A grid is a union of blocks; each block is a cross product
 *   cells x layers x dirs x lengths x T x N x H x I x passes x variants x threads
 * and the points come out in that nesting order, block after block, with
 * duplicates (the same key in two blocks) dropped. Serial variants ignore
 * the team size, so a block gives them one point, at threads = 1.
 *
 * The key of a point, which resume matches against results.csv, is
 *   variant,cell,pass,T,N,I,H,threads,layers,dir,lengths
 * where lengths is the spec (full, random, random:MIN: harness/lengths.h);
 * the lengths themselves are drawn from the grid's seed when the points
 * are made, the same for every point of one (T, N, spec).
 */
#ifndef RB_SWEEP_H
#define RB_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../variants/variant.h"
#include "run.h"

#define RB_SWEEP_MAXLIST 64  /* values in one --T/--N/... list      */
#define RB_SWEEP_MAXV 64     /* variants in one block               */
#define RB_SWEEP_MAXBLOCKS 16
#define RB_SWEEP_MAXLAYERS 1024 /* --layers bound                */
#define RB_SWEEP_MAXLENS 8   /* specs in one --lengths list         */
#define RB_SWEEP_LENSPEC 24  /* "random:16777216" and its NUL fit   */

typedef struct {
    const char *what;  /* one line for meta.json and --dry-run */
    int nv;
    const rb_variant *v[RB_SWEEP_MAXV];
    unsigned cells;    /* RB_CELL_BIT mask */
    unsigned passes;   /* 1u << rb_pass    */
    int nT, T[RB_SWEEP_MAXLIST];
    int nN, N[RB_SWEEP_MAXLIST];
    int nH, H[RB_SWEEP_MAXLIST];
    int nI, I[RB_SWEEP_MAXLIST]; /* nI == 0: I = H */
    int nthr, thr[RB_SWEEP_MAXLIST];
    int nL, L[RB_SWEEP_MAXLIST];   /* nL == 0: one layer            */
    int ndir; rb_dir dir[RB_NDIRS]; /* ndir == 0: l2r                */
    int nlen; char len[RB_SWEEP_MAXLENS][RB_SWEEP_LENSPEC]; /* nlen == 0: full */
} rb_sweep_block;

typedef struct {
    const rb_variant *v;
    rb_pass pass;
    rb_problem p; /* shape (with the cell, layers, mode, lengths) and team size;
                   * p.s.lengths points into the block rb_sweep_points
                   * returns (NULL for full length) */
    char lengths[RB_SWEEP_LENSPEC]; /* the spec: full, random, random:MIN */
} rb_sweep_point;

typedef struct {
    const char *preset; /* NULL: a grid from the options */
    int nblocks;
    rb_sweep_block blocks[RB_SWEEP_MAXBLOCKS];
    int cores;          /* what "all" threads and the presets count up to */
    uint64_t seed;      /* of the random lengths (the sweep's --seed)     */
    /* Variants a preset or `best` left out because this build or CPU
     * cannot run them, or that a preset names and the registry lacks:
     * "name: reason" lines, for stderr and meta.json. */
    int nnotes;
    char notes[RB_SWEEP_MAXV][256];
} rb_sweep_grid;

/* The options the grid is built from (strings exactly as given; NULL where
 * the option was not given and the default applies). */
typedef struct {
    const char *preset, *cells, *variants, *passes, *T, *N, *I, *H, *threads;
    const char *layers, *dirs, *lengths;
} rb_sweep_spec;

/* Builds the grid or dies (rb_die, exit 2) on bad input. cores >= 1. */
void rb_sweep_grid_build(rb_sweep_grid *g, const rb_sweep_spec *spec, int cores);
/* Expands the grid into *out (one malloc'ed block that also holds the
 * points' lengths: the caller frees *out alone, and may filter the points
 * in place); returns the count. */
size_t rb_sweep_points(const rb_sweep_grid *g, rb_sweep_point **out);
/* Keeps, in order, the points for which keep(point, its index in the
 * full list, ctx) is non-zero; returns the new count. The place to take
 * a subset of the grid (a shard of a cluster run) before the loop: the
 * index is stable for a given grid, so disjoint predicates on it split
 * the work without overlap. */
size_t rb_sweep_points_filter(rb_sweep_point *pts, size_t n,
                              int (*keep)(const rb_sweep_point *pt, size_t index, void *ctx), void *ctx);
/* Writes the resolved grid as a JSON object (one line per block). */
void rb_sweep_grid_json(const rb_sweep_grid *g, FILE *f, int indent);

/* "variant,cell,pass,T,N,I,H,threads,layers,dir,lengths" */
void rb_sweep_key(const rb_sweep_point *pt, char *buf, size_t n);

/* Compulsory traffic of one pass in bytes, for the roofline (see sweep_model.c
 * for the exact rule), float32. */
double rb_sweep_bytes_min(const rb_shape *s, rb_pass pass);
/* The pass multiplier applied to the DeepBench count. */
double rb_sweep_flops_deepbench(const rb_shape *s, rb_pass pass);

/* Rough GFLOP/s of a variant on `threads` threads, for estimates only. */
double rb_sweep_rough_gflops(const rb_variant *v, int threads);
/* Estimated seconds of one point with `reps` timed and `warmup` untimed
 * passes (rb_time_pass's extra passes included, plus set-up). */
double rb_sweep_estimate_s(const rb_sweep_point *pt, int reps, int warmup);


#endif
