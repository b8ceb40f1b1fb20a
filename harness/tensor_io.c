/* tensor_io.c: see tensor_io.h. */
#include "tensor_io.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lengths.h"
#include "npy.h"
#include "run.h" /* RB_MAX_DIM */

/* ---- which files a run has ---- */

static int per_block(const rb_shape *s, rb_tensor_id id) { return rb_shape_is_net(s) && rb_tensor_is_param(id); }

int rb_tensor_file_count(const rb_shape *s, rb_tensor_id id)
{
    if (!rb_tensor_exists(s->cell, id)) return 0;
    return per_block(s, id) ? rb_shape_layers(s) * rb_shape_dirs(s) : 1;
}

void rb_tensor_file_at(const rb_shape *s, rb_tensor_id id, int k, rb_tensor_file *f)
{
    f->id = id;
    if (per_block(s, id)) {
        const int D = rb_shape_dirs(s), l = k / D, d = k % D;
        f->offset = rb_param_offset(s, id, l, d);
        f->ndim = rb_param_dims(s, id, l, d, f->dims);
        if (rb_param_name(s, id, l, d, f->name, sizeof f->name) != 0) f->name[0] = '\0'; /* never: L < 10^40 */
    } else {
        f->offset = 0;
        f->ndim = rb_tensor_dims(s, id, f->dims);
        snprintf(f->name, sizeof f->name, "%s", rb_tensor_name(id));
    }
}

static size_t file_numel(const rb_tensor_file *f)
{
    size_t n = 1;
    for (int i = 0; i < f->ndim; i++) n *= f->dims[i];
    return n;
}

int rb_tensor_file_parse(const char *stem, rb_tensor_id *id, int *layer, int *reverse)
{
    for (int t = 0; t < RB_NTENSORS; t++) {
        const char *name = rb_tensor_name((rb_tensor_id)t);
        const size_t n = strlen(name);
        if (strncmp(stem, name, n) != 0) continue;
        const char *p = stem + n;
        if (*p == '\0') {
            *id = (rb_tensor_id)t;
            *layer = -1;
            *reverse = 0;
            return 0;
        }
        if (!rb_tensor_is_param((rb_tensor_id)t) || strncmp(p, "_l", 2) != 0) continue;
        p += 2;
        /* PyTorch writes l0, l12: digits without a leading zero */
        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) continue;
        long l = 0;
        for (; *p >= '0' && *p <= '9'; p++) l = l < 100000000 ? l * 10 + (*p - '0') : l;
        int rev;
        if (*p == '\0') rev = 0;
        else if (strcmp(p, "_reverse") == 0) rev = 1;
        else continue;
        *id = (rb_tensor_id)t;
        *layer = (int)l;
        *reverse = rev;
        return 0;
    }
    return -1;
}

/* "--layers 2 --dir bi_concat", for messages. */
static const char *net_text(const rb_shape *s, char *buf, size_t n)
{
    snprintf(buf, n, "--layers %d --dir %s", rb_shape_layers(s), rb_dir_name(s->dir));
    return buf;
}

/* ---- saving ---- */

static int saved(const rb_tset *ts, rb_tensor_id id, int with_grads)
{
    const rb_tensor_role role = rb_tensor_role_of(id);
    return ts->t.t[id] && (with_grads || (role != RB_ROLE_DOUT && role != RB_ROLE_GRAD));
}

/* Would this run's save write a file of this stem? */
static int written_by(const rb_tset *ts, int with_grads, const char *stem)
{
    if (strcmp(stem, "lengths") == 0) return ts->s.lengths != NULL;
    rb_tensor_id id;
    int layer, rev;
    if (rb_tensor_file_parse(stem, &id, &layer, &rev) != 0 || !saved(ts, id, with_grads)) return 0;
    if (layer < 0) return !per_block(&ts->s, id);
    return per_block(&ts->s, id) && layer < rb_shape_layers(&ts->s) && rev < rb_shape_dirs(&ts->s);
}

/* Is this directory entry a file a save owns (tensor files and
 * lengths.npy)? Its stem into stem. */
static int owned_stem(const char *entry, char *stem, size_t n)
{
    const size_t len = strlen(entry);
    if (len <= 4 || len - 4 >= n || strcmp(entry + len - 4, ".npy") != 0) return 0;
    memcpy(stem, entry, len - 4);
    stem[len - 4] = '\0';
    rb_tensor_id id;
    int layer, rev;
    return strcmp(stem, "lengths") == 0 || rb_tensor_file_parse(stem, &id, &layer, &rev) == 0;
}

