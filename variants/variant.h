/*
 * variant.h: what an implementation of the cells is, and the one registry
 * of them (variants/registry.inc).
 *
 * A variant is a table of functions, like a BLIS context: the harness, the
 * checker, the tests and the benchmarks call implementations only through
 * it. The life of a variant on one problem:
 *
 *   plan = v->plan_create(&problem, err, sizeof err);   allocate, no math
 *   v->set_params(plan, &tensors);     pack/convert the parameters (untimed:
 *                                      done once per weight update, as
 *                                      benchdnn leaves reorders out)
 *   v->forward(plan, &tensors, NULL);  inference: reads x h0 c0, writes y hT cT
 *   v->forward(plan, &tensors, ws);    training: also saves what BPTT needs
 *                                      in ws (v->workspace_bytes bytes)
 *   v->backward(plan, &tensors, ws);   reads the inputs, y, dy dhT dcT and
 *                                      ws; overwrites every gradient
 *   v->plan_destroy(plan);
 *
 * Tensors are always in the canonical layout of EQUATIONS.md; whatever
 * private layout a variant uses lives in its plan. The team size is
 * problem.threads; a serial variant ignores it.
 */
#ifndef RB_VARIANT_H
#define RB_VARIANT_H

#include <stddef.h>

#include "../kernels/rnn.h"

typedef struct {
    rb_shape s;
    int threads; /* OpenMP team size for parallel variants, >= 1 */
    /* *_omp_grid only: batch groups x hidden slices (grid_b * grid_s ==
     * threads), or 0 x 0 for the variant's cost model (--grid BxS). */
    int grid_b, grid_s;
} rb_problem;

/* The functions of one implementation (defined in its variant file as
 * `const rb_variant_ops rb_ops_<name>`). */
typedef struct rb_variant_ops {
    /* Optional: NULL when this machine can run it, else a one-line reason
     * beyond the ISA check the registry already does. */
    const char *(*unavailable)(void);
    /* Returns NULL and writes a one-line reason to err on failure. */
    void *(*plan_create)(const rb_problem *p, char *err, size_t errlen);
    void (*plan_destroy)(void *plan);
    size_t (*workspace_bytes)(const rb_problem *p);
    void (*set_params)(void *plan, const rb_tensors *t);
    void (*forward)(void *plan, rb_tensors *t, void *ws);
    void (*backward)(void *plan, rb_tensors *t, const void *ws);
    /* Optional: one line saying which kernels this plan runs (GEMM engine
     * and tile, vector math, work split, library version), printed by the
     * harness when RNNBENCH_VERBOSE=1 or `run --verbose`. */
    void (*describe)(const void *plan, char *buf, size_t n);
} rb_variant_ops;

/* One line of variants/registry.inc. */
typedef struct rb_variant {
    const char *name;     /* "avx512_omp_hidden": isa, then parallel strategy */
    const char *isa;      /* scalar | avx2 | avx512 | neon | library         */
    const char *parallel; /* serial | omp_batch | omp_hidden | library       */
    const char *summary;  /* one line for `rnnbench list`                    */
    unsigned cells;       /* RB_CELL_BIT(c) for each cell it implements      */
    const rb_variant_ops *ops; /* NULL when not part of this build           */
    const char *not_built;     /* why ops is NULL                            */
} rb_variant;

/* The registry, in the order of variants/registry.inc. Every listed variant
 * is here, also those this build or CPU cannot run (their unavailable()
 * says why). */
int rb_variant_count(void);
const rb_variant *rb_variant_at(int i);
const rb_variant *rb_variant_find(const char *name);
/* When RNNBENCH_VERBOSE=1 (or force), print to stderr which variant runs
 * the problem and, if it can say, which kernels: called by every harness
 * path that creates a plan. */
void rb_variant_report(const rb_variant *v, const void *plan, const rb_problem *p, int force);
/* 1 if the variant uses a team of threads (OpenMP strategies and the
 * libraries): the checker then runs it at several thread counts. */
int rb_variant_is_parallel(const rb_variant *v);
/* NULL if runnable for this cell on this machine, else the reason. */
const char *rb_variant_why_not(const rb_variant *v, rb_cell c);

#endif
