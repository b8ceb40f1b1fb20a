/*
 * test_gradnorm.c: `rnnbench gradnorm` measures what it says.
 *
 *   - the Elman cells, rho = 0.5, T = 50, loss on the last step: every
 *     backward step multiplies by diag(act') U^T with |act'| <= L (1 for
 *     tanh, relu and leaky relu, 1/4 for sigmoid) and ‖U‖ = rho, so
 *     ‖dh_k‖ <= (L rho)^k ‖dh_0‖ for every k (up to float noise), and
 *     k = 49 is many orders of magnitude below k = 0.
 *   - lstm: forget bias 1 keeps far more gradient at k = 49 than 0.
 *   - --clip C: the parameter-gradient norm after clipping never exceeds C,
 *     and is untouched when already below C (library and CSV).
 *   - the curves do not depend on the variant: naive against every other
 *     runnable variant (skipped, not passed, when there is none).
 *   - the orthogonal factor is orthogonal; bad input is one line, exit 2.
 *   - through depth (--layers): every layer's total ∂L/∂h^{[l]}_t of
 *     2- and 3-layer networks of every cell matches central finite
 *     differences of a forward split at (l, t) (1e-6; a perturbed answer
 *     fails the same check); the chain's dx and dh0 are the network
 *     reference's; one layer through the double reference gives the
 *     single-layer curves of naive; the CSV has a row per layer.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/gradnorm.h"
#include "../harness/tensors.h"
#include "../kernels/reference/ref.h"
#include "f64set.h"

#ifndef RB_BIN
#error "RB_BIN must name the rnnbench binary"
#endif

static rb_gn_config config(rb_cell cell, double rho)
{
    rb_gn_config c;
    memset(&c, 0, sizeof c);
    c.s = (rb_shape){.cell = cell, .T = 50, .N = 8, .I = 16, .H = 32};
    c.v = rb_variant_find("naive");
    c.threads = 1;
    c.rho = rho;
    c.loss = RB_GN_LOSS_LAST;
    c.head = RB_GN_HEAD_SOFTMAX;
    c.K = 10;
    return c;
}

/* lip: the largest |act'| of the cell's activation. */
static void bound_rho_k(rb_cell cell, double lip)
{
    const double rho = 0.5;
    rb_gn_config c = config(cell, rho);
    assert_non_null(c.v);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        rb_gn_seed_result r;
        char err[256];
        assert_int_equal(rb_gradnorm_seed(&c, seed, &r, err, sizeof err), 0);
        const int T = r.T;
        print_message("%s rho=%.1f seed=%llu: dh[0]=%.3e dh[%d]=%.3e ratio=%.3e (rho^%d=%.3e)\n",
                      rb_cell_name(cell), rho, (unsigned long long)seed, r.dh[0], T - 1, r.dh[T - 1],
                      r.dh[T - 1] / r.dh[0], T - 1, pow(rho, T - 1));
        assert_true(r.dh[0] > 0);
        assert_true(r.dh[T - 1] < 1e-12 * r.dh[0]);
        for (int k = 0; k < T; k++) {
            double bound = pow(lip * rho, k) * r.dh[0];
            if (!(r.dh[k] <= bound * (1 + 1e-4))) {
                print_error("%s seed %llu: dh[%d] = %.6e > (L rho)^k dh[0] = %.6e\n", rb_cell_name(cell),
                            (unsigned long long)seed, k, r.dh[k], bound);
                fail();
            }
        }
        rb_gn_seed_result_free(&r);
    }
}

/* A cell and the Lipschitz constant of its activation, for bound_rho_k. */
typedef struct {
    rb_cell cell;
    double lip;
} bound_case;

static void test_bounded_by_lip_rho_k(void **state)
{
    const bound_case *c = *state;
    bound_rho_k(c->cell, c->lip);
}

/* One cmocka test named test_name: bound_rho_k(cell, lip). */
#define BOUND_TEST(test_name, cell, lip) \
    {.name = test_name, .test_func = test_bounded_by_lip_rho_k, .initial_state = &(bound_case){cell, lip}}

