/* edge_shapes.c: see edge_shapes.h. The first sixteen rows are the list
 * `rnnbench check` always had, in its order (its seeds follow the row). */
#include "edge_shapes.h"

const rb_edge_shape rb_edge_shapes[] = {
    {1, 1, 1, 1, 1, "everything 1"},
    {3, 2, 5, 7, 1, "small odd sizes"},
    {2, 1, 3, 4, 0, "N = 1; H = W of NEON"},
    {2, 3, 4, 5, 1, "I = W, H = W+1 of NEON"},
    {2, 2, 11, 11, 1, "2W+3 of NEON; NEON NR-1"},
    {2, 1, 7, 8, 0, "W-1, W of AVX2"},
    {2, 3, 8, 9, 0, "W, W+1 of AVX2"},
    {2, 2, 9, 19, 0, "W+1, 2W+3 of AVX2"},
    {2, 4, 15, 16, 0, "W-1, W of AVX-512; AVX2 NR"},
    {1, 3, 16, 17, 0, "T = 1; W, W+1 of AVX-512"},
    {2, 5, 17, 15, 1, "W+1, W-1 of AVX-512; N = AVX MR-1"},
    {2, 2, 31, 32, 0, "W-1, W of 32"},
    {1, 2, 33, 35, 0, "W+1 of 32, 2W+3 of AVX-512"},
    {2, 7, 35, 33, 0, "2W+3 of AVX-512, W+1 of 32"},
    {3, 16, 20, 24, 0, "larger batch"},
    {20, 4, 13, 24, 1, "a longer sequence"},
    {2, 6, 64, 63, 0, "H = AVX-512 NR-1; N = AVX MR"},
    {2, 7, 65, 64, 0, "H = AVX-512 NR, I = NR+1; N = AVX MR+1, NEON MR-1"},
    {3, 8, 63, 65, 1, "H = AVX-512 NR+1, I = NR-1; N = NEON MR"},
    {2, 9, 13, 12, 0, "H = NEON NR, I = NR+1; N = NEON MR+1"},
    {2, 2, 530, 9, 1, "I > KC: input projection, dx and dweight_ih in two K blocks"},
    {2, 3, 300, 260, 0, "I + H > KC; lstm and gru G*H > KC in the backward dh product"},
    {130, 4, 3, 5, 0, "T*N = 520 > KC in the weight gradients; three forward chunks"},
    {3, 6, 5, 13, 1, "N = 6, H = 13: 4, 5, 7, 8 threads (omp_grid) divide neither"},
};

const int rb_edge_shape_count = (int)(sizeof rb_edge_shapes / sizeof rb_edge_shapes[0]);
