/*
 * f64set.h: the double-precision tensors of a shape for the tests that
 * drive the reference oracle directly (test_gradcheck.c, test_gradnorm.c):
 * the seeded values of rb_tset_init, inputs 2.5x larger so that the
 * nonlinearities are well away from linear and the tests have teeth, and
 * room for the reference's training workspace after them.
 */
#ifndef RB_TEST_F64SET_H
#define RB_TEST_F64SET_H

#include <stdlib.h>
#include <string.h>

#include "../harness/tensors.h"
#include "../kernels/reference/ref.h"

typedef struct {
    rb_shape s;
    rb_tensors_f64 t;
    double *mem, *ws; /* ws: the reference's training workspace */
} f64set;

static void f64set_make(f64set *f, const rb_shape *s, uint64_t seed)
{
    char err[256];
    rb_tset ts;
    assert_int_equal(rb_tset_alloc(&ts, s, err, sizeof err), 0);
    rb_tset_init(&ts, seed);
    size_t total = rb_ref_f64_workspace_elems(s);
    for (int id = 0; id < RB_NTENSORS; id++) total += rb_tensor_numel(s, (rb_tensor_id)id);
    f->s = *s;
    f->mem = calloc(total, sizeof(double));
    assert_non_null(f->mem);
    double *p = f->mem;
    memset(&f->t, 0, sizeof f->t);
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (!ts.t.t[id]) continue;
        size_t n = rb_tensor_numel(s, (rb_tensor_id)id);
        f->t.t[id] = p;
        double scale = rb_tensor_role_of((rb_tensor_id)id) == RB_ROLE_INPUT ? 2.5 : 1.0;
        for (size_t i = 0; i < n; i++) p[i] = scale * ts.t.t[id][i];
        p += n;
    }
    f->ws = p;
    rb_tset_free(&ts);
}

#endif