static void test_lstm_forget_bias(void **state)
{
    (void)state;
    double at49[2], at0[2];
    for (int fb = 0; fb <= 1; fb++) {
        rb_gn_config c = config(RB_LSTM, 1.0);
        c.forget_bias = fb;
        rb_gn_curve cv;
        char err[256];
        assert_int_equal(rb_gradnorm_curve(&c, 1, 3, &cv, err, sizeof err), 0);
        at0[fb] = cv.dh[0];
        at49[fb] = cv.dh[49];
        print_message("lstm rho=1 forget_bias=%d: dh[0]=%.3e dh[49]=%.3e dc[49]=%.3e\n", fb, cv.dh[0],
                      cv.dh[49], cv.dc[49]);
        rb_gn_curve_free(&cv);
    }
    /* Measured ~1e5x on x86-64 (naive, seeds 1..3); assert 100x. The
     * head term at k = 0 is about the same for both. */
    print_message("ratio fb1/fb0 at k=49: %.3e\n", at49[1] / at49[0]);
    assert_true(at49[1] > 100 * at49[0]);
    assert_true(fabs(at0[1] / at0[0] - 1) < 0.2);
}

static void test_clip_library(void **state)
{
    (void)state;
    /* rnn_relu at rho 2 explodes (global norm ~1e7); lstm at 0.5 is small. */
    const struct { rb_cell cell; double rho, C; int clipped; } cases[] = {
        {RB_RNN_RELU, 2.0, 1.0, 1},
        {RB_RNN_RELU, 2.0, 1e-3, 1},
        {RB_LSTM, 0.5, 1e-2, 1},
        {RB_LSTM, 0.5, 1e6, 0},
        {RB_GRU, 1.0, 1e6, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rb_gn_config c = config(cases[i].cell, cases[i].rho);
        c.s.T = 20;
        c.clip = cases[i].C;
        for (uint64_t seed = 1; seed <= 2; seed++) {
            rb_gn_seed_result r;
            char err[256];
            assert_int_equal(rb_gradnorm_seed(&c, seed, &r, err, sizeof err), 0);
            print_message("%s rho=%g C=%g: before=%.6e after=%.6e scale=%.3e\n", rb_cell_name(c.s.cell),
                          c.rho, c.clip, r.grad_norm_before, r.grad_norm_after, r.clip_scale);
            assert_true(r.grad_norm_after <= c.clip);
            if (cases[i].clipped) {
                assert_true(r.grad_norm_before > c.clip);
                assert_true(r.grad_norm_after > c.clip * (1 - 1e-6));
                assert_true(fabs(r.grad_norm_after / r.grad_norm_before - r.clip_scale) < 1e-9 * r.clip_scale);
            } else {
                assert_true(r.clip_scale == 1.0);
                assert_true(r.grad_norm_after == r.grad_norm_before);
            }
            rb_gn_seed_result_free(&r);
        }
    }
}

/* Runs `rnnbench args`; stdout to a file; returns the exit status. */

static const char *const header =
    "cell,rho,k,dh_norm,dh_min,dh_max,dc_norm,dx_norm,dwhh_step_norm,dh_norm_clipped,"
    "grad_norm_before,grad_norm_after,forget_bias,loss,head,variant,T,N,I,H,seeds";
/* The column the networks added, last. */
static const char *const header_tail = ",K,clip,seed,layer\n";

/* Splits a CSV line in place; returns the number of fields. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = 0;
            f[n++] = p + 1;
        } else if (*p == '\n') {
            *p = 0;
        }
    return n;
}

/* Runs `gradnorm ARGS` into the temporary file out (made here), checks
 * that it exits 0 and that its header is the CSV header, and returns the
 * file open at the first data row. */
static FILE *gradnorm_csv(const char *args, char *out)
{
    char err[4096], line[4096];
    rb_cli_tmpfile(out);
    assert_int_equal(rb_cli_run(args, out, err, sizeof err), 0);
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_int_equal(strncmp(line, header, strlen(header)), 0);
    assert_string_equal(line + strlen(line) - strlen(header_tail), header_tail);
    return f;
}

static void test_clip_csv(void **state)
{
    (void)state;
    char out[] = "/tmp/rb_gradnorm_csvXXXXXX";
    const double C = 1.0;
    FILE *f = gradnorm_csv("gradnorm --cell rnn_relu,lstm --rho 0.5,2 --T 12 --seeds 2 --clip 1", out);
    char line[4096], *fl[64];
    int rows = 0, clipped = 0, unclipped = 0;
    while (fgets(line, sizeof line, f)) {
        int n = split(line, fl, 64);
        assert_true(n >= 21);
        double dh = atof(fl[3]), dhc = atof(fl[9]), before = atof(fl[10]), after = atof(fl[11]);
        assert_true(after <= C);
        if (before <= C) {
            assert_true(after == before);
            assert_true(dhc == dh);
            unclipped++;
        } else {
            assert_true(dhc < dh);
            clipped++;
        }
        assert_true((strcmp(fl[0], "lstm") == 0) == (fl[6][0] != 0)); /* dc only for lstm */
        assert_int_equal(n, 25);
        assert_string_equal(fl[24], "0"); /* one layer: layer 0 */
        rows++;
    }
    fclose(f);
    unlink(out);
    print_message("%d rows, %d clipped, %d below C\n", rows, clipped, unclipped);
    assert_int_equal(rows, 2 * 2 * 12);
    assert_true(clipped > 0 && unclipped > 0);
}

/* Relative difference with a floor far below any value compared here. */
static double rel(double a, double b) { return fabs(a - b) / fmax(fmax(fabs(a), fabs(b)), 1e-300); }

static void test_variant_independent(void **state)
{
    (void)state;
    /* rnn_tanh at rho >= 2 is chaotic: float noise in the forward pass grows
     * exponentially and the trajectories of two variants part ways, so the
     * comparison stays at rho <= 1.5 (see gradnorm.h). */
    enum { NRHO = 3, T = 24 };
    const double rhos[NRHO] = {0.5, 1.0, 1.5};
    rb_gn_seed_result ref[RB_NCELLS][NRHO];
    char err[256];
    for (int cell = 0; cell < RB_NCELLS; cell++)
        for (int ri = 0; ri < NRHO; ri++) {
            rb_gn_config a = config((rb_cell)cell, rhos[ri]);
            a.s.T = T;
            assert_int_equal(rb_gradnorm_seed(&a, 7, &ref[cell][ri], err, sizeof err), 0);
        }
    int compared = 0;
    double worst = 0;
    for (int vi = 0; vi < rb_variant_count(); vi++) {
        const rb_variant *v = rb_variant_at(vi);
        if (strcmp(v->name, "naive") == 0) continue;
        const char *why = NULL;
        for (int cell = 0; cell < RB_NCELLS && !why; cell++)
            why = rb_variant_why_not(v, &(rb_problem){.s = {.cell = (rb_cell)cell}, .threads = 1});
        if (why) {
            print_message("%s: not compared: %s\n", v->name, why);
            continue;
        }
        double vworst = 0;
        for (int cell = 0; cell < RB_NCELLS; cell++)
            for (int ri = 0; ri < NRHO; ri++) {
                rb_gn_config b = config((rb_cell)cell, rhos[ri]);
                b.s.T = T;
                b.v = v;
                b.threads = v->par_kind == RB_PAR_OMP_BATCH || v->par_kind == RB_PAR_OMP_HIDDEN ? 2 : 1;
                const rb_gn_seed_result *ra = &ref[cell][ri];
                rb_gn_seed_result rb;
                if (rb_gradnorm_seed(&b, 7, &rb, err, sizeof err) != 0) {
                    print_error("%s: %s\n", v->name, err);
                    fail();
                }
                for (int k = 0; k < T; k++) {
                    double e = fmax(fmax(rel(ra->dh[k], rb.dh[k]), rel(ra->dx[k], rb.dx[k])),
                                    rel(ra->dwhh[k], rb.dwhh[k]));
                    if (rb_cell_has_c((rb_cell)cell)) e = fmax(e, rel(ra->dc[k], rb.dc[k]));
                    if (!(e <= 1e-3)) {
                        print_error("%s vs naive, %s rho=%g k=%d: dh %.6e vs %.6e, dx %.6e vs %.6e, "
                                    "dwhh %.6e vs %.6e\n",
                                    v->name, rb_cell_name((rb_cell)cell), rhos[ri], k, ra->dh[k], rb.dh[k],
                                    ra->dx[k], rb.dx[k], ra->dwhh[k], rb.dwhh[k]);
                        fail();
                    }
                    vworst = fmax(vworst, e);
                }
                assert_true(rel(ra->grad_norm_before, rb.grad_norm_before) <= 1e-3);
                /* The variant's own two routes to ∂L/∂h_{t-1} agree. */
                if (!(rb.selfcheck <= 1e-3)) {
                    print_error("%s %s rho=%g: self-check %.3e\n", v->name, rb_cell_name((rb_cell)cell),
                                rhos[ri], rb.selfcheck);
                    fail();
                }
                rb_gn_seed_result_free(&rb);
            }
        print_message("%s vs naive: max rel difference %.3e over %d cells, rho 0.5 1 1.5\n", v->name, vworst,
                      (int)RB_NCELLS);
        worst = fmax(worst, vworst);
        compared++;
    }
    for (int cell = 0; cell < RB_NCELLS; cell++)
        for (int ri = 0; ri < NRHO; ri++) rb_gn_seed_result_free(&ref[cell][ri]);
    if (compared == 0) {
        print_message("no runnable variant besides naive: nothing to compare\n");
        skip();
    }
    print_message("%d variants compared, worst %.3e\n", compared, worst);
}

static void test_orthogonal(void **state)
{
    (void)state;
    const int n = 48;
    double *Q = malloc(sizeof(double) * n * n);
    assert_non_null(Q);
    assert_int_equal(rb_gn_orthogonal(Q, n, 5, 100), 0);
    double worst = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += Q[i * n + k] * Q[j * n + k];
            worst = fmax(worst, fabs(s - (i == j)));
        }
    print_message("max |QQ^T - I| = %.3e\n", worst);
    assert_true(worst < 1e-12);
    free(Q);
}


