/*
 * strset.c: the set of strings of strset.h. Capacity a power of two, at
 * most half full, linear probing; keys are copied.
 */
#include "strset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct rb_strset {
    char **slot;
    size_t cap, count;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

rb_strset *rb_strset_new(void)
{
    rb_strset *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cap = 1024;
    s->slot = calloc(s->cap, sizeof *s->slot);
    if (!s->slot) {
        free(s);
        return NULL;
    }
    return s;
}

static size_t find_slot(char *const *slot, size_t cap, const char *key)
{
    size_t i = (size_t)(fnv1a(key) & (cap - 1));
    while (slot[i] && strcmp(slot[i], key) != 0) i = (i + 1) & (cap - 1);
    return i;
}

int rb_strset_add(rb_strset *s, const char *key)
{
    if (2 * (s->count + 1) > s->cap) {
        size_t ncap = s->cap * 2;
        char **ns = calloc(ncap, sizeof *ns);
        if (!ns) rb_die("sweep: out of memory");
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i]) ns[find_slot(ns, ncap, s->slot[i])] = s->slot[i];
        free(s->slot);
        s->slot = ns;
        s->cap = ncap;
    }
    size_t i = find_slot(s->slot, s->cap, key);
    if (s->slot[i]) return 0;
    s->slot[i] = strdup(key);
    if (!s->slot[i]) rb_die("sweep: out of memory");
    s->count++;
    return 1;
}

int rb_strset_has(const rb_strset *s, const char *key)
{
    return s->slot[find_slot(s->slot, s->cap, key)] != NULL;
}

void rb_strset_free(rb_strset *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->cap; i++) free(s->slot[i]);
    free(s->slot);
    free(s);
}
