/*
 * rnn.h: the cells, their shapes and the tensors of one layer, one direction,
 * exactly as EQUATIONS.md (at the repository root) defines them.
 *
 * Everything here is plain data and small pure functions: which cells exist
 * and what each one is (rb_cell_info: gates, c state, activation, workspace),
 * the name, role, shape and seed stream of every tensor of a run
 * (rb_tensor_info), and the FLOP counts used for GFLOP/s. Every variant, the
 * reference, the checker and the harness read these tables, so a cell or a
 * shape is described in one place; code switches over cells only for math.
 */
#ifndef RB_RNN_H
#define RB_RNN_H

#include <stddef.h>

/* New cells go at the end: the positions are bit numbers of cell masks. */
typedef enum {
    RB_RNN_TANH,    /* Elman, h = tanh(a)                                  */
    RB_RNN_RELU,    /* Elman, h = relu(a)                                  */
    RB_LSTM,        /* gates i f g o                                       */
    RB_GRU,         /* classic: reset before the recurrent product; r z n  */
    RB_GRU_LBR,     /* linear before reset (cuDNN/PyTorch/oneDNN); r z n   */
    RB_RNN_SIGMOID, /* Elman, h = σ(a)                                     */
    RB_RNN_LEAKY,   /* Elman, h = max(a, 0.01 a)                           */
    RB_NCELLS
} rb_cell;

#define RB_CELL_BIT(c) (1u << (c))
#define RB_ALL_CELLS ((1u << RB_NCELLS) - 1u)

/* The math of a cell: the Elman cells differ only in their activation, so
 * an implementation writes the family once and the activation as a small
 * switch (adding an Elman activation touches only those switches). */
typedef enum { RB_FAMILY_ELMAN, RB_FAMILY_LSTM, RB_FAMILY_GRU, RB_FAMILY_GRU_LBR } rb_cell_family;
typedef enum { RB_ACT_NONE, RB_ACT_TANH, RB_ACT_RELU, RB_ACT_SIGMOID, RB_ACT_LEAKY_RELU } rb_act;

/* Slope of rnn_leaky for a < 0. Every act' is a function of h = act(a)
 * alone (tanh 1-h², relu and leaky by the sign of h, σ h(1-h)), so the
 * Elman cells' backward needs no saved pre-activation. */
#define RB_LEAKY_SLOPE 0.01

typedef struct {
    const char *name;      /* "rnn_tanh", ...: CLI, files, CSV           */
    rb_cell_family family;
    rb_act act;            /* Elman: h = act(a); RB_ACT_NONE otherwise    */
    int gates;             /* G: gate blocks of H rows in the weights     */
    int has_c;             /* a cell state: c0 cT dcT dc0 exist           */
    /* Training workspace of the reference (kernels/reference), in [T][N][H]
     * blocks: G of gate activations plus one for c_t (lstm) or the linear
     * part h U_nᵀ + b_hn (gru_lbr). */
    int ref_ws_blocks;
} rb_cell_info;

/* The row of c, or NULL for a value outside the enum. */
const rb_cell_info *rb_cell_info_of(rb_cell c);

/* Shorthands for the fields above ("?" and 0 outside the enum). */
const char *rb_cell_name(rb_cell c);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int rb_cell_parse(const char *name, rb_cell *out);
/* G: 1 for rnn_*, 4 for lstm, 3 for gru and gru_lbr. */
int rb_cell_gates(rb_cell c);
int rb_cell_has_c(rb_cell c);
rb_cell_family rb_cell_family_of(rb_cell c);
rb_act rb_cell_act(rb_cell c);

/* For the `default:` of a math switch: a cell or activation the code does
 * not know is a bug, never silently skipped. Prints where and aborts. */
#ifdef __cplusplus /* harness/gbench.cc includes this header */
[[noreturn]]
#else
_Noreturn
#endif
void rb_unreachable(const char *file, int line);
#define RB_UNREACHABLE() rb_unreachable(__FILE__, __LINE__)

/* Direction modes of a network's layers (EQUATIONS.md "Networks"; oneDNN's
 * names, bi_concat is PyTorch's bidirectional=True). New modes go at the
 * end: 0 is the plain forward layer. */
typedef enum { RB_DIR_L2R, RB_DIR_R2L, RB_DIR_BI_CONCAT, RB_DIR_BI_SUM, RB_NDIRS } rb_dir;

const char *rb_dir_name(rb_dir d);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int rb_dir_parse(const char *name, rb_dir *out);
/* D: 2 for the bidirectional modes, else 1. */
int rb_dir_count(rb_dir d);

/* A network of `layers` layers of one cell (EQUATIONS.md "Networks"). The
 * first five fields are one layer, one direction, and a shape written as
 * {cell, T, N, I, H} is exactly that: layers 0 reads as 1, dir 0 is l2r,
 * lengths NULL is every sequence of full length T. Sizes are validated
 * positive by the harness; lengths (when given) 1 <= len_n <= T. */
typedef struct {
    rb_cell cell;
    int T; /* time steps                 */
    int N; /* batch                      */
    int I; /* input size of layer 0      */
    int H; /* hidden size                */
    int layers;         /* L; 0 is read as 1                          */
    rb_dir dir;         /* direction mode of every layer              */
    const int *lengths; /* [N] per-sequence lengths, or NULL: all T   */
} rb_shape;