static void test_bad_input(void **state)
{
    (void)state;
    rb_cli_expect_error("gradnorm --cell lstn", "unknown cell");
    rb_cli_expect_error("gradnorm --rho 0.5,abc", "not a finite number");
    rb_cli_expect_error("gradnorm --rho -1", "out of range");
    rb_cli_expect_error("gradnorm --rho nan", "not a finite number");
    rb_cli_expect_error("gradnorm --rho ,", "empty list");
    rb_cli_expect_error("gradnorm --T 0", "out of range");
    rb_cli_expect_error("gradnorm --seeds 0", "out of range");
    rb_cli_expect_error("gradnorm --variant fastest", "unknown variant");
    rb_cli_expect_error("gradnorm --loss most", "unknown --loss");
    rb_cli_expect_error("gradnorm --head tanh", "unknown --head");
    rb_cli_expect_error("gradnorm --K 1", "out of range");
    rb_cli_expect_error("gradnorm --clip 0", "out of range");
    rb_cli_expect_error("gradnorm --clip x", "not a finite number");
    rb_cli_expect_error("gradnorm --forget-bias 1e999", "not a finite number");
    rb_cli_expect_error("gradnorm --out /nonexistent/dir/g.csv --T 2 --seeds 1", "cannot write");
    rb_cli_expect_error("gradnorm --bogus 3", "unknown option");
}


