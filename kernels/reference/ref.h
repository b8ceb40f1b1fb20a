/*
 * ref.h: the literal transcription of EQUATIONS.md, in float (the `naive`
 * variant) and in double (the oracle). See ref_cell.inc.
 *
 * forward: ws == NULL for inference, else the training workspace of
 * workspace_elems() elements. backward overwrites every gradient.
 * Both return 0, or -1 if their small scratch buffers cannot be allocated.
 */
#ifndef RB_REF_H
#define RB_REF_H

#include "../rnn.h"

size_t rb_ref_f32_workspace_elems(const rb_shape *s);
int rb_ref_f32_forward(const rb_shape *s, rb_tensors *t, float *ws);
int rb_ref_f32_backward(const rb_shape *s, rb_tensors *t, const float *ws);

size_t rb_ref_f64_workspace_elems(const rb_shape *s);
int rb_ref_f64_forward(const rb_shape *s, rb_tensors_f64 *t, double *ws);
int rb_ref_f64_backward(const rb_shape *s, rb_tensors_f64 *t, const double *ws);

#endif
