/*
 * gemm_select.c: rb_gemm_for_isa(), the engine for an ISA name.
 *
 * Compiled without ISA flags: it only takes the addresses of the engines
 * this build contains. Whether the CPU can run the one returned is the
 * caller's question (rb_cpu_has in kernels/platform/cpu.h), as for every variant.
 */
#include <string.h>

#include "gemm.h"

const rb_gemm *rb_gemm_for_isa(const char *isa)
{
    if (!isa) return NULL;
    if (strcmp(isa, "scalar") == 0) return &rb_gemm_scalar;
#if defined(__x86_64__)
    if (strcmp(isa, "avx2") == 0) return &rb_gemm_avx2;
    if (strcmp(isa, "avx512") == 0) return &rb_gemm_avx512;
#endif
#if defined(__aarch64__)
    if (strcmp(isa, "neon") == 0) return &rb_gemm_neon;
#endif
    return NULL;
}
