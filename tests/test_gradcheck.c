/*
 * test_gradcheck.c: the double-precision reference's BPTT is proven by
 * central finite differences, for every cell and every gradient tensor.
 *
 * Loss: L = Σ dy∘y + Σ dhT∘hT (+ Σ dcT∘cT for lstm), so dy and the final-state
 * gradients are all exercised at once, and ∂L/∂θ is exactly what backward
 * returns. For each scalar θ of x h0 c0 weight_ih weight_hh bias_ih bias_hh:
 * (L(θ+ε) - L(θ-ε)) / 2ε with ε = 1e-5 (truncation ~ε², rounding ~1e-16/ε:
 * both near 1e-10). Error per element: |fd - bptt| / max(|fd|, |bptt|, 1e-3);
 * the floor keeps gradients that are ~0 from dividing noise by noise.
 * Bound: 1e-6 for every tensor of every cell.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/tensors.h"
#include "../kernels/reference/ref.h"
#include "f64set.h"

#define FD_EPS 1e-5
#define FD_BOUND 1e-6


static double loss(f64set *f)
{
    assert_int_equal(rb_ref_f64_forward(&f->s, &f->t, NULL), 0);
    long double L = 0; /* the sum in extended precision: its rounding is not FD noise */
    const rb_tensor_id pairs[3][2] = {{RB_Y, RB_DY}, {RB_HT, RB_DHT}, {RB_CT, RB_DCT}};
    for (int k = 0; k < 3; k++) {
        const double *a = f->t.t[pairs[k][0]], *b = f->t.t[pairs[k][1]];
        if (!a) continue;
        size_t n = rb_tensor_numel(&f->s, pairs[k][0]);
        for (size_t i = 0; i < n; i++) L += (long double)a[i] * b[i];
    }
    return (double)L;
}

static const rb_tensor_id params[] = {RB_X, RB_H0, RB_C0, RB_W_IH, RB_W_HH, RB_B_IH, RB_B_HH};
static const rb_tensor_id grads[] = {RB_DX, RB_DH0, RB_DC0, RB_DW_IH, RB_DW_HH, RB_DB_IH, RB_DB_HH};

/* Worst error over every gradient tensor of one cell; prints a row each. */
static double gradcheck_cell(rb_cell cell, const rb_shape *shape, double perturb_bptt)
{
    rb_shape s = *shape;
    s.cell = cell;
    f64set f;
    f64set_make(&f, &s, 42);
    assert_int_equal(rb_ref_f64_forward(&s, &f.t, f.ws), 0);
    assert_int_equal(rb_ref_f64_backward(&s, &f.t, f.ws), 0);
    if (perturb_bptt != 0) f.t.t[RB_DW_HH][3] += perturb_bptt;

    double worst = 0;
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        double *theta = f.t.t[params[k]];
        const double *an = f.t.t[grads[k]];
        if (!theta) continue;
        size_t n = rb_tensor_numel(&s, params[k]);
        double max_err = 0, max_abs = 0;
        for (size_t i = 0; i < n; i++) {
            double keep = theta[i];
            theta[i] = keep + FD_EPS;
            double lp = loss(&f);
            theta[i] = keep - FD_EPS;
            double lm = loss(&f);
            theta[i] = keep;
            double fd = (lp - lm) / (2 * FD_EPS);
            double err = fabs(fd - an[i]) / fmax(fmax(fabs(fd), fabs(an[i])), 1e-3);
            max_err = fmax(max_err, err);
            max_abs = fmax(max_abs, fabs(fd - an[i]));
        }
        printf("gradcheck %-8s %-10s max_rel_err=%.3e max_abs_err=%.3e\n", rb_cell_name(cell),
               rb_tensor_name(grads[k]), max_err, max_abs);
        worst = fmax(worst, max_err);
    }
    free(f.mem);
    return worst;
}

static const rb_shape odd = {.cell = RB_LSTM, .T = 4, .N = 3, .I = 5, .H = 7};

static void test_cell(void **state)
{
    rb_cell cell = (rb_cell)(size_t)*state;
    double worst = gradcheck_cell(cell, &odd, 0);
    assert_true(worst <= FD_BOUND);
}

/* Same with T=1 and N=1: the edges of the time and batch loops. */
static void test_cell_tiny(void **state)
{
    rb_cell cell = (rb_cell)(size_t)*state;
    const rb_shape tiny = {.cell = cell, .T = 1, .N = 1, .I = 2, .H = 3};
    assert_true(gradcheck_cell(cell, &tiny, 0) <= FD_BOUND);
}

/* Networks (EQUATIONS.md "Networks"): every direction mode with L = 2 and
 * lengths that include 1 and T, and L = 3, for this cell. Every gradient
 * of every layer and direction is checked, dx, dh0 and dc0 included. */
static const int net_lengths[3] = {1, 4, 2};

static void test_net(void **state)
{
    rb_cell cell = (rb_cell)(size_t)*state;
    for (int dir = 0; dir < RB_NDIRS; dir++)
        for (int L = 2; L <= 3; L++) {
            const rb_shape s = {.cell = cell, .T = 4, .N = 3, .I = 5, .H = 4,
                                .layers = L, .dir = (rb_dir)dir, .lengths = net_lengths};
            printf("network L=%d %s lengths 1,4,2\n", L, rb_dir_name((rb_dir)dir));
            assert_true(gradcheck_cell(cell, &s, 0) <= FD_BOUND);
        }
    /* one l2r layer with lengths: the network path with the plain names */
    const rb_shape one = {.cell = cell, .T = 4, .N = 3, .I = 5, .H = 4, .lengths = net_lengths};
    assert_true(gradcheck_cell(cell, &one, 0) <= FD_BOUND);
}

/* The check has teeth: a BPTT result off by 1e-4 in one element fails. */
static void test_perturbed_bptt_fails(void **state)
{
    (void)state;
    assert_true(gradcheck_cell(RB_GRU, &odd, 1e-4) > FD_BOUND);
}

/* Two tests per cell of the cell table (kernels/rnn.h), named after it, so
 * a new cell is covered without an edit here; then the perturbed check. */
int main(void)
{
    static struct CMUnitTest tests[3 * RB_NCELLS + 1];
    static char names[3 * RB_NCELLS][48];
    int n = 0;
    static const struct { const char *name; CMUnitTestFunction fn; } kinds[3] = {
        {"test_cell", test_cell}, {"test_cell_tiny", test_cell_tiny}, {"test_net", test_net}};
    for (int k = 0; k < 3; k++)
        for (int c = 0; c < RB_NCELLS; c++, n++) {
            snprintf(names[n], sizeof names[n], "%s_%s", kinds[k].name, rb_cell_name((rb_cell)c));
            tests[n] = (struct CMUnitTest){names[n], kinds[k].fn, NULL, NULL, (void *)(size_t)c};
        }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_perturbed_bptt_fails);
    return _cmocka_run_group_tests("gradcheck", tests, (size_t)n, NULL, NULL);
}
