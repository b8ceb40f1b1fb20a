/*
 * vmath_array.h: the per-ISA array forms of vmath.h (exp, sigmoid, tanh),
 * defined in kernels/<isa>/vmath_<isa>.c and measured against libm by the
 * harness's checker (harness/vmath_check.h).
 *
 * ISA-neutral: plain declarations, so files built without ISA flags may
 * include it and call an ISA's functions once the CPU is known to run them.
 */
#ifndef RB_VMATH_ARRAY_H
#define RB_VMATH_ARRAY_H

#include <stddef.h>

/* ---- the array functions: y[i] = f(x[i]), i < n; x == y allowed ---- */

typedef void (*rb_vmath_array_fn)(size_t n, const float *x, float *y);

void rb_vexp__avx2(size_t n, const float *x, float *y);
void rb_vsigmoid__avx2(size_t n, const float *x, float *y);
void rb_vtanh__avx2(size_t n, const float *x, float *y);
void rb_vexp__avx512(size_t n, const float *x, float *y);
void rb_vsigmoid__avx512(size_t n, const float *x, float *y);
void rb_vtanh__avx512(size_t n, const float *x, float *y);
void rb_vexp__neon(size_t n, const float *x, float *y);
void rb_vsigmoid__neon(size_t n, const float *x, float *y);
void rb_vtanh__neon(size_t n, const float *x, float *y);

#endif
