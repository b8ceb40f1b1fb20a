/*
 * network.h: stacked layers, direction modes and variable lengths
 * (EQUATIONS.md "Networks") built from a variant's one-layer functions.
 *
 * A variant that runs networks this way writes only one layer in one
 * direction, forward in time (its "layer ops", the ordinary rb_variant_ops
 * on a one-layer problem), and defines its registry ops with
 * RB_DEFINE_NET_VARIANT_OPS. The driver here then:
 *   - runs every (layer l, direction d) in turn, each with its own plan;
 *   - runs the reverse direction as the same layer on the sequences read
 *     backwards (each from its own last real step), and puts its outputs
 *     back where they belong;
 *   - concatenates or sums the two directions and feeds the next layer;
 *   - keeps, in the training workspace, what each layer's backward needs
 *     (its own y, its input), and reuses the inter-layer buffers of
 *     inference;
 *   - for variable lengths, sorts the batch by length once (longest
 *     first, as pack_padded_sequence(enforce_sorted=False)) and hands the
 *     layers packed sequences (rb_pack below): no work on padding.
 *   - for bi_concat and bi_sum, may run a layer's two directions at once,
 *     each on half of the team (network.c, "Concurrent directions": the
 *     rule, and RNNBENCH_BIDIR=serial|concurrent|auto to choose).
 * A one-layer l2r problem at full length goes straight to the layer ops,
 * with no copy.
 */
#ifndef RB_NETWORK_H
#define RB_NETWORK_H

#include "variant.h"

/* Packed sequences, PyTorch's PackedSequence: the batch sorted by length
 * (longest first, ties in batch order), steps stacked. At step t the rows
 * 0 .. batch[t]-1 of the sorted batch are active (batch is non-increasing)
 * and occupy packed rows off[t] .. off[t]+batch[t]-1.
 *
 * A layer given a pack (rb_problem.pack) reads and writes x, y, dy and dx
 * as packed rows [off[T]][width], and h0 c0 hT cT dhT dcT dh0 dc0 as
 * [N][H] in sorted order. Row k's final state (hT, cT) is its state after
 * step len_k - 1, and its dhT/dcT enter at that step; the layer must do
 * no work for rows that are not active. */
struct rb_pack {
    int T, N;
    const int *order;  /* [N] sorted row k is batch row order[k] */
    const int *len;    /* [N] length of sorted row k            */
    const int *batch;  /* [T] active rows at step t              */
    const size_t *off; /* [T+1] first packed row of step t; off[T] = Σ len */
};

/* The ops of a network variant over layer ops `layer` (see above); `self`
 * is the network variant's own registry ops (rb_ops_<name>), whose
 * registry line says whether the layers use a team (rb_parallel_kind). */
void *rb_net_plan_create(const rb_variant_ops *self, const rb_variant_ops *layer, const rb_problem *p,
                         char *err, size_t n);
void rb_net_plan_destroy(void *plan);
size_t rb_net_workspace_bytes(const rb_variant_ops *layer, const rb_problem *p);
void rb_net_set_params(void *plan, const rb_tensors *t);
void rb_net_forward(void *plan, rb_tensors *t, void *ws);
void rb_net_backward(void *plan, rb_tensors *t, const void *ws);
void rb_net_describe(const void *plan, char *buf, size_t n);

/* `const rb_variant_ops rb_ops_<name>`: networks of the layer ops
 * `layer_ops` (an rb_variant_ops visible here). */
#define RB_DEFINE_NET_VARIANT_OPS(name, layer_ops)                                          \
    extern const rb_variant_ops rb_ops_##name;                                              \
    static void *name##_net_plan_create(const rb_problem *p, char *err, size_t n)          \
    {                                                                                       \
        return rb_net_plan_create(&rb_ops_##name, &(layer_ops), p, err, n);                 \
    }                                                                                       \
    static size_t name##_net_workspace_bytes(const rb_problem *p)                           \
    {                                                                                       \
        return rb_net_workspace_bytes(&(layer_ops), p);                                     \
    }                                                                                       \
    const rb_variant_ops rb_ops_##name = {                                                  \
        .unavailable = NULL,                                                                \
        .plan_create = name##_net_plan_create,                                              \
        .plan_destroy = rb_net_plan_destroy,                                                \
        .workspace_bytes = name##_net_workspace_bytes,                                      \
        .set_params = rb_net_set_params,                                                    \
        .forward = rb_net_forward,                                                          \
        .backward = rb_net_backward,                                                        \
        .describe = rb_net_describe,                                                        \
    }

#endif
