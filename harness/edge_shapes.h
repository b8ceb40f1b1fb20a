/*
 * edge_shapes.h: the shapes every variant is checked on, one list for
 * `rnnbench check` and tests/test_agree.c.
 *
 * The edges of every tile the variants cut their work into:
 *   vector tiles   H and I of 1, W-1, W, W+1, 2W+3 for W = 4 (NEON),
 *                  8 (AVX2), 16 (AVX-512) and 32; N = 1; T = 1
 *   GEMM registers the column tile NR (64 AVX-512, 16 AVX2, 12 NEON) on H
 *                  and I at NR-1, NR, NR+1; the row tile MR (6 AVX2 and
 *                  AVX-512, 8 NEON) on the batch N at MR-1, MR, MR+1
 *   GEMM K blocks  reductions deeper than KC = 512 (kernels/gemm): I, G*H
 *                  and the T*N rows of the weight gradients (H > KC alone
 *                  is left out: at H = 515 the shape cost more than all
 *                  the others together)
 *   time chunks    more than one forward chunk of steps (variants/fast)
 *   networks       stacked layers (L = 2, 3), every direction mode,
 *                  variable lengths that include 1 and T (sorted, packed
 *                  and reversed by variants/network.c), on odd sizes; one
 *                  variable-length row long enough for several forward
 *                  and backward chunks of packed rows
 * Each row says which edge it is there for. A variant whose features lack
 * a row's network (rb_variant_why_not) skips that row, with the reason.
 */
#ifndef RB_EDGE_SHAPES_H
#define RB_EDGE_SHAPES_H

#include "../kernels/rnn.h"

typedef struct {
    int T, N, I, H;
    int quick;          /* also in `rnnbench check --quick` (run under qemu) */
    const char *edge;   /* what it tests */
    int layers;         /* L (0 reads as 1)                  */
    rb_dir dir;         /* direction mode (0: l2r)           */
    const int *lengths; /* [N] sequence lengths, NULL: all T */
} rb_edge_shape;

extern const rb_edge_shape rb_edge_shapes[];
extern const int rb_edge_shape_count;

/* The shape of row e for cell c. */
rb_shape rb_edge_shape_of(const rb_edge_shape *e, rb_cell c);

#endif
