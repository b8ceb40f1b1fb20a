/*
 * rnn.h: the cells, their shapes and the tensors of one layer, one direction,
 * exactly as EQUATIONS.md (at the repository root) defines them.
 *
 * Everything here is plain data and small pure functions: which cells exist,
 * how many gates they have, the name and shape of every tensor of a run, and
 * the FLOP counts used for GFLOP/s. Every variant, the reference, the
 * checker and the harness read these, so a shape is defined in one place.
 */
#ifndef RB_RNN_H
#define RB_RNN_H

#include <stddef.h>

typedef enum {
    RB_RNN_TANH,  /* Elman, h = tanh(a)                                  */
    RB_RNN_RELU,  /* Elman, h = relu(a)                                  */
    RB_LSTM,      /* gates i f g o                                       */
    RB_GRU,       /* classic: reset before the recurrent product; r z n  */
    RB_GRU_LBR,   /* linear before reset (cuDNN/PyTorch/oneDNN); r z n   */
    RB_NCELLS
} rb_cell;

#define RB_CELL_BIT(c) (1u << (c))
#define RB_ALL_CELLS ((1u << RB_NCELLS) - 1u)

/* One layer, one direction. Sizes are validated positive by the harness. */
typedef struct {
    rb_cell cell;
    int T; /* time steps   */
    int N; /* batch        */
    int I; /* input size   */
    int H; /* hidden size  */
} rb_shape;

const char *rb_cell_name(rb_cell c);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int rb_cell_parse(const char *name, rb_cell *out);
/* G: 1 for rnn_*, 4 for lstm, 3 for gru and gru_lbr. */
int rb_cell_gates(rb_cell c);

/* Tensor ids, in the order of EQUATIONS.md "Tensor files". */
typedef enum {
    /* inputs and parameters */
    RB_X, RB_H0, RB_C0, RB_W_IH, RB_W_HH, RB_B_IH, RB_B_HH,
    /* forward outputs */
    RB_Y, RB_HT, RB_CT,
    /* upstream gradients (inputs of BPTT) */
    RB_DY, RB_DHT, RB_DCT,
    /* gradients (outputs of BPTT) */
    RB_DX, RB_DH0, RB_DC0, RB_DW_IH, RB_DW_HH, RB_DB_IH, RB_DB_HH,
    RB_NTENSORS
} rb_tensor_id;

typedef enum {
    RB_ROLE_INPUT,  /* x h0 c0 weight_* bias_*   */
    RB_ROLE_OUTPUT, /* y hT cT                   */
    RB_ROLE_DOUT,   /* dy dhT dcT                */
    RB_ROLE_GRAD    /* dx dh0 dc0 dweight_* dbias_* */
} rb_tensor_role;

/* File stem as in EQUATIONS.md: "x", "weight_ih", "dbias_hh", ... */
const char *rb_tensor_name(rb_tensor_id id);
rb_tensor_role rb_tensor_role_of(rb_tensor_id id);
/* c0 cT dcT dc0 exist only for lstm. */
int rb_tensor_exists(rb_cell c, rb_tensor_id id);
/* Fills dims (up to 3) and returns ndim, or 0 if the tensor does not exist
 * for this cell. */
int rb_tensor_dims(const rb_shape *s, rb_tensor_id id, size_t dims[3]);
/* Number of elements (0 if the tensor does not exist for this cell). */
size_t rb_tensor_numel(const rb_shape *s, rb_tensor_id id);

/* All tensors of a run. A pointer is NULL where the tensor is absent. */
typedef struct { float *t[RB_NTENSORS]; } rb_tensors;
typedef struct { double *t[RB_NTENSORS]; } rb_tensors_f64;

/* GEMM FLOPs of the forward pass, the benchdnn count:
 *   2 * G * H * (I + H) * N * T.   Backward is 2x, a training step 3x. */
double rb_flops_forward(const rb_shape *s);
/* DeepBench's count, the recurrent product alone: 2 * G * H * H * N * T. */
double rb_flops_deepbench(const rb_shape *s);

#endif
