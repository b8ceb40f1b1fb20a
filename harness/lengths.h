/*
 * lengths.h: the per-sequence lengths of a batch from a text spec, for
 * `sweep --lengths` (and, once reconciled, `run --lengths`):
 *   full          every sequence of length T
 *   random        each length uniform in [1, T]
 *   random:MIN    each length uniform in [MIN, T]
 *   a,b,c,...     exactly N integers in [1, T]
 * random draws from a stream of the seed of its own (RB_LENGTHS_STREAM),
 * so the lengths of a (T, N, seed) are the same for every variant, cell
 * and pass, and the tensors' values do not move when lengths vary.
 */
#ifndef RB_LENGTHS_H
#define RB_LENGTHS_H

#include <stddef.h>
#include <stdint.h>

/* The rng stream of the lengths (the tensors use 1..13, see kernels/rnn.c). */
#define RB_LENGTHS_STREAM 64u

/* Writes the N lengths of spec into out[N]. Returns 0, or -1 with a
 * one-line reason in err (a count different from N, a length of 0 or above
 * T, a MIN outside [1, T], anything that is not an integer). */
int rb_lengths_make(const char *spec, int T, int N, uint64_t seed, int *out, char *err, size_t n);

#endif
