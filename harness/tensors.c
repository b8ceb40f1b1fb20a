/* tensors.c: see tensors.h. */
#include "tensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static const uint32_t canary_bits = 0x7fc0dead; /* a quiet NaN nobody computes */

size_t rb_tset_bytes(const rb_shape *s, size_t ws_bytes)
{
    size_t total = ws_bytes;
    for (int id = 0; id < RB_NTENSORS; id++) {
        size_t d[3];
        int nd = rb_tensor_dims(s, (rb_tensor_id)id, d);
        if (nd == 0) continue;
        size_t n = 1;
        for (int i = 0; i < nd; i++) {
            if (d[i] != 0 && n > SIZE_MAX / d[i]) return SIZE_MAX;
            n *= d[i];
        }
        if (n > SIZE_MAX / sizeof(float) - RB_CANARY_FLOATS - 64) return SIZE_MAX;
        size_t b = (n + RB_CANARY_FLOATS) * sizeof(float) + 64;
        if (total > SIZE_MAX - b) return SIZE_MAX;
        total += b;
    }
    return total;
}

int rb_tset_alloc(rb_tset *ts, const rb_shape *s, char *err, size_t errlen)
{
    memset(ts, 0, sizeof *ts);
    ts->s = *s;
    if (rb_check_fits(rb_tset_bytes(s, 0), err, errlen) != 0) return -1;
    for (int id = 0; id < RB_NTENSORS; id++) {
        size_t n = rb_tensor_numel(s, (rb_tensor_id)id);
        if (!rb_tensor_exists(s->cell, (rb_tensor_id)id)) continue;
        float *p = rb_alloc((n + RB_CANARY_FLOATS) * sizeof(float));
        if (!p) {
            snprintf(err, errlen, "out of memory allocating %s (%zu floats)",
                     rb_tensor_name((rb_tensor_id)id), n);
            rb_tset_free(ts);
            return -1;
        }
        for (int i = 0; i < RB_CANARY_FLOATS; i++) memcpy(&p[n + i], &canary_bits, 4);
        ts->block[id] = p;
        ts->t.t[id] = p;
    }
    return 0;
}

void rb_tset_free(rb_tset *ts)
{
    for (int id = 0; id < RB_NTENSORS; id++) rb_free(ts->block[id]);
    memset(ts, 0, sizeof *ts);
}

void rb_tset_init_one(rb_tset *ts, rb_tensor_id id, uint64_t seed)
{
    float *p = ts->t.t[id];
    if (!p) return;
    size_t n = rb_tensor_numel(&ts->s, id);
    rb_tensor_role role = rb_tensor_role_of(id);
    if (role == RB_ROLE_OUTPUT || role == RB_ROLE_GRAD) {
        for (size_t i = 0; i < n; i++) p[i] = NAN;
        return;
    }
    float a = role == RB_ROLE_DOUT ? 1.0f : 1.0f / sqrtf((float)ts->s.H);
    rb_rng r = rb_rng_stream(seed, rb_tensor_info_of(id)->stream);
    for (size_t i = 0; i < n; i++) p[i] = rb_rng_uniform(&r, a);
}

void rb_tset_init(rb_tset *ts, uint64_t seed)
{
    for (int id = 0; id < RB_NTENSORS; id++) rb_tset_init_one(ts, (rb_tensor_id)id, seed);
}

void rb_tset_poison_outputs(rb_tset *ts)
{
    for (int id = 0; id < RB_NTENSORS; id++) {
        rb_tensor_role role = rb_tensor_role_of((rb_tensor_id)id);
        if (role == RB_ROLE_OUTPUT || role == RB_ROLE_GRAD)
            rb_tset_init_one(ts, (rb_tensor_id)id, 0);
    }
}

int rb_tset_canaries_ok(const rb_tset *ts, rb_tensor_id *bad)
{
    for (int id = 0; id < RB_NTENSORS; id++) {
        const float *p = ts->t.t[id];
        if (!p) continue;
        size_t n = rb_tensor_numel(&ts->s, (rb_tensor_id)id);
        for (int i = 0; i < RB_CANARY_FLOATS; i++)
            if (memcmp(&p[n + i], &canary_bits, 4) != 0) {
                if (bad) *bad = (rb_tensor_id)id;
                return 0;
            }
    }
    return 1;
}

long rb_first_nonfinite(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i])) return (long)i;
    return -1;
}
