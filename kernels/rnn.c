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

static const char *const dir_names[RB_NDIRS] = {
    [RB_DIR_L2R] = "l2r", [RB_DIR_R2L] = "r2l",
    [RB_DIR_BI_CONCAT] = "bi_concat", [RB_DIR_BI_SUM] = "bi_sum",
};

const char *rb_dir_name(rb_dir d) { return (unsigned)d < RB_NDIRS ? dir_names[d] : "?"; }

int rb_dir_parse(const char *name, rb_dir *out)
{
    for (int d = 0; d < RB_NDIRS; d++)
        if (strcmp(name, dir_names[d]) == 0) {
            *out = (rb_dir)d;
            return 0;
        }
    return -1;
}

int rb_dir_count(rb_dir d) { return d == RB_DIR_BI_CONCAT || d == RB_DIR_BI_SUM ? 2 : 1; }

int rb_shape_layers(const rb_shape *s) { return s->layers > 1 ? s->layers : 1; }
int rb_shape_dirs(const rb_shape *s) { return rb_dir_count(s->dir); }
int rb_shape_is_net(const rb_shape *s) { return rb_shape_layers(s) > 1 || s->dir != RB_DIR_L2R; }

int rb_shape_has_varlen(const rb_shape *s)
{
    if (!s->lengths) return 0;
    for (int n = 0; n < s->N; n++)
        if (s->lengths[n] != s->T) return 1;
    return 0;
}

int rb_layer_input(const rb_shape *s, int l) { return l == 0 ? s->I : rb_out_width(s); }
int rb_out_width(const rb_shape *s) { return s->dir == RB_DIR_BI_CONCAT ? 2 * s->H : s->H; }
int rb_seq_len(const rb_shape *s, int n) { return s->lengths ? s->lengths[n] : s->T; }

long long rb_tokens(const rb_shape *s)
{
    long long sum = 0;
    for (int n = 0; n < s->N; n++) sum += rb_seq_len(s, n);
    return sum;
}

rb_shape rb_layer_shape(const rb_shape *s, int l)
{
    return (rb_shape){.cell = s->cell, .T = s->T, .N = s->N, .I = rb_layer_input(s, l), .H = s->H};
}

int rb_tensor_is_param(rb_tensor_id id)
{
    switch (id) {
    case RB_W_IH: case RB_W_HH: case RB_B_IH: case RB_B_HH:
    case RB_DW_IH: case RB_DW_HH: case RB_DB_IH: case RB_DB_HH: return 1;
    default: return 0;
    }
}

/* Elements of one (layer, direction) block of a parameter tensor. */
static size_t param_block_numel(const rb_shape *s, rb_tensor_id id, int l)
{
    const size_t GH = (size_t)rb_cell_gates(s->cell) * (size_t)s->H;
    switch (tensors[id].dims) {
    case RB_DIMS_GHI: return GH * (size_t)rb_layer_input(s, l);
    case RB_DIMS_GHH: return GH * (size_t)s->H;
    case RB_DIMS_GH: return GH;
    default: RB_UNREACHABLE();
    }
}

size_t rb_param_offset(const rb_shape *s, rb_tensor_id id, int l, int d)
{
    const int D = rb_shape_dirs(s);
    size_t off = 0;
    for (int k = 0; k < l; k++) off += (size_t)D * param_block_numel(s, id, k);
    return off + (size_t)d * param_block_numel(s, id, l);
}

int rb_param_dims(const rb_shape *s, rb_tensor_id id, int l, int d, size_t dims[3])
{
    (void)d;
    const rb_shape ls = rb_layer_shape(s, l);
    return rb_tensor_dims(&ls, id, dims);
}

int rb_param_name(const rb_shape *s, rb_tensor_id id, int l, int d, char *buf, size_t n)
{
    int w;
    if (!rb_shape_is_net(s))
        w = snprintf(buf, n, "%s", tensors[id].name);
    else
        w = snprintf(buf, n, "%s_l%d%s", tensors[id].name, l, d == 1 ? "_reverse" : "");
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

int rb_tensor_dims(const rb_shape *s, rb_tensor_id id, size_t dims[3])
{
    if (!rb_tensor_exists(s->cell, id)) return 0;
    const size_t T = (size_t)s->T, N = (size_t)s->N, I = (size_t)s->I,
                 H = (size_t)s->H, GH = (size_t)rb_cell_gates(s->cell) * H;
    const int net = rb_shape_is_net(s);
    const size_t LD = (size_t)rb_shape_layers(s) * (size_t)rb_shape_dirs(s);
    if (net && rb_tensor_is_param(id)) {
        /* one flat buffer of every (layer, direction) block */
        const int L = rb_shape_layers(s);
        dims[0] = rb_param_offset(s, id, L - 1, rb_shape_dirs(s) - 1) +
                  param_block_numel(s, id, L - 1);
        return 1;
    }
    switch (tensors[id].dims) {
    case RB_DIMS_TNI: dims[0] = T; dims[1] = N; dims[2] = I; return 3;
    case RB_DIMS_TNH: dims[0] = T; dims[1] = N; dims[2] = (size_t)rb_out_width(s); return 3;
    case RB_DIMS_NH:
        if (net) { dims[0] = LD; dims[1] = N; dims[2] = H; return 3; }
        dims[0] = N; dims[1] = H; return 2;
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
    const int L = rb_shape_layers(s), D = rb_shape_dirs(s);
    double per_token = 0;
    for (int l = 0; l < L; l++)
        per_token += 2.0 * D * rb_cell_gates(s->cell) * s->H * ((double)rb_layer_input(s, l) + s->H);
    return per_token * (double)rb_tokens(s);
}

double rb_flops_deepbench(const rb_shape *s)
{
    return 2.0 * rb_shape_layers(s) * rb_shape_dirs(s) * rb_cell_gates(s->cell) * (double)s->H *
           s->H * (double)rb_tokens(s);
}