/* The files of a save, in order: every file of every saved tensor, then
 * lengths (id RB_NTENSORS) when the run has lengths. */
typedef struct {
    rb_tensor_file *f;
    int n;
} file_list;

static int list_files(const rb_tset *ts, int with_grads, file_list *out, char *err, size_t errlen)
{
    int total = 1;
    for (int id = 0; id < RB_NTENSORS; id++)
        if (saved(ts, (rb_tensor_id)id, with_grads)) total += rb_tensor_file_count(&ts->s, (rb_tensor_id)id);
    out->f = malloc(sizeof *out->f * (size_t)total);
    out->n = 0;
    if (!out->f) {
        snprintf(err, errlen, "out of memory for a list of %d files", total);
        return -1;
    }
    for (int id = 0; id < RB_NTENSORS; id++) {
        if (!saved(ts, (rb_tensor_id)id, with_grads)) continue;
        for (int k = 0; k < rb_tensor_file_count(&ts->s, (rb_tensor_id)id); k++)
            rb_tensor_file_at(&ts->s, (rb_tensor_id)id, k, &out->f[out->n++]);
    }
    if (ts->s.lengths) {
        rb_tensor_file *f = &out->f[out->n++];
        snprintf(f->name, sizeof f->name, "lengths");
        f->id = RB_NTENSORS;
        f->offset = 0;
        f->ndim = 1;
        f->dims[0] = (size_t)ts->s.N;
    }
    return 0;
}

static int write_file(const char *path, const rb_tset *ts, const rb_tensor_file *f, char *err, size_t errlen)
{
    if (f->id != RB_NTENSORS) return rb_npy_write(path, ts->t.t[f->id] + f->offset, f->ndim, f->dims, err, errlen);
    int64_t *v = malloc(sizeof *v * (size_t)ts->s.N);
    if (!v) {
        snprintf(err, errlen, "out of memory for %d lengths", ts->s.N);
        return -1;
    }
    for (int n = 0; n < ts->s.N; n++) v[n] = ts->s.lengths[n];
    const int rc = rb_npy_write_i64(path, v, 1, f->dims, err, errlen);
    free(v);
    return rc;
}

/* Removes the files a save owns that this run did not write. */
static int remove_stale(const char *dir, const rb_tset *ts, int with_grads, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    char stem[256], path[4096];
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (!owned_stem(e->d_name, stem, sizeof stem) || written_by(ts, with_grads, stem)) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(err, errlen, "cannot remove the stale %s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int rb_save_tensors(const char *dir, const rb_tset *ts, int with_grads, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    file_list fl;
    if (list_files(ts, with_grads, &fl, err, errlen) != 0) return -1;
    char path[4096], tmp[4096];
    int wrote = 0, failed = 0;
    for (; wrote < fl.n; wrote++) {
        snprintf(tmp, sizeof tmp, "%s/.%s.npy.tmp", dir, fl.f[wrote].name);
        if (write_file(tmp, ts, &fl.f[wrote], err, errlen) != 0) {
            unlink(tmp);
            failed = 1;
            break;
        }
    }
    for (int i = 0; i < wrote; i++) {
        snprintf(tmp, sizeof tmp, "%s/.%s.npy.tmp", dir, fl.f[i].name);
        snprintf(path, sizeof path, "%s/%s.npy", dir, fl.f[i].name);
        if (failed) {
            unlink(tmp);
        } else if (rename(tmp, path) != 0) {
            snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
            free(fl.f);
            return -1;
        }
    }
    free(fl.f);
    if (failed) return -1;
    return remove_stale(dir, ts, with_grads, err, errlen);
}

/* ---- loading ---- */

/* Only a file that does not exist is absent. lstat, not stat: a dangling
 * symlink or a symlink loop is there, broken, and reading it must fail
 * loudly rather than quietly fall back to seeded values. */
static int is_absent(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 && errno == ENOENT;
}

/* 0 if path (which lstat found) can be followed; else -1 with the reason. */
static int not_broken(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0) return 0;
    snprintf(err, errlen, "%s is a broken symbolic link: %s", path, strerror(errno));
    return -1;
}

