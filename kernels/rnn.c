/* rnn.c: the cell and tensor tables, shapes and FLOP counts (see rnn.h). */
#include "rnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per cell, placed by designated indices. */
static const rb_cell_info cells[RB_NCELLS] = {
    [RB_RNN_TANH] = {"rnn_tanh", RB_FAMILY_ELMAN, RB_ACT_TANH, 1, 0, 1},
    [RB_RNN_RELU] = {"rnn_relu", RB_FAMILY_ELMAN, RB_ACT_RELU, 1, 0, 1},
    [RB_LSTM] = {"lstm", RB_FAMILY_LSTM, RB_ACT_NONE, 4, 1, 4 + 1},
    [RB_GRU] = {"gru", RB_FAMILY_GRU, RB_ACT_NONE, 3, 0, 3},
    [RB_GRU_LBR] = {"gru_lbr", RB_FAMILY_GRU_LBR, RB_ACT_NONE, 3, 0, 3 + 1},
    [RB_RNN_SIGMOID] = {"rnn_sigmoid", RB_FAMILY_ELMAN, RB_ACT_SIGMOID, 1, 0, 1},
    [RB_RNN_LEAKY] = {"rnn_leaky", RB_FAMILY_ELMAN, RB_ACT_LEAKY_RELU, 1, 0, 1},
};

const rb_cell_info *rb_cell_info_of(rb_cell c)
{
    return (unsigned)c < RB_NCELLS ? &cells[c] : NULL;
}

const char *rb_cell_name(rb_cell c)
{
    return (unsigned)c < RB_NCELLS ? cells[c].name : "?";
}

int rb_cell_parse(const char *name, rb_cell *out)
{
    for (int c = 0; c < RB_NCELLS; c++)
        if (strcmp(name, cells[c].name) == 0) {
            *out = (rb_cell)c;
            return 0;
        }
    return -1;
}

int rb_cell_gates(rb_cell c) { return (unsigned)c < RB_NCELLS ? cells[c].gates : 0; }
int rb_cell_has_c(rb_cell c) { return (unsigned)c < RB_NCELLS && cells[c].has_c; }

rb_cell_family rb_cell_family_of(rb_cell c)
{
    if ((unsigned)c >= RB_NCELLS) RB_UNREACHABLE();
    return cells[c].family;
}

rb_act rb_cell_act(rb_cell c) { return (unsigned)c < RB_NCELLS ? cells[c].act : RB_ACT_NONE; }

void rb_unreachable(const char *file, int line)
{
    fprintf(stderr, "rnnbench: internal error at %s:%d: a cell or activation this code does not know\n",
            file, line);
    abort();
}

/* Streams 1..7 and 11..13 are the values the ids had when streams were
 * id + 1: saved inputs and tests keep their values. */
static const rb_tensor_info tensors[RB_NTENSORS] = {
    [RB_X] = {"x", RB_ROLE_INPUT, RB_DIMS_TNI, 0, 1},
    [RB_H0] = {"h0", RB_ROLE_INPUT, RB_DIMS_NH, 0, 2},
    [RB_C0] = {"c0", RB_ROLE_INPUT, RB_DIMS_NH, 1, 3},
    [RB_W_IH] = {"weight_ih", RB_ROLE_INPUT, RB_DIMS_GHI, 0, 4},
    [RB_W_HH] = {"weight_hh", RB_ROLE_INPUT, RB_DIMS_GHH, 0, 5},
    [RB_B_IH] = {"bias_ih", RB_ROLE_INPUT, RB_DIMS_GH, 0, 6},
    [RB_B_HH] = {"bias_hh", RB_ROLE_INPUT, RB_DIMS_GH, 0, 7},
    [RB_Y] = {"y", RB_ROLE_OUTPUT, RB_DIMS_TNH, 0, 0},
    [RB_HT] = {"hT", RB_ROLE_OUTPUT, RB_DIMS_NH, 0, 0},
    [RB_CT] = {"cT", RB_ROLE_OUTPUT, RB_DIMS_NH, 1, 0},
    [RB_DY] = {"dy", RB_ROLE_DOUT, RB_DIMS_TNH, 0, 11},
    [RB_DHT] = {"dhT", RB_ROLE_DOUT, RB_DIMS_NH, 0, 12},
    [RB_DCT] = {"dcT", RB_ROLE_DOUT, RB_DIMS_NH, 1, 13},
    [RB_DX] = {"dx", RB_ROLE_GRAD, RB_DIMS_TNI, 0, 0},
    [RB_DH0] = {"dh0", RB_ROLE_GRAD, RB_DIMS_NH, 0, 0},
    [RB_DC0] = {"dc0", RB_ROLE_GRAD, RB_DIMS_NH, 1, 0},
    [RB_DW_IH] = {"dweight_ih", RB_ROLE_GRAD, RB_DIMS_GHI, 0, 0},
    [RB_DW_HH] = {"dweight_hh", RB_ROLE_GRAD, RB_DIMS_GHH, 0, 0},
    [RB_DB_IH] = {"dbias_ih", RB_ROLE_GRAD, RB_DIMS_GH, 0, 0},
    [RB_DB_HH] = {"dbias_hh", RB_ROLE_GRAD, RB_DIMS_GH, 0, 0},
};

const rb_tensor_info *rb_tensor_info_of(rb_tensor_id id)
{
    return (unsigned)id < RB_NTENSORS ? &tensors[id] : NULL;
}

const char *rb_tensor_name(rb_tensor_id id)
{
    return (unsigned)id < RB_NTENSORS ? tensors[id].name : "?";
}

int rb_tensor_parse(const char *name, rb_tensor_id *out)
{
    for (int i = 0; i < RB_NTENSORS; i++)
        if (strcmp(name, tensors[i].name) == 0) {
            *out = (rb_tensor_id)i;
            return 0;
        }
    return -1;
}

rb_tensor_role rb_tensor_role_of(rb_tensor_id id)
{
    if ((unsigned)id >= RB_NTENSORS) RB_UNREACHABLE();
    return tensors[id].role;
}

int rb_tensor_exists(rb_cell c, rb_tensor_id id)
{
    if ((unsigned)id >= RB_NTENSORS || (unsigned)c >= RB_NCELLS) return 0;
    return !tensors[id].c_state || cells[c].has_c;
}

int rb_tensor_dims(const rb_shape *s, rb_tensor_id id, size_t dims[3])
{
    if (!rb_tensor_exists(s->cell, id)) return 0;
    const size_t T = (size_t)s->T, N = (size_t)s->N, I = (size_t)s->I,
                 H = (size_t)s->H, GH = (size_t)rb_cell_gates(s->cell) * H;
    switch (tensors[id].dims) {
    case RB_DIMS_TNI: dims[0] = T; dims[1] = N; dims[2] = I; return 3;
    case RB_DIMS_TNH: dims[0] = T; dims[1] = N; dims[2] = H; return 3;
    case RB_DIMS_NH: dims[0] = N; dims[1] = H; return 2;
    case RB_DIMS_GHI: dims[0] = GH; dims[1] = I; return 2;
    case RB_DIMS_GHH: dims[0] = GH; dims[1] = H; return 2;
    case RB_DIMS_GH: dims[0] = GH; return 1;
    default: RB_UNREACHABLE();
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
