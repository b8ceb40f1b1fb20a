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

struct rb_pack; /* network.h */

typedef struct {
    rb_shape s;
    int threads; /* OpenMP team size for parallel variants, >= 1 */
    /* *_omp_grid only: batch groups x hidden slices (grid_b * grid_s ==
     * threads), or 0 x 0 for the variant's cost model (--grid BxS). */
    int grid_b, grid_s;
    /* Set only by the network driver (network.h) on the one-layer problems
     * it gives a variant's layer ops: packed variable-length sequences.
     * NULL: the canonical [T][N] layout of EQUATIONS.md. */
    const struct rb_pack *pack;
} rb_problem;

/* The functions of one implementation (defined in its variant file as
 * `const rb_variant_ops rb_ops_<name>`). */
typedef struct rb_variant_ops {
    /* Optional: NULL when this machine can run it, else a one-line reason
     * beyond the build and ISA checks rb_variant_why_not already does. */
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

/* `const rb_variant_ops rb_ops_<name>` of a variant whose functions are
 * named <name>_plan_create, <name>_plan_destroy, <name>_workspace_bytes,
 * <name>_set_params, <name>_forward, <name>_backward and <name>_describe
 * (and no unavailable). */
#define RB_DEFINE_VARIANT_OPS(name)                \
    const rb_variant_ops rb_ops_##name = {         \
        .plan_create = name##_plan_create,         \
        .plan_destroy = name##_plan_destroy,       \
        .workspace_bytes = name##_workspace_bytes, \
        .set_params = name##_set_params,           \
        .forward = name##_forward,                 \
        .backward = name##_backward,               \
        .describe = name##_describe,               \
    }

/* What a variant needs of the CPU. The library peers dispatch inside the
 * library, so they need nothing beyond the build. */
typedef enum {
    RB_VISA_SCALAR,  /* plain C                                   */
    RB_VISA_AVX2,    /* needs rb_cpu_has(RB_ISA_AVX2)             */
    RB_VISA_AVX512,  /* needs rb_cpu_has(RB_ISA_AVX512)           */
    RB_VISA_NEON,    /* needs rb_cpu_has(RB_ISA_NEON)             */
    RB_VISA_LIBRARY, /* a library's own dispatch (oneDNN, BLAS)   */
    RB_NVISAS
} rb_variant_isa;

/* How a variant spreads work over threads. Whether it uses a team (and so
 * is checked and swept at several thread counts) is a property of the kind,
 * in one table (rb_parallel_uses_team), never guessed from a name. */
typedef enum {
    RB_PAR_SERIAL,     /* one thread; problem.threads is ignored          */
    RB_PAR_OMP_BATCH,  /* OpenMP team splits the batch rows               */
    RB_PAR_OMP_HIDDEN, /* OpenMP team splits the hidden units             */
    RB_PAR_OMP_GRID,   /* OpenMP team as batch groups x hidden slices     */
    RB_PAR_LIBRARY,    /* the library's own threads, sized by the team    */
    RB_NPARS
} rb_parallel_kind;

/* Features beyond one layer, one direction, full-length sequences
 * (EQUATIONS.md "Networks"). A problem that needs one the variant lacks is
 * refused by rb_variant_why_not, naming the missing feature. */
#define RB_FEAT_LAYERS (1u << 0) /* stacked layers (L > 1)                 */
#define RB_FEAT_DIRS   (1u << 1) /* r2l, bi_concat and bi_sum              */
#define RB_FEAT_VARLEN (1u << 2) /* sequences of different lengths         */
#define RB_FEAT_NET (RB_FEAT_LAYERS | RB_FEAT_DIRS | RB_FEAT_VARLEN)

/* The features problem p needs. */
unsigned rb_problem_features(const rb_problem *p);

/* One line of variants/registry.inc. */
typedef struct rb_variant {
    const char *name;     /* "avx512_omp_hidden": isa, then parallel strategy */
    const char *isa;      /* scalar | avx2 | avx512 | neon | library: printed */
    const char *parallel; /* serial | omp_batch | omp_hidden | omp_grid | library: printed */
    rb_variant_isa isa_kind;    /* the same as isa, typed: what decisions read */
    rb_parallel_kind par_kind;  /* the same as parallel, typed                 */
    const char *summary;  /* one line for `rnnbench list`                    */
    unsigned cells;       /* RB_CELL_BIT(c) for each cell it implements      */
    unsigned features;    /* RB_FEAT_* it supports                           */
    const rb_variant_ops *ops; /* NULL when not part of this build           */
    const char *not_built;     /* why ops is NULL                            */
} rb_variant;

/* The registry, in the order of variants/registry.inc. Every listed variant
 * is here, also those this build or CPU cannot run (rb_variant_why_not
 * says why). */
int rb_variant_count(void);
const rb_variant *rb_variant_at(int i);
const rb_variant *rb_variant_find(const char *name);
/* When RNNBENCH_VERBOSE=1 (or force), print to stderr which variant runs
 * the problem and, if it can say, which kernels: called by every harness
 * path that creates a plan. */
void rb_variant_report(const rb_variant *v, const void *plan, const rb_problem *p, int force);

/* 1 if this kind of parallelism uses a team of threads (the OpenMP
 * strategies and the libraries): the checker then runs it at several
 * thread counts and the sweep at every team size. */
int rb_parallel_uses_team(rb_parallel_kind k);
/* rb_parallel_uses_team(v->par_kind). */
int rb_variant_is_parallel(const rb_variant *v);

/* The one answer to "why can't variant v run problem p here?": NULL when it
 * can, else a one-line reason, checked in this order: not in this build;
 * the CPU lacks its ISA (or RNNBENCH_ISA caps it); its unavailable() says
 * why; it does not implement p->s.cell ("does not implement this cell");
 * it lacks a network feature p needs ("does not run stacked layers", ...);
 * p->threads < 1. Only the cell, the network fields and the thread count
 * of p are read: the sizes are the caller's to validate, and a serial
 * variant runs any team size as one thread, so neither is a reason. */
const char *rb_variant_why_not(const rb_variant *v, const rb_problem *p);
/* The same for "some cell at one thread": NULL if v runs at least one of
 * its cells here, else the reason (for lists that do not name a cell). */
const char *rb_variant_why_not_any(const rb_variant *v);

#endif
