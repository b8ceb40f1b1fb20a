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
 * Each row says which edge it is there for.
 */
#ifndef RB_EDGE_SHAPES_H
#define RB_EDGE_SHAPES_H

typedef struct {
    int T, N, I, H;
    int quick;        /* also in `rnnbench check --quick` (run under qemu) */
    const char *edge; /* what it tests */
} rb_edge_shape;

extern const rb_edge_shape rb_edge_shapes[];
extern const int rb_edge_shape_count;

#endif
