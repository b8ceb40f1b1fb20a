/*
 * vmath_avx2.c: exp, sigmoid and tanh over float arrays,
 * AVX2 + FMA, 8 floats per vector, tails with vmaskmovps.
 *
 * The math is kernels/simd/vmath.h, written once over the rb_vf vocabulary;
 * this file only instantiates it with vec_avx2.h and exports the array forms
 * rb_v{exp,sigmoid,tanh}__avx2: y[i] = f(x[i]) by a loop of full vectors, then
 * one partial vector for the n % 8 tail; in place (x == y) works.
 * Measured max error against libm over all floats: exp 0.90 ulp, sigmoid
 * 2.40 ulp (rel 1.8e-7), tanh 1.51 ulp (rel 1.6e-7, abs 9.0e-8); see
 * vmath.h for the algorithm and harness/vmath_check.h for the asserted bounds.
 */
#include "../simd/vec_avx2.h"
#include "../simd/vmath.h"
#include "../simd/vmath_array.h"

RB_VMATH_DEFINE_ARRAY(rb_vexp__avx2, rb_vexp)
RB_VMATH_DEFINE_ARRAY(rb_vsigmoid__avx2, rb_vsigmoid)
RB_VMATH_DEFINE_ARRAY(rb_vtanh__avx2, rb_vtanh)