/* rnn_relu at rho 10 over 100 steps overflows float in the forward pass;
 * relu(NaN) = 0 then resets the state, and the old CSV showed the far
 * gradients as 0 (vanished) with exit 0 and no word. Now every norm of
 * that run is nan in the CSV, never 0, and stderr says where it overflowed. */
static void test_overflow_stays_visible(void **state)
{
    (void)state;
    char out[] = "/tmp/rb_gradnorm_ovfXXXXXX", err[4096];
    rb_cli_tmpfile(out);
    int st = rb_cli_run("gradnorm --cell rnn_relu --T 100 --rho 10 --seeds 1", out, err, sizeof err);
    print_message("exit %d, stderr: %s", st, err);
    assert_int_equal(st, 0);
    assert_non_null(strstr(err, "overflowed"));
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    char line[4096], *fl[64];
    assert_non_null(fgets(line, sizeof line, f));
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        assert_true(split(line, fl, 64) >= 21);
        for (int c = 3; c <= 11; c++) {
            if (c == 6) continue; /* dc: lstm only */
            if (strcmp(fl[c], "nan") != 0) fail_msg("row %d column %d is '%s', not nan", rows, c, fl[c]);
        }
        rows++;
    }
    fclose(f);
    unlink(out);
    assert_int_equal(rows, 100);

    /* The library says so too. */
    rb_gn_config c = config(RB_RNN_RELU, 10);
    c.s.T = 100;
    rb_gn_seed_result r;
    assert_int_equal(rb_gradnorm_seed(&c, 1, &r, err, sizeof err), 0);
    assert_true(r.overflow_step > 0 && r.overflow_step < 100);
    for (int k = 0; k < 100; k++) assert_true(isnan(r.dh[k]));
    rb_gn_seed_result_free(&r);
    /* and a run that does not overflow says nothing */
    assert_int_equal(rb_cli_run("gradnorm --cell rnn_relu --T 10 --rho 2 --seeds 1", NULL, err, sizeof err), 0);
    assert_string_equal(err, "");
}

