/*
 * interleave.h: timing several variants on one sweep point (same cell,
 * pass, shape and team size) round-robin, so that a machine's slow drift
 * (frequency, a neighbour's load) falls on every variant alike instead of
 * on whichever ran last (interleave.c).
 *
 * Each variant is prepared once (plan, packed parameters, workspace), all
 * on one set of tensors (they read the same inputs and overwrite the same
 * outputs). Then `reps` rounds: in round r every variant runs `warmup`
 * untimed passes and one timed pass, starting with variant r mod n, so no
 * variant always follows the same one. The untimed passes put the
 * variant's own plan and workspace back in cache, as a back-to-back loop
 * would. After the first round they are skipped where they would buy
 * nothing: when the variant ran the pass just before (n = 1), and when its
 * data (the tensors, its workspace, a copy of the parameters for its plan)
 * exceed the last-level cache, so that not even a back-to-back loop finds
 * them there (this keeps the large points, where a pass costs most, at
 * one pass per round). The outputs of each variant's last timed pass must
 * be finite (checked before the next variant overwrites them).
 */
#ifndef RB_INTERLEAVE_H
#define RB_INTERLEAVE_H

#include "../variants/variant.h"
#include "run.h"
#include "sysinfo.h"
#include "tensors.h"

typedef struct {
    const rb_variant *v;
    const rb_problem *p;   /* the shape and threads all slots share; grid may differ */
    double *t;             /* [reps] seconds of the timed passes, in round order */
    int timed;             /* 1 when t holds reps times and the outputs were finite */
    char status[512];      /* "ok", or "error: why" */
} rb_slot;

/* Times the n slots on ts (allocated and initialised for their shape);
 * each slot's t must have room for reps values. Fills timed and status of
 * every slot; a slot whose plan cannot be made is an error, the others run
 * on. */
void rb_time_interleaved(rb_slot *slots, int n, rb_tset *ts, rb_pass pass, int reps, int warmup,
                         double llc_bytes);
/* The bytes of the last-level cache for the rule above (all instances of
 * the largest level hwloc or sysfs found; 0 when unknown: then the warm-up
 * passes always run). */
double rb_llc_bytes(const rb_sysinfo *si);

/* The workspace bytes a slot needs beside the shared tensors. */
size_t rb_slot_ws_bytes(const rb_slot *s);

#endif
