/*
 * memory.h: aligned buffers and the "will it fit" question, below the
 * variants so that a variant's plan and the harness's tensors allocate the
 * same way and refuse the same sizes.
 */
#ifndef RB_MEMORY_H
#define RB_MEMORY_H

#include <stddef.h>

/* 64-byte aligned allocation (a cache line, and a full AVX-512 vector);
 * rb_alloc(0) returns a valid 64-byte block. NULL when out of memory. */
void *rb_alloc(size_t bytes);
void rb_free(void *p);

/* Physical memory of this machine in bytes (0 if unknown). */
size_t rb_phys_mem_bytes(void);
/* Refuse sizes that cannot fit: returns 0, or -1 with "needs X GiB but this
 * machine has Y GiB" in err. SIZE_MAX stands for an overflowed size. */
int rb_check_fits(size_t bytes, char *err, size_t errlen);

#endif