/* Non-finite values survive aggregation over seeds. */
static void test_geomean_keeps_nonfinite(void **state)
{
    (void)state;
    const double inf_and_one[2] = {INFINITY, 1}, zero_and_inf[2] = {0, INFINITY}, nan_and_one[2] = {NAN, 1};
    assert_true(isinf(rb_gn_geomean(inf_and_one, 2)));
    assert_true(isnan(rb_gn_geomean(zero_and_inf, 2)));
    assert_true(isnan(rb_gn_geomean(nan_and_one, 2)));
}

/* A full disk (EFBIG under a file-size limit) gives a reason, a non-zero
 * exit, and no truncated CSV under the --out name, nor a temporary file. */
static void test_full_disk_leaves_no_csv(void **state)
{
    (void)state;
    char dir[] = "/tmp/rb_gradnorm_fullXXXXXX", cmd[2048], errpath[300], csv[300];
    assert_non_null(mkdtemp(dir));
    snprintf(csv, sizeof csv, "%s/g.csv", dir);
    snprintf(errpath, sizeof errpath, "%s/err", dir);
    snprintf(cmd, sizeof cmd,
             "sh -c \"trap '' XFSZ; ulimit -f 1; exec %s gradnorm --cell rnn_tanh,gru --rho 0.5,1 --T 20 --seeds 1 "
             "--out %s\" 2>%s", RB_BIN, csv, errpath);
    int st = system(cmd);
    char *e = rb_cli_slurp(errpath);
    print_message("status %d: %s", st, e);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    assert_non_null(strstr(e, "File too large"));
    free(e);
    unlink(errpath);
    assert_int_equal(access(csv, F_OK), -1);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
    assert_int_equal(system(cmd), 0);
    rmdir(dir);
}

/* A subnormal rho is a number; one that underflows to 0 gets an accurate
 * reason, not "not a finite number". */
static void test_tiny_rho(void **state)
{
    (void)state;
    char err[4096];
    assert_int_equal(rb_cli_run("gradnorm --cell rnn_tanh --rho 1e-320 --T 3 --seeds 1", NULL, err, sizeof err), 0);
    rb_cli_expect_error("gradnorm --rho 1e-400", "underflows to 0");
    rb_cli_expect_error("gradnorm --rho 0.5,,1", "empty element");
    rb_cli_expect_error("gradnorm --rho ' 1'", "not a finite number");
}


/* ---- through depth (a network's tensors in double: f64set.h) ---- */

/* Layer l of f over steps t0 .. t0+len-1 of in [T][N][Il] from (h0, c0):
 * y [len][N][H], hT, cT (c: NULL for cells without). */
