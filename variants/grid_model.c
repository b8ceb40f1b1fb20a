/* grid_model.c: the cost model of the *_omp_grid variants (grid_model.h). */
#include "grid_model.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void rb_grid_machine_default(rb_grid_machine *m, double flops_per_cycle)
{
    const double hz = 3.0e9;
    m->peak_flops = flops_per_cycle * hz;
    m->l2_bytes = 1 << 20;
#ifdef _SC_LEVEL2_CACHE_SIZE
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 > 0) m->l2_bytes = (double)l2;
#endif
    m->bw_l2 = 32.0 * hz;   /* 32 B/cycle: half a line per cycle, sustained */
    m->bw_far = 8.0e9;      /* a core's share of L3/DRAM on a full node     */
    m->barrier_s = 0.2e-6;
    m->barrier_per_thread_s = 0.05e-6;
    m->max_copies_bytes = 1024.0 * 1024 * 1024;
}

static long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

double rb_grid_step_cost(const rb_shape *s, int B, int S, int mr, int q, const rb_grid_machine *m)
{
    const double G = rb_cell_gates(s->cell), H = s->H, I = s->I;
    const long long r = ceil_div(s->N, B);                  /* rows of the busiest group  */
    const long long u = ceil_div(ceil_div(s->H, q), S) * q; /* units of the widest slice */
    const double uu = u < s->H ? (double)u : H;
    const double rows = (double)(ceil_div(r, mr) * mr);
    const double compute = 2.0 * G * uu * (H + I) * rows / m->peak_flops;

    const double slice_u = 4.0 * G * uu * H, slice_w = 4.0 * G * uu * I;
    const double chunk_steps = s->N >= 256 ? 1.0 : 256.0 / s->N; /* plan.inc's forward chunk */
    const double streamed = slice_u + (B > 1 ? slice_w : slice_w / chunk_steps);
    const double bw = slice_u + slice_w <= m->l2_bytes ? m->bw_l2 : m->bw_far;
    const double weights = streamed / bw;

    const double per_step = s->cell == RB_GRU ? 2.0 : 1.0;
    const double barrier = S > 1 ? per_step * (m->barrier_s + m->barrier_per_thread_s * S) : 0.0;
    return compute + weights + barrier;
}

void rb_grid_choose(const rb_shape *s, int threads, int mr, int q, const rb_grid_machine *m, int *B,
                    int *S)
{
    const double G = rb_cell_gates(s->cell);
    const double weights = 4.0 * G * s->H * ((double)s->H + s->I);
    double best = 0;
    *B = 1;
    *S = threads;
    for (int b = 1; b <= threads; b++) {
        if (threads % b) continue;
        if (b > 1 && b * weights > m->max_copies_bytes) continue;
        const int sl = threads / b;
        const double c = rb_grid_step_cost(s, b, sl, mr, q, m);
        /* b grows, so sl shrinks: on a tie the later (fewer slices) wins. */
        if (b == 1 || c <= best) {
            best = c;
            *B = b;
            *S = sl;
        }
    }
}

static int parse_pos(const char *a, const char *end, int *out)
{
    if (a == end || end - a > 6) return -1;
    long v = 0;
    for (const char *c = a; c < end; c++) {
        if (!isdigit((unsigned char)*c)) return -1;
        v = v * 10 + (*c - '0');
    }
    if (v < 1) return -1;
    *out = (int)v;
    return 0;
}

int rb_grid_parse(const char *text, int *B, int *S)
{
    if (!text) return -1;
    const char *x = text;
    while (*x && *x != 'x') x++;
    if (*x != 'x') return -1;
    const char *end = x + 1;
    while (*end) end++;
    int b, sl;
    if (parse_pos(text, x, &b) != 0 || parse_pos(x + 1, end, &sl) != 0) return -1;
    *B = b;
    *S = sl;
    return 0;
}
