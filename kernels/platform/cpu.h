/*
 * cpu.h: which instruction sets this CPU can run, as the rest of rnnbench
 * sees them.
 *
 * Kernels are compiled per ISA (kernels/avx2/, kernels/avx512/,
 * kernels/neon/) and chosen at run time, as BLIS does: rb_cpu_has() is the
 * one question the registry asks before it lists a variant as runnable.
 *
 * RNNBENCH_ISA=scalar|avx2|avx512|neon caps what rb_cpu_has() reports, so
 * an AVX-512 machine can be made to behave like an AVX2 one (BLIS_ARCH_TYPE
 * in spirit). The cap only removes ISAs, it never adds one the hardware
 * lacks. It is read on every call (cheap), so a test may setenv() it.
 */
#ifndef RB_CPU_H
#define RB_CPU_H

#include <stddef.h>

/* Ordered by width within an architecture: the cap compares these. */
typedef enum {
    RB_ISA_SCALAR, /* plain C, no ISA flags: always available          */
    RB_ISA_AVX2,   /* x86-64: AVX2 + FMA                                */
    RB_ISA_AVX512, /* x86-64: AVX-512 F + DQ + BW + VL (and FMA)        */
    RB_ISA_NEON,   /* aarch64: Advanced SIMD (always there on aarch64)  */
    RB_NISAS
} rb_isa;

/* 1 if the CPU supports isa and RNNBENCH_ISA does not cap it away. */
int rb_cpu_has(rb_isa isa);
/* 1 if the CPU (and OS) support isa, ignoring RNNBENCH_ISA. */
int rb_cpu_has_hw(rb_isa isa);
/* The widest ISA rb_cpu_has() accepts (RB_ISA_SCALAR at worst). */
rb_isa rb_cpu_best_isa(void);
/* The RNNBENCH_ISA value when set and valid, else NULL. An invalid value is
 * ignored, with one warning on stderr. */
const char *rb_cpu_isa_cap(void);

/* "scalar", "avx2", "avx512", "neon" ("?" out of range). */
const char *rb_isa_name(rb_isa isa);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int rb_isa_parse(const char *name, rb_isa *out);

/* Space-separated SIMD features of this CPU that the OS has enabled, named
 * as GCC's -m options name them ("sse4.2 avx avx2 fma avx512f ...") on
 * x86-64 and as /proc/cpuinfo names them ("asimd asimddp sve ...") on
 * aarch64. Not affected by RNNBENCH_ISA. Writes into buf (truncated to n)
 * and returns buf. */
const char *rb_cpu_isa_flags(char *buf, size_t n);

/* "x86_64", "aarch64" or "unknown": the architecture this was built for. */
const char *rb_cpu_arch(void);

#endif
