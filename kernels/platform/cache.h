/*
 * cache.h: the data caches of this CPU, as the GEMM engine's blocking
 * (kernels/gemm/gemm_blocking.c) needs them: size, associativity and how
 * many logical CPUs share each level.
 *
 * Read once per process, from Linux's /sys/devices/system/cpu/cpu0/cache
 * (the per-instance sizes and the sharing; glibc's sysconf reports some
 * AMD L3s as the sum over the chip), else sysconf(_SC_LEVEL1_DCACHE_SIZE
 * ...), else the defaults below for any level still unknown. The kernels
 * floor: no hwloc (the harness reports hwloc's view separately).
 */
#ifndef RB_CACHE_H
#define RB_CACHE_H

#include <stddef.h>

typedef struct {
    size_t size;   /* bytes of one instance                        */
    int ways;      /* associativity; 0 when unknown                */
    int line;      /* bytes per line                               */
    int shared_by; /* logical CPUs sharing one instance, >= 1      */
} rb_cache_level;

typedef struct {
    rb_cache_level l1d, l2, l3;
    const char *source; /* "sysfs", "sysconf", "default" (of the L1 figure) */
} rb_caches;

/* Used for a level nothing reports: a small modern core (32 KiB 8-way L1d,
 * 512 KiB 8-way L2, 8 MiB 16-way L3 for 4 CPUs). */
#define RB_CACHE_DEFAULT_L1 (32u * 1024u)
#define RB_CACHE_DEFAULT_L2 (512u * 1024u)
#define RB_CACHE_DEFAULT_L3 (8u * 1024u * 1024u)

/* This machine's caches, detected on the first call (thread-safe); never
 * NULL, every size > 0, ways and line filled (defaults where unknown). */
const rb_caches *rb_caches_detect(void);

/* Fills *out from a sysfs cache folder laid out as Linux's
 * (root/index<i>/{level,type,size,ways_of_associativity,
 * coherency_line_size,shared_cpu_list}); levels it lacks stay as they
 * were. Returns the number of data or unified levels 1-3 read. Exposed
 * for the tests, which feed it a made-up tree. */
int rb_caches_read_sysfs(const char *root, rb_caches *out);

#endif
