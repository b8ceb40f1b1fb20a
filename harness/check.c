/* check.c: see check.h. */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/reference/ref.h"

int rb_oracle_run(rb_oracle *o, const rb_tset *ts, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->s = ts->s;
    size_t total = rb_ref_f64_workspace_elems(&ts->s);
    for (int id = 0; id < RB_NTENSORS; id++) total += rb_tensor_numel(&ts->s, (rb_tensor_id)id);
    o->block = malloc(total * sizeof(double));
    if (!o->block) {
        snprintf(err, errlen, "out of memory for the oracle");
        return -1;
    }
    double *p = o->block;
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (!ts->t.t[id]) continue;
        size_t n = rb_tensor_numel(&ts->s, (rb_tensor_id)id);
        o->t.t[id] = p;
        for (size_t i = 0; i < n; i++) p[i] = ts->t.t[id][i];
        p += n;
    }
    if (rb_ref_f64_forward(&o->s, &o->t, p) != 0 || rb_ref_f64_backward(&o->s, &o->t, p) != 0) {
        snprintf(err, errlen, "out of memory in the oracle");
        rb_oracle_free(o);
        return -1;
    }
    return 0;
}

void rb_oracle_free(rb_oracle *o)
{
    free(o->block);
    memset(o, 0, sizeof *o);
}

static int compare_role(const rb_tset *ts, const rb_oracle *o, rb_tensor_role role,
                        rb_cmp *cmp, int *have)
{
    int ok = 1;
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (!ts->t.t[id] || rb_tensor_role_of((rb_tensor_id)id) != role) continue;
        rb_compare(ts->t.t[id], o->t.t[id], rb_tensor_numel(&ts->s, (rb_tensor_id)id),
                   rb_tol_reduction(&ts->s, (rb_tensor_id)id), &cmp[id]);
        have[id] = 1;
        ok &= cmp[id].pass;
    }
    return ok;
}

/* See RB_CHECK_PERTURB_ENV in check.h. */
static void perturb_for_test(rb_tset *ts)
{
    const char *name = getenv(RB_CHECK_PERTURB_ENV);
    rb_tensor_id id;
    if (name && *name && rb_tensor_parse(name, &id) == 0 && ts->t.t[id]) ts->t.t[id][0] += 1.0f;
}

static int inputs_unchanged(const rb_tset *ts, const rb_oracle *o, rb_tensor_id *bad)
{
    for (int id = 0; id < RB_NTENSORS; id++) {
        rb_tensor_role role = rb_tensor_role_of((rb_tensor_id)id);
        if (!ts->t.t[id] || (role != RB_ROLE_INPUT && role != RB_ROLE_DOUT)) continue;
        size_t n = rb_tensor_numel(&ts->s, (rb_tensor_id)id);
        for (size_t i = 0; i < n; i++)
            if (ts->t.t[id][i] != (float)o->t.t[id][i]) {
                *bad = (rb_tensor_id)id;
                return 0;
            }
    }
    return 1;
}

int rb_check_one(const rb_variant *v, rb_tset *ts, const rb_oracle *o, int threads,
                 rb_check_result *res)
{
    return rb_check_grid(v, ts, o, threads, 0, 0, res);
}

int rb_check_grid(const rb_variant *v, rb_tset *ts, const rb_oracle *o, int threads, int grid_b,
                  int grid_s, rb_check_result *res)
{
    memset(res, 0, sizeof *res);
    rb_problem p = {.s = ts->s, .threads = threads, .grid_b = grid_b, .grid_s = grid_s};
    void *plan = v->ops->plan_create(&p, res->err, sizeof res->err);
    if (!plan) return 0;
    rb_variant_report(v, plan, &p, 0);

    const size_t ws_bytes = v->ops->workspace_bytes(&p);
    const size_t guard = RB_CANARY_FLOATS * sizeof(float);
    unsigned char *ws = rb_alloc(ws_bytes + guard);
    if (!ws) {
        snprintf(res->err, sizeof res->err, "out of memory for a %zu-byte workspace", ws_bytes);
        v->ops->plan_destroy(plan);
        return 0;
    }
    memset(ws + ws_bytes, 0xA5, guard);

    int ok = 1;
    v->ops->set_params(plan, &ts->t);

    rb_tset_poison_outputs(ts);
    v->ops->forward(plan, &ts->t, NULL);
    perturb_for_test(ts);
    ok &= compare_role(ts, o, RB_ROLE_OUTPUT, res->infer, res->have_infer);

    rb_tset_poison_outputs(ts);
    v->ops->forward(plan, &ts->t, ws);
    perturb_for_test(ts);
    ok &= compare_role(ts, o, RB_ROLE_OUTPUT, res->train, res->have_train);
    v->ops->backward(plan, &ts->t, ws);
    perturb_for_test(ts);
    ok &= compare_role(ts, o, RB_ROLE_GRAD, res->train, res->have_train);

    rb_tensor_id bad;
    if (!rb_tset_canaries_ok(ts, &bad)) {
        snprintf(res->err, sizeof res->err, "wrote past the end of %s", rb_tensor_name(bad));
        ok = 0;
    }
    for (size_t i = 0; i < guard; i++)
        if (ws[ws_bytes + i] != 0xA5) {
            snprintf(res->err, sizeof res->err, "wrote past the end of its %zu-byte workspace", ws_bytes);
            ok = 0;
            break;
        }
    if (!inputs_unchanged(ts, o, &bad)) {
        snprintf(res->err, sizeof res->err, "modified its input %s", rb_tensor_name(bad));
        ok = 0;
    }
    rb_free(ws);
    v->ops->plan_destroy(plan);
    res->pass = ok;
    return ok;
}

