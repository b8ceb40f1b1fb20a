/*
 * interleave.c: round-robin timing of the variants of one point
 * (interleave.h). Uses the same pass sequence as rb_time_pass (cmd_run.c):
 * bwd is timed alone after an untimed forward; fwdbwd is forward then
 * backward, timed together.
 */
#include "interleave.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    void *plan, *ws;
} prepared;

size_t rb_slot_ws_bytes(const rb_slot *s) { return s->v->ops->workspace_bytes(s->p); }

/* One pass; returns the wall seconds of its timed part. */
static double one_pass(const rb_slot *s, const prepared *pr, rb_tset *ts, rb_pass pass)
{
    const rb_variant_ops *o = s->v->ops;
    if (pass == RB_PASS_BWD) o->forward(pr->plan, &ts->t, pr->ws); /* untimed */
    const double t0 = rb_now_sec();
    switch (pass) {
    case RB_PASS_INFER: o->forward(pr->plan, &ts->t, NULL); break;
    case RB_PASS_TRAIN: o->forward(pr->plan, &ts->t, pr->ws); break;
    case RB_PASS_BWD: o->backward(pr->plan, &ts->t, pr->ws); break;
    default:
        o->forward(pr->plan, &ts->t, pr->ws);
        o->backward(pr->plan, &ts->t, pr->ws);
        break;
    }
    return rb_now_sec() - t0;
}

/* A fast wrong answer is no result: the outputs of the pass must at least
 * be finite (`rnnbench check` proves them right). */
static void check_finite(rb_slot *s, const rb_tset *ts, rb_pass pass)
{
    static const rb_tensor_id outs[] = {RB_Y, RB_HT, RB_DX, RB_DW_HH};
    const int nouts = pass == RB_PASS_INFER || pass == RB_PASS_TRAIN ? 2 : 4;
    for (int i = 0; i < nouts; i++) {
        long bad = rb_first_nonfinite(ts->t.t[outs[i]], rb_tensor_numel(&ts->s, outs[i]));
        if (bad >= 0) {
            snprintf(s->status, sizeof s->status, "error: %s[%ld] is not finite", rb_tensor_name(outs[i]), bad);
            s->timed = 0;
            return;
        }
    }
}

double rb_llc_bytes(const rb_sysinfo *si)
{
    if (si->l3_kib > 0) return 1024.0 * si->l3_kib * (si->l3_instances > 0 ? si->l3_instances : 1);
    if (si->l2_kib > 0) return 1024.0 * si->l2_kib * (si->l2_instances > 0 ? si->l2_instances : 1);
    return 0;
}

/* The data a pass of slot s touches: the tensors, its workspace, and a
 * packed copy of the parameters (a plan's usual content). */
static double footprint(const rb_slot *s, const rb_tset *ts)
{
    static const rb_tensor_id ids[] = {RB_W_IH, RB_W_HH, RB_B_IH, RB_B_HH};
    double params = 0;
    for (int k = 0; k < 4; k++) params += 4.0 * (double)rb_tensor_numel(&ts->s, ids[k]);
    return (double)rb_tset_bytes(&ts->s, rb_slot_ws_bytes(s)) + params;
}

void rb_time_interleaved(rb_slot *slots, int n, rb_tset *ts, rb_pass pass, int reps, int warmup,
                         double llc_bytes)
{
    prepared *pr = calloc((size_t)n, sizeof *pr);
    if (!pr) rb_die("sweep: out of memory");
    int live = 0;
    for (int i = 0; i < n; i++) {
        rb_slot *s = &slots[i];
        char err[400];
        s->timed = 0;
        snprintf(s->status, sizeof s->status, "ok");
        pr[i].plan = s->v->ops->plan_create(s->p, err, sizeof err);
        if (!pr[i].plan) {
            snprintf(s->status, sizeof s->status, "error: %s", err);
            continue;
        }
        rb_variant_report(s->v, pr[i].plan, s->p, 0);
        const size_t wsb = rb_slot_ws_bytes(s);
        pr[i].ws = rb_alloc(wsb);
        if (!pr[i].ws && wsb) {
            snprintf(s->status, sizeof s->status, "error: out of memory for a %zu-byte workspace", wsb);
            s->v->ops->plan_destroy(pr[i].plan);
            pr[i].plan = NULL;
            continue;
        }
        omp_set_num_threads(s->p->threads);
        s->v->ops->set_params(pr[i].plan, &ts->t); /* untimed, as in rb_time_pass */
        s->timed = 1;
        live++;
    }
    int last = -1; /* the slot that ran the pass before */
    for (int r = 0; r < reps && live; r++) {
        for (int j = 0; j < n; j++) {
            const int i = (r + j) % n;
            rb_slot *s = &slots[i];
            if (!pr[i].plan) continue;
            omp_set_num_threads(s->p->threads);
            const int rewarm = r == 0 || !(llc_bytes > 0) || footprint(s, ts) <= llc_bytes;
            if (last != i && rewarm)
                for (int w = 0; w < warmup; w++) one_pass(s, &pr[i], ts, pass);
            s->t[r] = one_pass(s, &pr[i], ts, pass);
            last = i;
            if (r == reps - 1) check_finite(s, ts, pass);
        }
    }
    for (int i = 0; i < n; i++) {
        if (!pr[i].plan) continue;
        rb_free(pr[i].ws);
        slots[i].v->ops->plan_destroy(pr[i].plan);
    }
    free(pr);
}
