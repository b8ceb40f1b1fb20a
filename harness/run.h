/*
 * run.h: timing one pass of one variant, shared by `run`, `sweep` and the
 * Google Benchmark wrapper, so every number comes from the same loop.
 */
#ifndef RB_RUN_H
#define RB_RUN_H

#include "../variants/variant.h"
#include "tensors.h"

#define RB_MAX_DIM (1 << 24)

typedef enum { RB_PASS_INFER, RB_PASS_TRAIN, RB_PASS_BWD, RB_PASS_FWDBWD, RB_NPASSES } rb_pass;

const char *rb_pass_name(rb_pass p);
int rb_pass_parse(const char *s, rb_pass *out);
/* GEMM FLOPs of the timed pass (EQUATIONS.md): 1x, 1x, 2x, 3x forward. */
double rb_pass_flops(const rb_shape *s, rb_pass p);

typedef struct {
    int reps;
    double median_s, min_s, max_s, stddev_s;
    double gflops;   /* rb_pass_flops / median */
    size_t ws_bytes;
} rb_timing;

/* Packs the parameters (untimed), runs `warmup` untimed passes and `reps`
 * timed ones with p->threads OpenMP threads. Afterwards ts holds the
 * outputs, and (for every pass but infer) the gradients, of one more pass. */
int rb_time_pass(const rb_variant *v, const rb_problem *p, rb_tset *ts, rb_pass pass, int reps,
                 int warmup, rb_timing *out, char *err, size_t errlen);

/* rb_save_tensors (--save) and the readers of --load: tensor_io.h. */
#include "tensor_io.h"

#endif
