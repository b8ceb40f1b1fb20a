/*
 * lengths.h: the per-sequence lengths of a run (EQUATIONS.md "Networks"),
 * from the --lengths spec that `run` (and `sweep`) take:
 *
 *   full            every sequence has length T: the shape's lengths stay NULL
 *   L1,L2,...,LN    exactly N integers, each in [1, T]
 *   random[:MIN]    each uniform in [MIN, T] (MIN defaults to 1), drawn from
 *                   the run's seed on a stream of its own, so the same seed
 *                   gives the same lengths and the tensors' values do not move
 *
 * The caller owns the array (N ints) that rb_shape.lengths then points to.
 */
#ifndef RB_LENGTHS_H
#define RB_LENGTHS_H

#include <stddef.h>
#include <stdint.h>

/* Returns 0 for "full" (out untouched), 1 with out[0..N-1] filled, or -1 with
 * a one-line reason in err (n bytes) that does not name the option, e.g.
 * "length 0 of sequence 2 is out of range [1, 5]". */
int rb_lengths_make(const char *spec, int T, int N, uint64_t seed, int *out, char *err, size_t n);

/* Lengths read from elsewhere (lengths.npy): count must be N and each value
 * in [1, T]. Returns 0 with out[0..N-1] filled, or -1 with a reason. */
int rb_lengths_take(const int64_t *v, size_t count, int T, int N, int *out, char *err, size_t n);

#endif