int rb_load_shape(const char *dir, rb_shape *s, const int given[4], char *err, size_t errlen)
{
    char path[4096], net[64];
    int nd;
    size_t d[RB_NPY_MAXDIM];
    snprintf(path, sizeof path, "%s/x.npy", dir);
    if (rb_npy_read_header(path, &nd, d, err, errlen) != 0) return -1;
    if (nd != 3) {
        snprintf(err, errlen, "%s: x must be 3-D [T][N][I], found %d-D", path, nd);
        return -1;
    }
    const size_t T = d[0], N = d[1], I = d[2];
    snprintf(path, sizeof path, "%s/h0.npy", dir);
    if (rb_npy_read_header(path, &nd, d, err, errlen) != 0) return -1;
    const size_t LD = (size_t)rb_shape_layers(s) * (size_t)rb_shape_dirs(s);
    if (nd == 2 && rb_shape_is_net(s)) {
        snprintf(err, errlen, "%s is [N][H], the state of one l2r layer, but %s needs [L*D = %zu][N][H]", path,
                 net_text(s, net, sizeof net), LD);
        return -1;
    }
    if (nd == 3 && d[0] != LD) {
        snprintf(err, errlen, "%s has first dimension %zu but %s needs L*D = %zu (layer, direction) states", path,
                 d[0], net_text(s, net, sizeof net), LD);
        return -1;
    }
    if (nd != 2 && nd != 3) {
        snprintf(err, errlen, "%s: h0 must be 2-D [N][H] or 3-D [L*D][N][H], found %d-D", path, nd);
        return -1;
    }
    const size_t hN = d[nd - 2], H = d[nd - 1];
    if (hN != N) {
        snprintf(err, errlen, "h0.npy has batch %zu but x.npy has %zu", hN, N);
        return -1;
    }
    const size_t got[4] = {T, N, I, H};
    const char *names[4] = {"T", "N", "I", "H"};
    for (int i = 0; i < 4; i++) {
        if (got[i] == 0 || got[i] > RB_MAX_DIM) {
            snprintf(err, errlen, "%s = %zu from the files is out of range", names[i], got[i]);
            return -1;
        }
        if (given[i] > 0 && (size_t)given[i] != got[i]) {
            snprintf(err, errlen, "--%s %d does not match %s = %zu in the files", names[i], given[i], names[i], got[i]);
            return -1;
        }
    }
    s->T = (int)T;
    s->N = (int)N;
    s->I = (int)I;
    s->H = (int)H;
    return 0;
}

int rb_load_lengths(const char *dir, const rb_shape *s, int *out, char *err, size_t errlen)
{
    char path[4096], why[256];
    snprintf(path, sizeof path, "%s/lengths.npy", dir);
    if (is_absent(path)) return 0;
    if (not_broken(path, err, errlen) != 0) return -1;
    int64_t *v;
    int nd;
    size_t d[RB_NPY_MAXDIM];
    if (rb_npy_read_i64(path, &v, &nd, d, err, errlen) != 0) return -1;
    int rc = -1;
    if (nd != 1)
        snprintf(err, errlen, "%s: lengths must be 1-D [N], found %d-D", path, nd);
    else if (rb_lengths_take(v, d[0], s->T, s->N, out, why, sizeof why) != 0)
        snprintf(err, errlen, "%s: %s", path, why);
    else
        rc = 1;
    free(v);
    return rc;
}

/* Why a parameter file (id, layer, rev) belongs to another network than s
 * (a layer beyond L, a _reverse block in a one-direction mode, a plain name
 * in a network or an _l1 name in a single layer) into what; "" if not. */
static void foreign_why(const rb_shape *s, rb_tensor_id id, int layer, int rev, char *what, size_t n)
{
    what[0] = '\0';
    if (rb_shape_is_net(s) && layer < 0)
        snprintf(what, n, "a single-layer l2r name; a network's parameters are %s_l0 ...", rb_tensor_name(id));
    else if (layer >= rb_shape_layers(s))
        snprintf(what, n, "layer %d of a deeper network; this one has layers 0 to %d", layer, rb_shape_layers(s) - 1);
    else if (rev && rb_shape_dirs(s) == 1)
        snprintf(what, n, "the reverse direction of a bidirectional network; %s has one direction", rb_dir_name(s->dir));
}

/* Refuses parameter files in dir of another network than s, naming the
 * first in name order (readdir's order is arbitrary). Gradients are never
 * read, so only the inputs' names count. */
