/* edge_shapes.c: see edge_shapes.h. The first sixteen rows are the list
 * `rnnbench check` always had, in its order (its seeds follow the row). */
#include "edge_shapes.h"

/* A one-layer, full-length row. */
#define LAYER(T_, N_, I_, H_, quick_, edge_) {.T = T_, .N = N_, .I = I_, .H = H_, .quick = quick_, .edge = edge_}

/* Lengths of the network rows: unsorted, with ties, 1 and T (T = 7). */
static const int len_a[5] = {7, 1, 4, 7, 3};
static const int len_b[5] = {2, 7, 7, 5, 1};
static const int len_c[5] = {3, 6, 1, 7, 7};
/* T = 130, N = 40: 1 and T, the rest spread over [1, T]. */
static const int len_long[40] = {130, 1,  97, 12, 130, 64, 33, 5,   88, 120, 2,  71, 46, 19, 109, 58, 130, 7,  93, 26,
                                 41,  80, 3,  115, 67, 10, 52, 124, 29, 1,   76, 38, 101, 15, 60, 84, 9,  127, 22, 49};

const rb_edge_shape rb_edge_shapes[] = {
    LAYER(1, 1, 1, 1, 1, "everything 1"),
    LAYER(3, 2, 5, 7, 1, "small odd sizes"),
    LAYER(2, 1, 3, 4, 0, "N = 1; H = W of NEON"),
    LAYER(2, 3, 4, 5, 1, "I = W, H = W+1 of NEON"),
    LAYER(2, 2, 11, 11, 1, "2W+3 of NEON; NEON NR-1"),
    LAYER(2, 1, 7, 8, 0, "W-1, W of AVX2"),
    LAYER(2, 3, 8, 9, 0, "W, W+1 of AVX2"),
    LAYER(2, 2, 9, 19, 0, "W+1, 2W+3 of AVX2"),
    LAYER(2, 4, 15, 16, 0, "W-1, W of AVX-512; AVX2 NR"),
    LAYER(1, 3, 16, 17, 0, "T = 1; W, W+1 of AVX-512"),
    LAYER(2, 5, 17, 15, 1, "W+1, W-1 of AVX-512; N = AVX MR-1"),
    LAYER(2, 2, 31, 32, 0, "W-1, W of 32"),
    LAYER(1, 2, 33, 35, 0, "W+1 of 32, 2W+3 of AVX-512"),
    LAYER(2, 7, 35, 33, 0, "2W+3 of AVX-512, W+1 of 32"),
    LAYER(3, 16, 20, 24, 0, "larger batch"),
    LAYER(20, 4, 13, 24, 1, "a longer sequence"),
    LAYER(2, 6, 64, 63, 0, "H = AVX-512 NR-1; N = AVX MR"),
    LAYER(2, 7, 65, 64, 0, "H = AVX-512 NR, I = NR+1; N = AVX MR+1, NEON MR-1"),
    LAYER(3, 8, 63, 65, 1, "H = AVX-512 NR+1, I = NR-1; N = NEON MR"),
    LAYER(2, 9, 13, 12, 0, "H = NEON NR, I = NR+1; N = NEON MR+1"),
    LAYER(2, 2, 530, 9, 1, "I > KC: input projection, dx and dweight_ih in two K blocks"),
    LAYER(2, 3, 300, 260, 0, "I + H > KC; lstm and gru G*H > KC in the backward dh product"),
    LAYER(130, 4, 3, 5, 0, "T*N = 520 > KC in the weight gradients; three forward chunks"),
    LAYER(3, 6, 5, 13, 1, "N = 6, H = 13: 4, 5, 7, 8 threads (omp_grid) divide neither"),
    {.T = 7, .N = 5, .I = 13, .H = 11, .quick = 1, .layers = 2, .dir = RB_DIR_BI_CONCAT, .lengths = len_a,
     .edge = "network: L = 2 bi_concat (layer 1 reads 2H), lengths with 1 and T"},
    {.T = 7, .N = 5, .I = 13, .H = 11, .quick = 1, .layers = 2, .dir = RB_DIR_R2L, .lengths = len_b,
     .edge = "network: L = 2 r2l, lengths with 1 and T (each read from its own last step)"},
    {.T = 7, .N = 5, .I = 13, .H = 11, .quick = 1, .layers = 2, .dir = RB_DIR_BI_SUM,
     .edge = "network: L = 2 bi_sum, full length"},
    {.T = 7, .N = 5, .I = 13, .H = 11, .quick = 1, .layers = 3, .dir = RB_DIR_L2R,
     .edge = "network: L = 3 l2r, full length"},
    {.T = 7, .N = 5, .I = 13, .H = 11, .quick = 1, .layers = 1, .dir = RB_DIR_L2R, .lengths = len_c,
     .edge = "variable lengths, one l2r layer: 1 and T, ties, unsorted"},
    {.T = 130, .N = 40, .I = 3, .H = 5, .quick = 0, .layers = 1, .dir = RB_DIR_BI_CONCAT, .lengths = len_long,
     .edge = "network: bi_concat, lengths over T*N = 5200: many forward, two backward chunks of packed rows"},
};

const int rb_edge_shape_count = (int)(sizeof rb_edge_shapes / sizeof rb_edge_shapes[0]);

rb_shape rb_edge_shape_of(const rb_edge_shape *e, rb_cell c)
{
    return (rb_shape){.cell = c, .T = e->T, .N = e->N, .I = e->I, .H = e->H, .layers = e->layers,
                      .dir = e->dir, .lengths = e->lengths};
}
