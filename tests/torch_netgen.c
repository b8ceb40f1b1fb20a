/*
 * torch_netgen.c: writes one network run of the float reference (the
 * `naive` variant's code, rb_ref_f32_*) as .npy files, named as
 * EQUATIONS.md "Networks" names them (weight_ih_l1_reverse, h0 [L·D][N][H],
 * lengths.npy int64), for scripts/torch-compare.py. A stand-in for
 * `rnnbench run --layers L --dir M --lengths LIST --pass train --save DIR`
 * on builds whose `run` does not take networks yet
 * (scripts/torch-compare.sh picks whichever is there).
 *
 *   torch_netgen DIR CELL L MODE LENGTHS T N I H SEED
 *
 * LENGTHS is N comma-separated lengths in [1, T], or "full". Inputs and
 * parameters come from rb_tset_init(seed) as `run` draws them; dy, dhT and
 * dcT too, so every gradient is that of L = Σ dy∘y + Σ dhT∘hT + Σ dcT∘cT.
 * Exit 0, or 2 with one line on stderr.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../harness/npy.h"
#include "../harness/tensors.h"
#include "../kernels/reference/ref.h"

static void die(const char *what)
{
    fprintf(stderr, "torch_netgen: %s\n", what);
    exit(2);
}

static int to_int(const char *s, int lo, int hi, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) die(what);
    return (int)v;
}

/* lengths.npy: little-endian int64 [N], .npy version 1.0. */
static int write_lengths(const char *path, const int *len, int N)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    char hdr[128];
    int n = snprintf(hdr, sizeof hdr, "{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }", N);
    const int total = (10 + n + 1 + 63) / 64 * 64; /* magic, version, length, dict, '\n' */
    memset(hdr + n, ' ', (size_t)(total - 10 - n - 1));
    hdr[total - 10 - 1] = '\n';
    const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)((total - 10) & 0xff),
                                   (unsigned char)((total - 10) >> 8)};
    fwrite(pre, 1, 10, f);
    fwrite(hdr, 1, (size_t)(total - 10), f);
    for (int i = 0; i < N; i++) {
        int64_t v = len[i];
        unsigned char b[8];
        for (int k = 0; k < 8; k++) b[k] = (unsigned char)((uint64_t)v >> (8 * k));
        fwrite(b, 1, 8, f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 11) die("usage: torch_netgen DIR CELL L MODE LENGTHS T N I H SEED");
    const char *dir = argv[1];
    rb_shape s = {0};
    if (rb_cell_parse(argv[2], &s.cell) != 0) die("unknown cell");
    s.layers = to_int(argv[3], 1, 16, "L must be in [1, 16]");
    if (rb_dir_parse(argv[4], &s.dir) != 0) die("unknown direction mode (l2r r2l bi_concat bi_sum)");
    s.T = to_int(argv[6], 1, 4096, "T must be in [1, 4096]");
    s.N = to_int(argv[7], 1, 4096, "N must be in [1, 4096]");
    s.I = to_int(argv[8], 1, 4096, "I must be in [1, 4096]");
    s.H = to_int(argv[9], 1, 4096, "H must be in [1, 4096]");
    const uint64_t seed = (uint64_t)to_int(argv[10], 0, 1 << 30, "SEED must be in [0, 2^30]");
    int *len = malloc(sizeof(int) * (size_t)s.N);
    if (!len) die("out of memory");
    if (strcmp(argv[5], "full") == 0) {
        for (int n = 0; n < s.N; n++) len[n] = s.T;
    } else {
        char *copy = strdup(argv[5]), *save = NULL, *tok = strtok_r(copy, ",", &save);
        int n = 0;
        for (; tok && n < s.N; tok = strtok_r(NULL, ",", &save)) len[n++] = to_int(tok, 1, s.T, "a length is not in [1, T]");
        if (n != s.N || tok) die("LENGTHS must have N entries");
        free(copy);
        s.lengths = len;
    }

    char err[512];
    rb_tset ts;
    if (rb_tset_alloc(&ts, &s, err, sizeof err) != 0) die(err);
    rb_tset_init(&ts, seed);
    float *ws = malloc(sizeof(float) * (rb_ref_f32_workspace_elems(&s) + 1));
    if (!ws || rb_ref_f32_forward(&s, &ts.t, ws) != 0 || rb_ref_f32_backward(&s, &ts.t, ws) != 0)
        die("out of memory in the reference");

    if (mkdir(dir, 0777) != 0) {
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) die("cannot create DIR");
    }
    char path[4096], name[128];
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (!ts.t.t[id]) continue;
        size_t d[3];
        if (rb_tensor_is_param((rb_tensor_id)id)) {
            for (int l = 0; l < rb_shape_layers(&s); l++)
                for (int dd = 0; dd < rb_shape_dirs(&s); dd++) {
                    const int nd = rb_param_dims(&s, (rb_tensor_id)id, l, dd, d);
                    if (rb_param_name(&s, (rb_tensor_id)id, l, dd, name, sizeof name) != 0) die("name too long");
                    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
                    if (rb_npy_write(path, ts.t.t[id] + rb_param_offset(&s, (rb_tensor_id)id, l, dd), nd, d, err,
                                     sizeof err) != 0)
                        die(err);
                }
        } else {
            const int nd = rb_tensor_dims(&s, (rb_tensor_id)id, d);
            snprintf(path, sizeof path, "%s/%s.npy", dir, rb_tensor_name((rb_tensor_id)id));
            if (rb_npy_write(path, ts.t.t[id], nd, d, err, sizeof err) != 0) die(err);
        }
    }
    if (s.lengths) {
        snprintf(path, sizeof path, "%s/lengths.npy", dir);
        if (write_lengths(path, len, s.N) != 0) die("cannot write lengths.npy");
    }
    rb_tset_free(&ts);
    free(ws);
    free(len);
    return 0;
}
