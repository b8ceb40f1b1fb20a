/* ref_f64.c: the reference in double, the oracle of the checker. */
#include "ref.h"

#define REAL double
#define TENSORS rb_tensors_f64
#define RB_REF(name) rb_ref_f64_##name
#define EXP exp
#define TANH tanh
#include "ref_cell.inc"
#include "ref_net.inc"