static void run_piece(const f64set *f, int l, const double *in, int t0, int len, const double *h0,
                      const double *c0, double *y, double *hT, double *cT)
{
    const rb_shape *s = &f->s;
    const int Il = rb_layer_input(s, l), N = s->N;
    const rb_shape q = {.cell = s->cell, .T = len, .N = N, .I = Il, .H = s->H};
    const rb_tensor_id par[] = {RB_W_IH, RB_W_HH, RB_B_IH, RB_B_HH};
    rb_tensors_f64 t = {{0}};
    for (int i = 0; i < 4; i++) t.t[par[i]] = f->t.t[par[i]] + rb_param_offset(s, par[i], l, 0);
    t.t[RB_X] = (double *)in + (size_t)t0 * N * Il;
    t.t[RB_H0] = (double *)h0;
    t.t[RB_C0] = (double *)c0;
    t.t[RB_Y] = y;
    t.t[RB_HT] = hT;
    t.t[RB_CT] = cT;
    assert_int_equal(rb_ref_f64_forward(&q, &t, NULL), 0);
}

/* L = Σ dy∘y + Σ dhT∘hT + Σ dcT∘cT of the network, with layer pl's state
 * at step pt, element e, moved by eps: what = 'h' moves h (c unchanged),
 * 'c' moves c and recomputes h = o tanh(c) (o = h / tanh(c) before), so
 * the derivative is the total one with the path through h; other: none. */
static double split_loss(const f64set *f, int pl, int pt, size_t e, double eps, char what)
{
    const rb_shape *s = &f->s;
    const int L = rb_shape_layers(s), T = s->T, N = s->N, H = s->H, has_c = rb_cell_has_c(s->cell);
    const size_t NH = (size_t)N * H;
    double *bufs[2] = {malloc(sizeof(double) * T * NH), malloc(sizeof(double) * T * NH)};
    double *hT = malloc(sizeof(double) * NH), *cT = malloc(sizeof(double) * NH);
    assert_true(bufs[0] && bufs[1] && hT && cT);
    const double *in = f->t.t[RB_X];
    long double loss = 0;
    for (int l = 0; l < L; l++) {
        double *out = bufs[l % 2];
        const double *h0 = f->t.t[RB_H0] + l * NH, *c0 = has_c ? f->t.t[RB_C0] + l * NH : NULL;
        if (l != pl || (what != 'h' && what != 'c')) {
            run_piece(f, l, in, 0, T, h0, c0, out, hT, has_c ? cT : NULL);
        } else {
            run_piece(f, l, in, 0, pt + 1, h0, c0, out, hT, has_c ? cT : NULL);
            double *ht = out + (size_t)pt * NH;
            if (what == 'h') {
                ht[e] += eps;
            } else {
                const double c = cT[e];
                cT[e] += eps;
                ht[e] *= tanh(cT[e]) / tanh(c);
            }
            memcpy(hT, ht, sizeof(double) * NH);
            if (pt + 1 < T) {
                double *h1 = malloc(sizeof(double) * NH), *c1 = malloc(sizeof(double) * NH);
                memcpy(h1, hT, sizeof(double) * NH);
                if (has_c) memcpy(c1, cT, sizeof(double) * NH);
                run_piece(f, l, in, pt + 1, T - pt - 1, h1, has_c ? c1 : NULL, out + (size_t)(pt + 1) * NH, hT,
                          has_c ? cT : NULL);
                free(h1);
                free(c1);
            }
        }
        for (size_t i = 0; i < NH; i++) {
            loss += (long double)hT[i] * f->t.t[RB_DHT][l * NH + i];
            if (has_c) loss += (long double)cT[i] * f->t.t[RB_DCT][l * NH + i];
        }
        in = out;
    }
    for (size_t i = 0; i < (size_t)T * NH; i++) loss += (long double)in[i] * f->t.t[RB_DY][i];
    free(bufs[0]);
    free(bufs[1]);
    free(hT);
    free(cT);
    return (double)loss;
}

/* Worst FD error of every element of g's dh (and dc for lstm), as
 * test_gradcheck.c measures it: |fd - an| / max(|fd|, |an|, 1e-3). */
