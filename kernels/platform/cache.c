/*
 * cache.c: rb_caches_detect() and the sysfs reader (cache.h).
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE
#endif

#include "cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line of root/name, without its newline; 0 on success. */
static int read_line(const char *root, const char *name, char *buf, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    const int ok = fgets(buf, (int)n, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* "32K", "512K", "32768K", "1M" or plain bytes; 0 if unreadable. */
static size_t parse_size(const char *s)
{
    char *end;
    const unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return 0;
    switch (*end) {
    case 'K': case 'k': return (size_t)v * 1024u;
    case 'M': case 'm': return (size_t)v * 1024u * 1024u;
    case 'G': case 'g': return (size_t)v * 1024u * 1024u * 1024u;
    default: return (size_t)v;
    }
}

/* CPUs in a list such as "0-3,8-11" or "5"; 1 at least. */
static int count_cpus(const char *s)
{
    int n = 0;
    while (*s) {
        char *end;
        const long a = strtol(s, &end, 10);
        if (end == s) break;
        long b = a;
        s = end;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1) break;
            s = end;
        }
        if (b >= a) n += (int)(b - a + 1);
        if (*s == ',') s++;
    }
    return n > 0 ? n : 1;
}

int rb_caches_read_sysfs(const char *root, rb_caches *out)
{
    int found = 0;
    for (int i = 0; i < 16; i++) {
        char dir[512], buf[256];
        snprintf(dir, sizeof dir, "%s/index%d", root, i);
        if (read_line(dir, "level", buf, sizeof buf) != 0) continue;
        const int level = atoi(buf);
        if (read_line(dir, "type", buf, sizeof buf) != 0 || strcmp(buf, "Instruction") == 0) continue;
        rb_cache_level *c = level == 1 ? &out->l1d : level == 2 ? &out->l2 : level == 3 ? &out->l3 : NULL;
        if (!c || read_line(dir, "size", buf, sizeof buf) != 0) continue;
        const size_t size = parse_size(buf);
        if (size == 0) continue;
        c->size = size;
        c->ways = read_line(dir, "ways_of_associativity", buf, sizeof buf) == 0 ? atoi(buf) : 0;
        if (read_line(dir, "coherency_line_size", buf, sizeof buf) == 0 && atoi(buf) > 0) c->line = atoi(buf);
        c->shared_by = read_line(dir, "shared_cpu_list", buf, sizeof buf) == 0 ? count_cpus(buf) : 1;
        found++;
    }
    return found;
}

/* sysconf for a level sysfs did not give (glibc: from CPUID). */
static void from_sysconf(rb_cache_level *c, int size_name, int ways_name, int line_name)
{
    if (c->size) return;
    const long size = sysconf(size_name), ways = sysconf(ways_name), line = sysconf(line_name);
    if (size <= 0) return;
    c->size = (size_t)size;
    c->ways = ways > 0 ? (int)ways : 0;
    if (line > 0) c->line = (int)line;
}

static void fill_default(rb_cache_level *c, size_t size, int ways, int shared_by)
{
    if (c->size == 0) {
        c->size = size;
        c->ways = ways;
        c->shared_by = shared_by;
    }
    if (c->line <= 0) c->line = 64;
    if (c->ways < 0) c->ways = 0;
    if (c->shared_by < 1) c->shared_by = 1;
}

static rb_caches detected;
static pthread_once_t detected_once = PTHREAD_ONCE_INIT;

static void detect(void)
{
    rb_caches c = {.source = "default"};
    if (rb_caches_read_sysfs("/sys/devices/system/cpu/cpu0/cache", &c) > 0 && c.l1d.size) c.source = "sysfs";
#if defined(_SC_LEVEL1_DCACHE_SIZE)
    if (!c.l1d.size) {
        from_sysconf(&c.l1d, _SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL1_DCACHE_ASSOC, _SC_LEVEL1_DCACHE_LINESIZE);
        if (c.l1d.size) c.source = "sysconf";
    }
    from_sysconf(&c.l2, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL2_CACHE_ASSOC, _SC_LEVEL2_CACHE_LINESIZE);
    from_sysconf(&c.l3, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL3_CACHE_ASSOC, _SC_LEVEL3_CACHE_LINESIZE);
#else
    (void)from_sysconf;
#endif
    fill_default(&c.l1d, RB_CACHE_DEFAULT_L1, 8, 1);
    fill_default(&c.l2, RB_CACHE_DEFAULT_L2, 8, 1);
    fill_default(&c.l3, RB_CACHE_DEFAULT_L3, 16, 4);
    detected = c;
}

const rb_caches *rb_caches_detect(void)
{
    pthread_once(&detected_once, detect);
    return &detected;
}
