/* rnn.c: names, gate counts, tensor shapes and FLOP counts (see rnn.h). */
#include "rnn.h"

#include <string.h>

static const char *const cell_names[RB_NCELLS] = {
    "rnn_tanh", "rnn_relu", "lstm", "gru", "gru_lbr",
};

const char *rb_cell_name(rb_cell c)
{
    return (unsigned)c < RB_NCELLS ? cell_names[c] : "?";
}

int rb_cell_parse(const char *name, rb_cell *out)
{
    for (int c = 0; c < RB_NCELLS; c++)
        if (strcmp(name, cell_names[c]) == 0) {
            *out = (rb_cell)c;
            return 0;
        }
    return -1;
}

int rb_cell_gates(rb_cell c)
{
    switch (c) {
    case RB_LSTM: return 4;
    case RB_GRU:
    case RB_GRU_LBR: return 3;
    default: return 1;
    }
}

static const char *const tensor_names[RB_NTENSORS] = {
    "x", "h0", "c0", "weight_ih", "weight_hh", "bias_ih", "bias_hh",
    "y", "hT", "cT",
    "dy", "dhT", "dcT",
    "dx", "dh0", "dc0", "dweight_ih", "dweight_hh", "dbias_ih", "dbias_hh",
};

const char *rb_tensor_name(rb_tensor_id id)
{
    return (unsigned)id < RB_NTENSORS ? tensor_names[id] : "?";
}

rb_tensor_role rb_tensor_role_of(rb_tensor_id id)
{
    if (id <= RB_B_HH) return RB_ROLE_INPUT;
    if (id <= RB_CT) return RB_ROLE_OUTPUT;
    if (id <= RB_DCT) return RB_ROLE_DOUT;
    return RB_ROLE_GRAD;
}

int rb_tensor_exists(rb_cell c, rb_tensor_id id)
{
    if (id == RB_C0 || id == RB_CT || id == RB_DCT || id == RB_DC0)
        return c == RB_LSTM;
    return (unsigned)id < RB_NTENSORS;
}

int rb_tensor_dims(const rb_shape *s, rb_tensor_id id, size_t dims[3])
{
    if (!rb_tensor_exists(s->cell, id)) return 0;
    const size_t T = (size_t)s->T, N = (size_t)s->N, I = (size_t)s->I,
                 H = (size_t)s->H, GH = (size_t)rb_cell_gates(s->cell) * H;
    switch (id) {
    case RB_X: case RB_DX:
        dims[0] = T; dims[1] = N; dims[2] = I; return 3;
    case RB_Y: case RB_DY:
        dims[0] = T; dims[1] = N; dims[2] = H; return 3;
    case RB_W_IH: case RB_DW_IH:
        dims[0] = GH; dims[1] = I; return 2;
    case RB_W_HH: case RB_DW_HH:
        dims[0] = GH; dims[1] = H; return 2;
    case RB_B_IH: case RB_B_HH: case RB_DB_IH: case RB_DB_HH:
        dims[0] = GH; return 1;
    default: /* h0 c0 hT cT dhT dcT dh0 dc0 */
        dims[0] = N; dims[1] = H; return 2;
    }
}

size_t rb_tensor_numel(const rb_shape *s, rb_tensor_id id)
{
    size_t d[3];
    int nd = rb_tensor_dims(s, id, d);
    if (nd == 0) return 0;
    size_t n = 1;
    for (int i = 0; i < nd; i++) n *= d[i];
    return n;
}

double rb_flops_forward(const rb_shape *s)
{
    return 2.0 * rb_cell_gates(s->cell) * s->H * ((double)s->I + s->H) *
           (double)s->N * s->T;
}

double rb_flops_deepbench(const rb_shape *s)
{
    return 2.0 * rb_cell_gates(s->cell) * (double)s->H * s->H * s->N * s->T;
}