/* L, with 0 read as 1. */
int rb_shape_layers(const rb_shape *s);
/* D of s->dir. */
int rb_shape_dirs(const rb_shape *s);
/* 1 unless s is one layer in l2r mode (of any lengths): those keep the
 * plain single-layer layout and names (h0 [N][H], weight_ih). */
int rb_shape_is_net(const rb_shape *s);
/* 1 if some sequence is shorter than T (lengths given and not all T). */
int rb_shape_has_varlen(const rb_shape *s);
/* Input size of layer l: I for l = 0, else 2H (bi_concat) or H. */
int rb_layer_input(const rb_shape *s, int l);
/* Width of a layer's output, y and dy: 2H for bi_concat, else H. */
int rb_out_width(const rb_shape *s);
/* Length of sequence n (T when lengths is NULL). */
int rb_seq_len(const rb_shape *s, int n);
/* Real steps, Σ_n len_n (N·T at full length): "tokens". */
long long rb_tokens(const rb_shape *s);
/* The single-layer shape of layer l (any direction): {cell, T, N,
 * rb_layer_input(s, l), H}, full length, l2r. */
rb_shape rb_layer_shape(const rb_shape *s, int l);

/* Tensor ids, in the order of EQUATIONS.md "Tensor files". Nothing depends
 * on these positions but the order of output: roles, shapes and seed
 * streams are in rb_tensor_info. */
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

/* Shapes, with GH = G * H. In a network (rb_shape_is_net) y and dy are
 * [T][N][rb_out_width], the states [L·D][N][H], and each parameter one
 * flat buffer of its L·D blocks (rb_param_offset). */
typedef enum {
    RB_DIMS_TNI, /* [T][N][I]  x dx      */
    RB_DIMS_TNH, /* [T][N][H]  y dy      */
    RB_DIMS_NH,  /* [N][H]     states    */
    RB_DIMS_GHI, /* [GH][I]    weight_ih */
    RB_DIMS_GHH, /* [GH][H]    weight_hh */
    RB_DIMS_GH   /* [GH]       biases    */
} rb_dims_kind;

typedef struct {
    const char *name;    /* file stem as in EQUATIONS.md: "x", "dbias_hh" */
    rb_tensor_role role;
    rb_dims_kind dims;
    int c_state;         /* exists only for cells with a c state */
    /* rng stream of its initial values (inputs and upstream gradients;
     * 0 for the rest). Fixed per tensor, never derived from the id, so a
     * tensor added later changes no seeded value of the others. */
    unsigned stream;
} rb_tensor_info;

/* The row of id, or NULL for a value outside the enum. */
const rb_tensor_info *rb_tensor_info_of(rb_tensor_id id);
const char *rb_tensor_name(rb_tensor_id id);
/* The id of a file stem; 0, or -1 for an unknown name. */
int rb_tensor_parse(const char *name, rb_tensor_id *out);
rb_tensor_role rb_tensor_role_of(rb_tensor_id id);
/* c0 cT dcT dc0 exist only for cells with a c state (lstm). */
int rb_tensor_exists(rb_cell c, rb_tensor_id id);
/* Fills dims (up to 3) and returns ndim, or 0 if the tensor does not exist
 * for this cell. */
int rb_tensor_dims(const rb_shape *s, rb_tensor_id id, size_t dims[3]);
/* Number of elements (0 if the tensor does not exist for this cell). */
size_t rb_tensor_numel(const rb_shape *s, rb_tensor_id id);

/* Parameters and their gradients (weight_ih ... dbias_hh) of a network
 * are one buffer per tensor id holding a block per (layer l, direction d),
 * in the order l·D + d, each block laid out as the single-layer tensor of
 * rb_layer_shape(s, l). These give a block's place and its file name. */
int rb_tensor_is_param(rb_tensor_id id);
/* Offset in floats of block (l, d) of parameter tensor id. */
size_t rb_param_offset(const rb_shape *s, rb_tensor_id id, int l, int d);
/* Its dims (as rb_tensor_dims of the layer shape); returns ndim. */
int rb_param_dims(const rb_shape *s, rb_tensor_id id, int l, int d, size_t dims[3]);
/* Its name as PyTorch's state_dict spells it ("weight_hh_l1_reverse",
 * with the `d` prefix for gradients: "dweight_hh_l1_reverse"); a shape
 * that is not a network (rb_shape_is_net) keeps the plain name
 * ("weight_hh"). Returns 0, or -1 if buf is too small. */
int rb_param_name(const rb_shape *s, rb_tensor_id id, int l, int d, char *buf, size_t n);

/* All tensors of a run. A pointer is NULL where the tensor is absent. */
typedef struct { float *t[RB_NTENSORS]; } rb_tensors;
typedef struct { double *t[RB_NTENSORS]; } rb_tensors_f64;

/* GEMM FLOPs of the forward pass, the benchdnn count, from the table's G:
 *   2 * G * H * (I + H) * N * T   for one layer, one direction; a network
 * sums over its layers and directions, each with its own input size, and
 * replaces N * T by the real steps rb_tokens(s).
 * Backward is 2x, a training step 3x. */
double rb_flops_forward(const rb_shape *s);
/* DeepBench's count, the recurrent product alone: 2 * G * H * H * N * T
 * (times L * D, with N * T replaced by the real steps, for a network). */
double rb_flops_deepbench(const rb_shape *s);

#endif
