/*
 * lengths.c: the lengths of a batch from a spec (lengths.h).
 */
#include "lengths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* A whole decimal integer in [lo, hi] and nothing else up to `end`
 * (no sign, no blanks). */
static int parse_int(const char *s, const char *end, long lo, long hi, long *v)
{
    if (s == end || *s < '0' || *s > '9') return -1;
    char *e;
    errno = 0;
    long x = strtol(s, &e, 10);
    if (errno || e != end || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

static int random_lengths(const char *spec, int T, int N, uint64_t seed, int *out, char *err, size_t n)
{
    long min = 1;
    if (spec[6] == ':' && parse_int(spec + 7, spec + strlen(spec), 1, T, &min) != 0) {
        snprintf(err, n, "--lengths %s: MIN must be an integer from 1 to T = %d", spec, T);
        return -1;
    }
    const uint64_t span = (uint64_t)(T - min + 1);
    rb_rng r = rb_rng_stream(seed, RB_LENGTHS_STREAM);
    /* modulo: its bias is below span / 2^64, far under any use here */
    for (int i = 0; i < N; i++) out[i] = (int)(min + (long)(rb_rng_next(&r) % span));
    return 0;
}

static int list_lengths(const char *spec, int T, int N, int *out, char *err, size_t n)
{
    int k = 0;
    for (const char *p = spec;; k++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        long v;
        if (parse_int(p, end, 0, 2147483647L, &v) != 0) {
            snprintf(err, n, "--lengths: '%.*s' is not a length (full, random, random:MIN, or N "
                     "integers from 1 to T)", (int)(end - p > 40 ? 40 : end - p), p);
            return -1;
        }
        if (v < 1 || v > T) {
            snprintf(err, n, "--lengths: length %ld of sequence %d is outside [1, T = %d]", v, k, T);
            return -1;
        }
        if (k < N) out[k] = (int)v;
        if (!comma) break;
        p = comma + 1;
    }
    if (k + 1 != N) {
        snprintf(err, n, "--lengths: %d lengths for a batch of N = %d", k + 1, N);
        return -1;
    }
    return 0;
}

int rb_lengths_make(const char *spec, int T, int N, uint64_t seed, int *out, char *err, size_t n)
{
    if (T < 1 || N < 1) {
        snprintf(err, n, "--lengths: T and N must be positive");
        return -1;
    }
    if (strcmp(spec, "full") == 0) {
        for (int i = 0; i < N; i++) out[i] = T;
        return 0;
    }
    if (strncmp(spec, "random", 6) == 0 && (spec[6] == '\0' || spec[6] == ':'))
        return random_lengths(spec, T, N, seed, out, err, n);
    return list_lengths(spec, T, N, out, err, n);
}
