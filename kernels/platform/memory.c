/* memory.c: see memory.h. */
#include "memory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *rb_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0) bytes = 64;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes || posix_memalign(&p, 64, rounded) != 0) return NULL;
    return p;
}

void rb_free(void *p) { free(p); }

size_t rb_phys_mem_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return 0;
    return (size_t)pages * (size_t)page;
}

int rb_check_fits(size_t bytes, char *err, size_t errlen)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    size_t phys = rb_phys_mem_bytes();
    if (bytes == SIZE_MAX) {
        snprintf(err, errlen, "sizes too large: the buffers' size overflows 64 bits");
        return -1;
    }
    /* Leave a quarter of memory to the system and the variants' scratch. */
    if (phys && bytes > phys / 4 * 3) {
        snprintf(err, errlen, "sizes too large: needs %.1f GiB of buffers but this machine has %.1f GiB",
                 bytes / gib, phys / gib);
        return -1;
    }
    return 0;
}
