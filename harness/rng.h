/*
 * rng.h: a small deterministic generator (splitmix64). Each tensor draws from
 * its own stream, seeded from (seed, the stream rb_tensor_info gives that
 * tensor), so loading one tensor from a file leaves the values of every
 * other tensor unchanged.
 */
#ifndef RB_RNG_H
#define RB_RNG_H

#include <stdint.h>

typedef struct { uint64_t s; } rb_rng;

static inline uint64_t rb_rng_next(rb_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline rb_rng rb_rng_stream(uint64_t seed, uint64_t stream)
{
    rb_rng r = {seed * 0x2545f4914f6cdd1dull + stream};
    rb_rng_next(&r);
    return r;
}

/* Uniform in [-a, a), 24 random bits, exactly representable in float. */
static inline float rb_rng_uniform(rb_rng *r, float a)
{
    float u = (float)(rb_rng_next(r) >> 40) * (1.0f / 16777216.0f); /* [0,1) */
    return (2.0f * u - 1.0f) * a;
}

#endif
