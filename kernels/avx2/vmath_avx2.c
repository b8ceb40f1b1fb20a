/*
 * vmath_avx2.c: exp, sigmoid and tanh over float arrays, AVX2 + FMA, 8 floats per vector, tails with vmaskmovps.
 *
 * The math is kernels/simd/vmath.h, written once over the rb_vf vocabulary;
 * this file only instantiates it with vec_avx2.h and exports the array forms
 * (y[i] = f(x[i]): a loop of full vectors, then one partial vector for the
 * n % 8 tail; in place, x == y, works). Measured max error against libm:
 * exp 1.43 ulp, sigmoid 1.92 ulp (rel 1.7e-7), tanh 2.19 ulp (rel 1.8e-7,
 * abs 1.1e-7); see vmath.h for the algorithm and vmath_check.h for the
 * bounds the tests assert.
 */
#include "../simd/vec_avx2.h"
#include "../simd/vmath.h"
#include "../simd/vmath_check.h"

RB_VMATH_DEFINE_ARRAY(rb_vexp__avx2, rb_vexp)
RB_VMATH_DEFINE_ARRAY(rb_vsigmoid__avx2, rb_vsigmoid)
RB_VMATH_DEFINE_ARRAY(rb_vtanh__avx2, rb_vtanh)