static double fd_worst(const f64set *f, const rb_gn_net_grads *g, char what)
{
    const rb_shape *s = &f->s;
    const int L = rb_shape_layers(s), T = s->T;
    const size_t NH = (size_t)s->N * s->H;
    const double eps = 1e-5;
    const double *an = what == 'h' ? g->dh : g->dc;
    double worst = 0;
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++)
            for (size_t e = 0; e < NH; e++) {
                const double fd = (split_loss(f, l, t, e, eps, what) - split_loss(f, l, t, e, -eps, what)) / (2 * eps);
                const double a = an[((size_t)l * T + t) * NH + e];
                const double err = fabs(fd - a) / fmax(fmax(fabs(fd), fabs(a)), 1e-3);
                if (err > worst) worst = err;
            }
    return worst;
}

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

static void test_net_layers_match_fd(void **state)
{
    (void)state;
    for (int L = 2; L <= 3; L++)
        for (int cell = 0; cell < RB_NCELLS; cell++) {
            const rb_shape s = {.cell = (rb_cell)cell, .T = 4, .N = 2, .I = 3, .H = 3, .layers = L,
                                .dir = RB_DIR_L2R};
            f64set f;
            f64set_make(&f, &s, 11 + (uint64_t)cell);
            rb_gn_net_grads g;
            char err[256];
            assert_int_equal(rb_gn_net_grads_run(&s, &f.t, &g, err, sizeof err), 0);
            const double wh = fd_worst(&f, &g, 'h');
            const double wc = rb_cell_family_of(s.cell) == RB_FAMILY_LSTM ? fd_worst(&f, &g, 'c') : 0;
            /* The chain's dx, dh0 and dc0 are the network reference's own. */
            assert_int_equal(rb_ref_f64_forward(&s, &f.t, f.ws), 0);
            assert_int_equal(rb_ref_f64_backward(&s, &f.t, f.ws), 0);
            const size_t NH = (size_t)s.N * s.H;
            double dd = max_abs_diff(g.dx, f.t.t[RB_DX], (size_t)s.T * s.N * s.I);
            dd = fmax(dd, max_abs_diff(g.dh0, f.t.t[RB_DH0], L * NH));
            if (f.t.t[RB_DC0]) dd = fmax(dd, max_abs_diff(g.dc0, f.t.t[RB_DC0], L * NH));
            assert_true(dd < 1e-12);
            /* The check has teeth: one element of layer 0's dh off by 1e-4. */
            if (L == 2 && (s.cell == RB_LSTM || s.cell == RB_RNN_TANH)) {
                g.dh[NH + 1] += 1e-4;
                const double bad = fd_worst(&f, &g, 'h');
                print_message("  perturbed dh: FD worst %.2e\n", bad);
                assert_true(bad > 1e-6);
            }
            rb_gn_net_grads_free(&g);
            free(f.mem);
            print_message("L=%d %-11s FD worst dh %.2e dc %.2e\n", L, rb_cell_name(s.cell), wh, wc);
            assert_true(wh < 1e-6);
            assert_true(wc < 1e-6);
        }
}

/* One layer through the double reference (--layers 1) gives naive's
 * single-layer curves: the same problem, float against double. */
static void test_net_one_layer_is_the_single_layer(void **state)
{
    (void)state;
    const double rhos[2] = {0.5, 1.0};
    double worst = 0;
    for (int cell = 0; cell < RB_NCELLS; cell++)
        for (int ri = 0; ri < 2; ri++) {
            rb_gn_config a = config((rb_cell)cell, rhos[ri]), b = a;
            a.s.T = b.s.T = 20;
            a.forget_bias = b.forget_bias = rb_cell_has_c((rb_cell)cell) ? 1.0 : 0.0;
            b.layers = 1;
            rb_gn_seed_result ra, rb;
            char err[256];
            assert_int_equal(rb_gradnorm_seed(&a, 3, &ra, err, sizeof err), 0);
            assert_int_equal(rb_gradnorm_seed(&b, 3, &rb, err, sizeof err), 0);
            assert_int_equal(rb.L, 1);
            assert_true(rb.selfcheck < 1e-12);
            for (int k = 0; k < 20; k++) {
                double e = fmax(fmax(rel(ra.dh[k], rb.dh[k]), rel(ra.dx[k], rb.dx[k])), rel(ra.dwhh[k], rb.dwhh[k]));
                if (ra.dc) e = fmax(e, rel(ra.dc[k], rb.dc[k]));
                if (!(e <= 1e-3)) fail_msg("%s rho=%g k=%d: dh %.6e vs %.6e", rb_cell_name((rb_cell)cell), rhos[ri], k,
                                           ra.dh[k], rb.dh[k]);
                worst = fmax(worst, e);
            }
            assert_true(rel(ra.loss, rb.loss) < 1e-5);
            assert_true(rel(ra.grad_norm_before, rb.grad_norm_before) < 1e-3);
            rb_gn_seed_result_free(&ra);
            rb_gn_seed_result_free(&rb);
        }
    print_message("float naive vs double reference, one layer: worst rel %.2e\n", worst);
}