/* "threads=K", or "threads=K grid=BxS" for a forced omp_grid run; as
 * options for the rerun line when opt. */
static const char *threads_text(const rb_problem *p, int opt, char *buf, size_t n)
{
    if (p->grid_b > 0)
        snprintf(buf, n, opt ? "--threads %d --grid %dx%d" : "threads=%d grid=%dx%d", p->threads, p->grid_b,
                 p->grid_s);
    else
        snprintf(buf, n, opt ? "--threads %d" : "threads=%d", p->threads);
    return buf;
}

static void print_rerun(FILE *f, const rb_variant *v, const rb_problem *p, const char *pass, const char *inputs)
{
    char th[64], net[512];
    const rb_shape *s = &p->s;
    fprintf(f, "; rerun: rnnbench run --variant %s --cell %s --T %d --N %d --I %d --H %d%s %s "
               "--pass %s %s --check\n",
            v->name, rb_cell_name(s->cell), s->T, s->N, s->I, s->H, rb_shape_net_text(s, 1, net, sizeof net),
            threads_text(p, 1, th, sizeof th), pass, inputs);
}

int rb_check_report(FILE *f, const rb_variant *v, const rb_problem *p, const char *inputs,
                    const rb_check_result *res, int infer_only)
{
    int lines = 0;
    char th[64], net[512];
    const rb_shape *s = &p->s;
    threads_text(p, 0, th, sizeof th);
    rb_shape_net_text(s, 0, net, sizeof net);
    for (int train = 0; train <= (infer_only ? 0 : 1); train++)
        for (int id = 0; id < RB_NTENSORS; id++) {
            const rb_cmp *c = train ? &res->train[id] : &res->infer[id];
            const int have = train ? res->have_train[id] : res->have_infer[id];
            if (!have || c->pass) continue;
            const char *pass = train ? "train" : "infer";
            fprintf(f, "FAIL %s %s T=%d N=%d I=%d H=%d%s %s %s %s: %zu of %zu elements out of "
                       "tolerance (atol=%.3g rtol=%.3g)",
                    v->name, rb_cell_name(s->cell), s->T, s->N, s->I, s->H, net, th, pass,
                    rb_tensor_name((rb_tensor_id)id), c->n_bad, c->n, c->atol, c->rtol);
            for (size_t k = 0; k < c->n_bad && k < RB_CMP_SHOW; k++)
                fprintf(f, "%s[%zu] got %.9g want %.9g", k ? ", " : "; ", c->bad_idx[k], c->bad_got[k],
                        c->bad_ref[k]);
            print_rerun(f, v, p, pass, inputs);
            lines++;
        }
    if (res->err[0]) {
        fprintf(f, "FAIL %s %s T=%d N=%d I=%d H=%d%s %s: %s", v->name, rb_cell_name(s->cell), s->T, s->N, s->I,
                s->H, net, th, res->err);
        print_rerun(f, v, p, "train", inputs);
        lines++;
    }
    return lines;
}

/* See check.h. */
const char *rb_shape_net_text(const rb_shape *s, int opt, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    if (!rb_shape_is_net(s) && !s->lengths) return buf;
    k += (size_t)snprintf(buf, n, opt ? " --layers %d --dir %s" : " L=%d dir=%s", rb_shape_layers(s),
                          rb_dir_name(s->dir));
    if (s->lengths)
        for (int i = 0; i < s->N && k < n; i++)
            k += (size_t)snprintf(buf + k, n - k, "%s%d", i ? "," : opt ? " --lengths " : " lengths=",
                                  s->lengths[i]);
    return buf;
}
