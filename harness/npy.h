/*
 * npy.h: NumPy .npy files of float32 tensors (little-endian '<f4', C order),
 * and of integers (lengths.npy: '<i8' written, '<i8' or '<i4' read).
 *
 * Every function returns 0, or -1 with a one-line reason in err that names
 * the file. err may be NULL or errlen 0 when the caller does not want it; a
 * reason longer than errlen is cut, always NUL-terminated.
 */
#ifndef RB_NPY_H
#define RB_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RB_NPY_MAXDIM 8

/* Writes little-endian float32, C order, .npy format version 1.0 (header
 * padded so data starts at a multiple of 64 bytes, ending in '\n' as numpy
 * does). ndim may be 0 (a scalar, one element). A file left half-written by a
 * failure stays, but rb_npy_read rejects it as truncated. */
int rb_npy_write(const char *path, const float *data, int ndim,
                 const size_t *dims, char *err, size_t errlen);

/* Reads a .npy file. On success returns 0, sets *ndim, dims[0..ndim-1], and
 * *data to a malloc'ed float array (caller frees) of prod(dims) elements
 * (never NULL, even for zero elements). On failure *data is NULL. */
int rb_npy_read(const char *path, float **data, int *ndim,
                size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen);

/* As rb_npy_read, from an open stream positioned at the magic string; name is
 * used in messages only. The stream must end right after the data. */
int rb_npy_read_stream(FILE *f, const char *name, float **data, int *ndim,
                       size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen);

/* Read and require an exact shape; the error says expected and found shapes,
 * e.g. "x.npy: shape (3, 4) does not match the expected (3, 5)". */
int rb_npy_read_shape(const char *path, float **data, int ndim,
                      const size_t *dims, char *err, size_t errlen);

/* Only the header: the shape of a .npy file (dtype, order and the data's
 * length checked against the file size), without reading its data. */
int rb_npy_read_header(const char *path, int *ndim, size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen);

/* Reads a file of exactly this shape straight into dst (prod(dims) floats,
 * the caller's buffer): one pass over the data, no second copy. */
int rb_npy_read_into(const char *path, float *dst, int ndim, const size_t *dims, char *err, size_t errlen);

/* The readers that take a path refuse anything but a regular file (a FIFO
 * would block, a directory or device is no .npy file); use
 * rb_npy_read_stream for pipes. */

/* Integers: writes little-endian int64 ('<i8', numpy's default int); reads
 * '<i8' or '<i4' (C order, the same validation as the float readers) into a
 * malloc'ed int64 array (caller frees). */
int rb_npy_write_i64(const char *path, const int64_t *data, int ndim,
                     const size_t *dims, char *err, size_t errlen);
int rb_npy_read_i64(const char *path, int64_t **data, int *ndim,
                    size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen);

/* Writes a shape as Python prints it: "()", "(5,)", "(3, 4)". Cut to len. */
void rb_npy_shape_str(char *buf, size_t len, int ndim, const size_t *dims);

#endif /* RB_NPY_H */