/* --layers L: L*T rows per (cell, rho), the layer column 0..L-1, the
 * double reference named; the self-check of every seed holds. */
static void test_net_csv(void **state)
{
    (void)state;
    char out[] = "/tmp/rb_gradnorm_netXXXXXX";
    FILE *f = gradnorm_csv("gradnorm --cell rnn_tanh,lstm --rho 0.5,1 --T 5 --layers 3 --seeds 2 --H 6 --I 4 --N 2",
                           out);
    char line[4096], *fl[64];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        assert_int_equal(split(line, fl, 64), 25);
        assert_string_equal(fl[15], "ref_f64");
        assert_int_equal(atoi(fl[24]), (rows / 5) % 3); /* layer */
        assert_int_equal(atoi(fl[2]), rows % 5);        /* k */
        assert_true(atof(fl[3]) > 0);
        rows++;
    }
    fclose(f);
    unlink(out);
    assert_int_equal(rows, 2 * 2 * 3 * 5);
    /* the library's self-check, per seed */
    for (int cell = 0; cell < RB_NCELLS; cell++) {
        rb_gn_config c = config((rb_cell)cell, 1.0);
        c.s.T = 6;
        c.layers = 3;
        rb_gn_seed_result r;
        char err[256];
        assert_int_equal(rb_gradnorm_seed(&c, 2, &r, err, sizeof err), 0);
        print_message("%s L=3: self-check %.2e\n", rb_cell_name((rb_cell)cell), r.selfcheck);
        assert_true(r.selfcheck < 1e-12);
        rb_gn_seed_result_free(&r);
    }
    rb_cli_expect_error("gradnorm --layers 0", "out of range");
    rb_cli_expect_error("gradnorm --layers two", "--layers");
    rb_cli_expect_error("gradnorm --layers 2 --variant naive", "--variant does not apply");
    rb_cli_expect_error("gradnorm --layers 2 --threads 2", "--threads does not apply");
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        BOUND_TEST("test_tanh_bounded_by_rho_k", RB_RNN_TANH, 1.0),
        BOUND_TEST("test_relu_bounded_by_rho_k", RB_RNN_RELU, 1.0),
        BOUND_TEST("test_sigmoid_bounded_by_quarter_rho_k", RB_RNN_SIGMOID, 0.25),
        BOUND_TEST("test_leaky_bounded_by_rho_k", RB_RNN_LEAKY, 1.0),
        cmocka_unit_test(test_lstm_forget_bias),
        cmocka_unit_test(test_clip_library),
        cmocka_unit_test(test_clip_csv),
        cmocka_unit_test(test_variant_independent),
        cmocka_unit_test(test_orthogonal),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_overflow_stays_visible),
        cmocka_unit_test(test_geomean_keeps_nonfinite),
        cmocka_unit_test(test_full_disk_leaves_no_csv),
        cmocka_unit_test(test_tiny_rho),
        cmocka_unit_test(test_net_layers_match_fd),
        cmocka_unit_test(test_net_one_layer_is_the_single_layer),
        cmocka_unit_test(test_net_csv),
    };
    return cmocka_run_group_tests_name("gradnorm", tests, NULL, NULL);
}
