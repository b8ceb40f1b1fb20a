/* compare.c: see compare.h for the model. */
#include "compare.h"

#include <math.h>
#include <string.h>

/* K of one layer (compare.h). */
static double layer_reduction(const rb_shape *s, rb_tensor_id id)
{
    const double T = s->T, N = s->N, I = s->I, H = s->H;
    const double GH = rb_cell_gates(s->cell) * H;
    switch (rb_tensor_role_of(id)) {
    case RB_ROLE_OUTPUT:
        /* Each step reduces over I + H and feeds the next. */
        return T * (I + H);
    default:
        switch (id) {
        case RB_DW_IH: case RB_DW_HH: case RB_DB_IH: case RB_DB_HH:
            /* Summed over T*N contributions, each from a backward chain. */
            return T * N * (GH + H);
        default:
            /* dx dh0 dc0: back through T steps, each reducing over G*H. */
            return T * (GH + H);
        }
    }
}

/* A network (compare.h): the K of its layers, each with its own input size,
 * add up. */
double rb_tol_reduction(const rb_shape *s, rb_tensor_id id)
{
    double K = 0;
    for (int l = 0; l < rb_shape_layers(s); l++) {
        const rb_shape ls = rb_layer_shape(s, l);
        K += layer_reduction(&ls, id);
    }
    return K;
}

void rb_compare_rtol(const float *got, const double *ref, size_t n, double rtol, rb_cmp *out)
{
    memset(out, 0, sizeof *out);
    double scale = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(ref[i]));
    out->rtol = rtol;
    out->atol = rtol * scale;
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i];
        double d = fabs(g - r);
        double tol = out->atol + rtol * fabs(r);
        double ratio = isfinite(g) ? (tol > 0 ? d / tol : (d > 0 ? INFINITY : 0)) : INFINITY;
        if (!isfinite(g)) d = INFINITY;
        if (d > out->max_abs) out->max_abs = d;
        if (fabs(r) >= 1e-3 * scale && fabs(r) > 0 && d / fabs(r) > out->max_rel)
            out->max_rel = d / fabs(r);
        if (ratio > out->worst_ratio) out->worst_ratio = ratio;
        if (!(ratio <= 1.0)) {
            if (out->n_bad < RB_CMP_SHOW) {
                out->bad_idx[out->n_bad] = i;
                out->bad_got[out->n_bad] = g;
                out->bad_ref[out->n_bad] = r;
            }
            out->n_bad++;
        }
    }
    out->pass = out->n_bad == 0;
}

void rb_compare(const float *got, const double *ref, size_t n, double K, rb_cmp *out)
{
    rb_compare_rtol(got, ref, n, RB_TOL_C * RB_TOL_U * sqrt(K), out);
}
