/*
 * tensors.h: owning storage for every tensor of one run, in float (what the
 * variants see) or double (what the oracle sees).
 *
 * Each buffer is 64-byte aligned and followed by a canary of RB_CANARY_FLOATS
 * floats with a fixed bit pattern, so the checker can prove that no variant
 * writes past the end of an output (rb_tset_canaries_ok).
 */
#ifndef RB_TENSORS_H
#define RB_TENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/platform/memory.h" /* rb_alloc, rb_check_fits: part of this API */
#include "../kernels/rnn.h"

#define RB_CANARY_FLOATS 16

typedef struct {
    rb_shape s;
    rb_tensors t;        /* NULL where the cell has no such tensor */
    void *block[RB_NTENSORS];
} rb_tset;

/* Bytes rb_tset_alloc will take for this shape (with the training workspace
 * of ws_bytes added), or SIZE_MAX on overflow. */
size_t rb_tset_bytes(const rb_shape *s, size_t ws_bytes);
/* Returns 0, or -1 with a one-line reason. */
int rb_tset_alloc(rb_tset *ts, const rb_shape *s, char *err, size_t errlen);
void rb_tset_free(rb_tset *ts);

/* Initialise from the seed as `run` does: inputs and parameters uniform in
 * ±1/sqrt(H) (PyTorch's default), dy dhT dcT uniform in ±1; outputs and
 * gradients are filled with NaN so a variant that skips one is caught. */
void rb_tset_init(rb_tset *ts, uint64_t seed);
void rb_tset_init_one(rb_tset *ts, rb_tensor_id id, uint64_t seed);
/* Fill every output and gradient with NaN (the canaries stay). */
void rb_tset_poison_outputs(rb_tset *ts);
/* 1 if every canary is intact; else 0 and *bad names the first tensor. */
int rb_tset_canaries_ok(const rb_tset *ts, rb_tensor_id *bad);

/* Index of the first non-finite value in a tensor, or -1. */
long rb_first_nonfinite(const float *p, size_t n);

#endif
