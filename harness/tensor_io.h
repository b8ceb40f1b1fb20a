/*
 * tensor_io.h: the tensors of a run as .npy files in a directory, the form
 * `run --save` writes and `run --load` reads (EQUATIONS.md "Tensor files"
 * and "Networks").
 *
 * One file per tensor (DIR/<name>.npy), except that each parameter of a
 * network and its gradient are written per (layer, direction) block under
 * PyTorch's state_dict names (weight_ih_l0, weight_hh_l1_reverse,
 * dbias_ih_l0 ...); states of a network are [L·D][N][H]; lengths.npy (int64
 * [N]) is there when the run has lengths. A single-layer l2r run keeps the
 * plain names (weight_ih, h0 [N][H]) and on load also accepts the _l0 names
 * and states [1][N][H], as PyTorch writes them for num_layers=1.
 *
 * Every function returns 0 (or the count it says), or -1 with a one-line
 * reason in err.
 */
#ifndef RB_TENSOR_IO_H
#define RB_TENSOR_IO_H

#include <stddef.h>

#include "tensors.h"

/* One file of a run: a whole tensor, or one (layer, direction) block of a
 * network's parameter tensor. */
typedef struct {
    char name[64];   /* file stem: "h0", "weight_hh_l1_reverse" */
    rb_tensor_id id;
    size_t offset;   /* floats into the tensor's buffer */
    int ndim;
    size_t dims[3];
} rb_tensor_file;

/* How many files tensor id has for shape s: 0 (the cell has no such
 * tensor), 1, or L·D for a network's parameter; and the k-th of them. */
int rb_tensor_file_count(const rb_shape *s, rb_tensor_id id);
void rb_tensor_file_at(const rb_shape *s, rb_tensor_id id, int k, rb_tensor_file *f);

/* What a file stem names: a tensor's plain name (0, *layer = -1) or a
 * parameter block's network name (0, *layer >= 0, *reverse 0 or 1);
 * -1 for any other stem (lengths included). */
int rb_tensor_file_parse(const char *stem, rb_tensor_id *id, int *layer, int *reverse);

/* Writes every tensor of ts (with_grads: also dy dhT dcT and the
 * gradients), and lengths.npy when ts->s.lengths is set, into DIR, creating
 * it. All files go to temporary names first and are renamed into place only
 * when all are written; then the tensor files (and lengths.npy) that this
 * run did not write are removed, so DIR describes exactly one run. A
 * failure leaves DIR as it was. Other files are never touched. */
int rb_save_tensors(const char *dir, const rb_tset *ts, int with_grads, char *err, size_t errlen);

/* T N I H from the headers of DIR/x.npy and DIR/h0.npy, without reading
 * data; sizes given (given[i] > 0, in the order T N I H) must agree.
 * s->layers and s->dir must already be set: h0's first dimension must be
 * L·D for a network. */
int rb_load_shape(const char *dir, rb_shape *s, const int given[4], char *err, size_t errlen);

/* DIR/lengths.npy ('<i8' or '<i4', [N], each in [1, T]) into out: 1 when
 * read, 0 when there is no such file, -1 on error. */
int rb_load_lengths(const char *dir, const rb_shape *s, int *out, char *err, size_t errlen);

/* Reads the inputs (x h0 c0 and every parameter block; dy dhT dcT when
 * present) into ts, whose shape is set. Refuses a missing input, a
 * non-finite value, and parameter files of another network (a layer
 * beyond L, a _reverse block in a one-direction mode, plain names in a
 * network). */
int rb_load_tensors(const char *dir, rb_tset *ts, char *err, size_t errlen);

#endif
