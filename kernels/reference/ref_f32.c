/* ref_f32.c: the reference in float32, which is the `naive` variant. */
#include "ref.h"

#define REAL float
#define TENSORS rb_tensors
#define RB_REF(name) rb_ref_f32_##name
#define EXP expf
#define TANH tanhf
#include "ref_cell.inc"
#include "ref_net.inc"
