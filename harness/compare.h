/*
 * compare.h: the tolerance model. A float32 result `got` agrees with the
 * double-precision oracle `ref` when, for every element i,
 *
 *     |got_i - ref_i| <= atol + rtol * |ref_i|
 *
 *     rtol = RB_TOL_C * u * sqrt(K)        u = 2^-24, float32's unit roundoff
 *     atol = rtol * scale                  scale = max_i |ref_i| of the tensor
 *
 * K is the length of the longest chain of accumulations behind the tensor
 * (rb_tol_reduction): random-sign rounding errors grow like sqrt(K). The
 * atol term stops elements that cancel to near zero from demanding more
 * relative accuracy than the terms they were summed from had. RB_TOL_C was
 * set from the errors measured across the check shapes: the worst variant
 * (naive, blas, the fast ones, onednn) used 8.3% of it (see README.md,
 * "Tolerance model"); a result perturbed by 0.1% of the tensor's scale in a
 * single element fails (tests/test_checker.c).
 *
 * Networks (EQUATIONS.md "Networks"): the chain behind a result crosses
 * every layer once (layer l's output is layer l+1's input; gradients go
 * back down through all of them), and each layer adds its own rounding
 * errors, independent of the others', so their variances add: K is the
 * sum of the layers' K, each layer with its own input size (2H or H above
 * layer 0). L equal layers get L times one layer's K, sqrt(L) times its
 * rtol. A bidirectional layer's chain runs through one direction of it, so
 * D does not enter; shorter sequences only shorten chains (T bounds them).
 * One layer, any direction or lengths, keeps exactly the single-layer K.
 */
#ifndef RB_COMPARE_H
#define RB_COMPARE_H

#include <stddef.h>

#include "../kernels/rnn.h"

#define RB_TOL_C 16.0
#define RB_TOL_U (1.0 / 16777216.0)
#define RB_CMP_SHOW 3

typedef struct {
    double atol, rtol;
    double max_abs;      /* max |got - ref|                                  */
    double max_rel;      /* max |got - ref| / |ref| over |ref| >= 1e-3 scale */
    double worst_ratio;  /* max |got - ref| / (atol + rtol |ref|): <= 1 passes */
    size_t n, n_bad;
    size_t bad_idx[RB_CMP_SHOW];
    double bad_got[RB_CMP_SHOW], bad_ref[RB_CMP_SHOW];
    int pass;
} rb_cmp;

/* K for this tensor of this shape (a network: summed over its layers). */
double rb_tol_reduction(const rb_shape *s, rb_tensor_id id);
/* Compare with the model above (rtol from K). NaN or Inf in got fails. */
void rb_compare(const float *got, const double *ref, size_t n, double K, rb_cmp *out);
/* Same with an explicit rtol (tests use it). */
void rb_compare_rtol(const float *got, const double *ref, size_t n, double rtol, rb_cmp *out);

#endif