static int foreign_files(const char *dir, const rb_shape *s, char *err, size_t errlen)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    char stem[256], first[256] = "", what[160], nt[64];
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        rb_tensor_id id;
        int layer, rev;
        if (!owned_stem(e->d_name, stem, sizeof stem) || rb_tensor_file_parse(stem, &id, &layer, &rev) != 0 ||
            !rb_tensor_is_param(id) || rb_tensor_role_of(id) != RB_ROLE_INPUT)
            continue;
        foreign_why(s, id, layer, rev, what, sizeof what);
        if (what[0] && (!first[0] || strcmp(stem, first) < 0)) snprintf(first, sizeof first, "%s", stem);
    }
    closedir(dp);
    if (!first[0]) return 0;
    rb_tensor_id id;
    int layer, rev;
    rb_tensor_file_parse(first, &id, &layer, &rev);
    foreign_why(s, id, layer, rev, what, sizeof what);
    snprintf(err, errlen, "%s/%s.npy is %s (this run: %s)", dir, first, what, net_text(s, nt, sizeof nt));
    return -1;
}

/* The path of file f in dir. A single-layer l2r run takes weight_ih.npy or
 * PyTorch's weight_ih_l0.npy, not both. 0 with path set (absent files
 * included), or -1. */
static int file_path(const char *dir, const rb_shape *s, const rb_tensor_file *f, char *path, size_t n, char *err,
                     size_t errlen)
{
    snprintf(path, n, "%s/%s.npy", dir, f->name);
    if (rb_shape_is_net(s) || !rb_tensor_is_param(f->id)) return 0;
    char alias[4096];
    snprintf(alias, sizeof alias, "%s/%s_l0.npy", dir, f->name);
    if (is_absent(alias)) return 0;
    if (!is_absent(path)) {
        snprintf(err, errlen, "both %s and %s are there: keep one", path, alias);
        return -1;
    }
    snprintf(path, n, "%s", alias);
    return 0;
}

/* Reads file f of ts from path; a single-layer run's states may come as
 * PyTorch's [1][N][H] as well as [N][H]. */
static int read_file(const char *path, rb_tset *ts, const rb_tensor_file *f, char *err, size_t errlen)
{
    float *dst = ts->t.t[f->id] + f->offset;
    if (!rb_shape_is_net(&ts->s) && rb_tensor_info_of(f->id)->dims == RB_DIMS_NH) {
        int nd;
        size_t d[RB_NPY_MAXDIM];
        if (rb_npy_read_header(path, &nd, d, err, errlen) != 0) return -1;
        if (nd == 3 && d[0] == 1 && d[1] == f->dims[0] && d[2] == f->dims[1])
            return rb_npy_read_into(path, dst, 3, d, err, errlen);
    }
    return rb_npy_read_into(path, dst, f->ndim, f->dims, err, errlen);
}

int rb_load_tensors(const char *dir, rb_tset *ts, char *err, size_t errlen)
{
    if (foreign_files(dir, &ts->s, err, errlen) != 0) return -1;
    char path[4096], nt[64];
    for (int id = 0; id < RB_NTENSORS; id++) {
        const rb_tensor_role role = rb_tensor_role_of((rb_tensor_id)id);
        if (!ts->t.t[id] || (role != RB_ROLE_INPUT && role != RB_ROLE_DOUT)) continue;
        for (int k = 0; k < rb_tensor_file_count(&ts->s, (rb_tensor_id)id); k++) {
            rb_tensor_file f;
            rb_tensor_file_at(&ts->s, (rb_tensor_id)id, k, &f);
            if (file_path(dir, &ts->s, &f, path, sizeof path, err, errlen) != 0) return -1;
            if (is_absent(path)) {
                if (role == RB_ROLE_DOUT) continue; /* dy dhT dcT are optional: seeded values stay */
                if (rb_shape_is_net(&ts->s))
                    snprintf(err, errlen, "missing %s (needed for %s %s)", path, rb_cell_name(ts->s.cell),
                             net_text(&ts->s, nt, sizeof nt));
                else
                    snprintf(err, errlen, "missing %s (needed for %s)", path, rb_cell_name(ts->s.cell));
                return -1;
            }
            if (not_broken(path, err, errlen) != 0 || read_file(path, ts, &f, err, errlen) != 0) return -1;
            const float *data = ts->t.t[id] + f.offset;
            const long bad = rb_first_nonfinite(data, file_numel(&f));
            if (bad >= 0) {
                snprintf(err, errlen, "%s: element %ld is %s; inputs must be finite", path, bad,
                         isnan(data[bad]) ? "NaN" : "Inf");
                return -1;
            }
        }
    }
    return 0;
}
