/*
 * naive.c: the `naive` variant. Algorithm: the reference in float32
 * (kernels/reference/ref_cell.inc), scalar loops over t, n, gate row and k,
 * straight from the equations; one thread; canonical layout, no packing.
 * It is the baseline every speedup is measured against.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../kernels/reference/ref.h"
#include "variant.h"

static void *naive_plan_create(const rb_problem *p, char *err, size_t errlen)
{
    rb_shape *s = malloc(sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *s = p->s;
    return s;
}

static void naive_plan_destroy(void *plan) { free(plan); }

static size_t naive_workspace_bytes(const rb_problem *p)
{
    return sizeof(float) * rb_ref_f32_workspace_elems(&p->s);
}

/* Reads the canonical parameters in place: nothing to pack. */
static void naive_set_params(void *plan, const rb_tensors *t) { (void)plan; (void)t; }

static void naive_forward(void *plan, rb_tensors *t, void *ws)
{
    if (rb_ref_f32_forward(plan, t, ws) != 0) {
        fprintf(stderr, "rnnbench: naive forward: out of memory\n");
        exit(1);
    }
}

static void naive_backward(void *plan, rb_tensors *t, const void *ws)
{
    if (rb_ref_f32_backward(plan, t, ws) != 0) {
        fprintf(stderr, "rnnbench: naive backward: out of memory\n");
        exit(1);
    }
}

static void naive_describe(const void *plan, char *buf, size_t n)
{
    (void)plan;
    snprintf(buf, n, "scalar reference loops (kernels/reference/ref_cell.inc, float), one thread");
}

RB_DEFINE_VARIANT_OPS(naive);
