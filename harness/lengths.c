/* lengths.c: see lengths.h. */
#include "lengths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* The rng stream of random lengths: tensors use 1..7 and 11..13 (rnn.c). */
#define RB_LENGTHS_STREAM 31

/* A strict integer at s (digits with at most a leading '-', nothing else
 * before end): 0 and *v, or -1. */
static int parse_int(const char *s, const char *end, long long *v)
{
    const char *p = s;
    if (p < end && *p == '-') p++;
    if (p == end) return -1;
    for (const char *q = p; q < end; q++)
        if (*q < '0' || *q > '9') return -1;
    char buf[32];
    if ((size_t)(end - s) >= sizeof buf) return -1; /* more digits than any int */
    memcpy(buf, s, (size_t)(end - s));
    buf[end - s] = '\0';
    errno = 0;
    *v = strtoll(buf, NULL, 10);
    return errno == ERANGE ? -1 : 0;
}

static int in_range(long long v, int k, int T, char *err, size_t n)
{
    if (v >= 1 && v <= T) return 0;
    snprintf(err, n, "length %lld of sequence %d is out of range [1, %d]", v, k, T);
    return -1;
}

static int from_list(const char *spec, int T, int N, int *out, char *err, size_t n)
{
    int k = 0;
    for (const char *p = spec;; k++) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        long long v;
        if (end == p) {
            snprintf(err, n, "empty element in the list '%.64s'", spec);
            return -1;
        }
        if (parse_int(p, end, &v) != 0) {
            snprintf(err, n, "'%.*s' is not an integer", (int)(end - p < 64 ? end - p : 64), p);
            return -1;
        }
        if (in_range(v, k, T, err, n) != 0) return -1;
        if (k < N) out[k] = (int)v;
        if (!comma) break;
        p = comma + 1;
    }
    if (k + 1 != N) {
        snprintf(err, n, "%d lengths given but the batch N is %d: one per sequence", k + 1, N);
        return -1;
    }
    return 1;
}

static int draw(const char *spec, int T, int N, uint64_t seed, int *out, char *err, size_t n)
{
    long long lo = 1;
    if (spec[6] == ':') {
        const char *m = spec + 7;
        if (parse_int(m, m + strlen(m), &lo) != 0) {
            snprintf(err, n, "random:MIN needs an integer MIN, not '%.64s'", m);
            return -1;
        }
        if (lo < 1 || lo > T) {
            snprintf(err, n, "random:%lld: MIN is out of range [1, %d]", lo, T);
            return -1;
        }
    }
    rb_rng r = rb_rng_stream(seed, RB_LENGTHS_STREAM);
    const uint64_t span = (uint64_t)(T - lo + 1); /* <= 2^24: modulo bias below 2^-40 */
    for (int k = 0; k < N; k++) out[k] = (int)(lo + (long long)(rb_rng_next(&r) % span));
    return 1;
}

int rb_lengths_make(const char *spec, int T, int N, uint64_t seed, int *out, char *err, size_t n)
{
    if (strcmp(spec, "full") == 0) return 0;
    if (strncmp(spec, "random", 6) == 0 && (spec[6] == '\0' || spec[6] == ':'))
        return draw(spec, T, N, seed, out, err, n);
    if ((*spec >= 'a' && *spec <= 'z') || (*spec >= 'A' && *spec <= 'Z') || *spec == '\0') {
        snprintf(err, n, "'%.64s' is not full, random[:MIN] or %d comma-separated lengths", spec, N);
        return -1;
    }
    return from_list(spec, T, N, out, err, n);
}

int rb_lengths_take(const int64_t *v, size_t count, int T, int N, int *out, char *err, size_t n)
{
    if (count != (size_t)N) {
        snprintf(err, n, "%zu lengths but the batch N is %d: one per sequence", count, N);
        return -1;
    }
    for (int k = 0; k < N; k++) {
        if (in_range(v[k], k, T, err, n) != 0) return -1;
        out[k] = (int)v[k];
    }
    return 0;
}
