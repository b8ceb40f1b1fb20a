/*
 * cpu.c: ISA detection, the RNNBENCH_ISA cap and the feature list (cpu.h).
 *
 * x86-64: rb_cpu_has() asks GCC's __builtin_cpu_supports(), which also
 * checks that the OS saves the wide registers (XGETBV), so a feature the
 * kernel has disabled is reported absent. The feature list reads CPUID
 * directly, with the same XCR0 check, because __builtin_cpu_supports()
 * rejects at compile time the names an older compiler does not know.
 * aarch64: Advanced SIMD is mandatory; the list comes from getauxval().
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* getauxval on aarch64 */
#endif

#include "cpu.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

static const char *const isa_names[RB_NISAS] = {
    "scalar", "avx2", "avx512", "neon",
};

const char *rb_isa_name(rb_isa isa)
{
    return (unsigned)isa < RB_NISAS ? isa_names[isa] : "?";
}

int rb_isa_parse(const char *name, rb_isa *out)
{
    if (!name)
        return -1;
    for (int i = 0; i < RB_NISAS; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            *out = (rb_isa)i;
            return 0;
        }
    return -1;
}

const char *rb_cpu_arch(void)
{
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__)
    return "aarch64";
#else
    return "unknown";
#endif
}

int rb_cpu_has_hw(rb_isa isa)
{
    switch (isa) {
    case RB_ISA_SCALAR:
        return 1;
#if defined(__x86_64__)
    case RB_ISA_AVX2:
        __builtin_cpu_init(); /* idempotent; needed if called from a constructor */
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case RB_ISA_AVX512:
        __builtin_cpu_init();
        /* FMA is implied by AVX512F in practice; asked anyway because the
         * avx512 kernels are built with -mfma too. */
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma");
#endif
#if defined(__aarch64__)
    case RB_ISA_NEON:
        return 1; /* Advanced SIMD is part of the AArch64 base ISA */
#endif
    default:
        return 0;
    }
}

/* The architecture an ISA belongs to, so that a cap from another one
 * (RNNBENCH_ISA=neon on x86) leaves only scalar instead of comparing
 * unrelated enum values. */
static int isa_family(rb_isa isa)
{
    switch (isa) {
    case RB_ISA_AVX2:
    case RB_ISA_AVX512: return 1;
    case RB_ISA_NEON: return 2;
    default: return 0;
    }
}

const char *rb_cpu_isa_cap(void)
{
    static atomic_flag warned = ATOMIC_FLAG_INIT;
    const char *v = getenv("RNNBENCH_ISA");
    rb_isa isa;

    if (!v || !*v)
        return NULL;
    if (rb_isa_parse(v, &isa) == 0)
        return v;
    if (!atomic_flag_test_and_set(&warned))
        fprintf(stderr, "rnnbench: ignoring RNNBENCH_ISA=%s "
                        "(expected scalar, avx2, avx512 or neon)\n", v);
    return NULL;
}

int rb_cpu_has(rb_isa isa)
{
    const char *capname;
    rb_isa cap = RB_ISA_SCALAR;

    if (!rb_cpu_has_hw(isa))
        return 0;
    capname = rb_cpu_isa_cap();
    if (!capname || isa == RB_ISA_SCALAR || rb_isa_parse(capname, &cap) != 0)
        return 1;
    if (isa_family(cap) != isa_family(isa))
        return 0;
    return isa <= cap;
}

rb_isa rb_cpu_best_isa(void)
{
    static const rb_isa by_preference[] = {
        RB_ISA_AVX512, RB_ISA_AVX2, RB_ISA_NEON,
    };
    for (size_t i = 0; i < sizeof by_preference / sizeof by_preference[0]; i++)
        if (rb_cpu_has(by_preference[i]))
            return by_preference[i];
    return RB_ISA_SCALAR;
}

/* Appends " name" (or "name" first) to buf without overflowing it. */
static void append_flag(char *buf, size_t n, const char *name)
{
    size_t len = strlen(buf);
    if (len + 1 >= n)
        return;
    snprintf(buf + len, n - len, "%s%s", len ? " " : "", name);
}

#if defined(__x86_64__)
/* XCR0: which register states the OS saves on a context switch. Without
 * the bit, the instructions fault even though CPUID lists them. */
static unsigned long long read_xcr0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

const char *rb_cpu_isa_flags(char *buf, size_t n)
{
    unsigned a, b, c, d, max;
    unsigned l1c = 0, l7b = 0, l7c = 0, l7d = 0, l71a = 0;
    int os_avx = 0, os_avx512 = 0, os_amx = 0;

    if (n == 0)
        return buf;
    buf[0] = '\0';
    max = __get_cpuid_max(0, NULL);
    if (max >= 1 && __get_cpuid(1, &a, &b, &c, &d))
        l1c = c;
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        l7b = b, l7c = c, l7d = d;
        __cpuid_count(7, 1, a, b, c, d);
        l71a = a;
    }
    if (l1c & (1u << 27)) { /* OSXSAVE: XGETBV is usable */
        unsigned long long x = read_xcr0();
        os_avx = (x & 0x6) == 0x6;                  /* XMM, YMM          */
        os_avx512 = os_avx && (x & 0xe0) == 0xe0;   /* opmask, ZMM lo/hi */
        os_amx = (x & 0x60000) == 0x60000;          /* XTILECFG, XTILEDATA */
    }

    /* { register, bit, OS state needed (0 none, 1 AVX, 2 AVX-512, 3 AMX) } */
    static const struct { const char *name; int reg; int bit; int os; } f[] = {
        {"sse4.2", 0, 20, 0},
        {"avx", 0, 28, 1},
        {"fma", 0, 12, 1},
        {"f16c", 0, 29, 1},
        {"avx2", 1, 5, 1},
        {"avxvnni", 4, 4, 1},
        {"avx512f", 1, 16, 2},
        {"avx512dq", 1, 17, 2},
        {"avx512cd", 1, 28, 2},
        {"avx512bw", 1, 30, 2},
        {"avx512vl", 1, 31, 2},
        {"avx512ifma", 1, 21, 2},
        {"avx512vbmi", 2, 1, 2},
        {"avx512vbmi2", 2, 6, 2},
        {"avx512vnni", 2, 11, 2},
        {"avx512bitalg", 2, 12, 2},
        {"avx512vpopcntdq", 2, 14, 2},
        {"avx512bf16", 4, 5, 2},
        {"avx512fp16", 3, 23, 2},
        {"avx512vp2intersect", 3, 8, 2},
        {"amx-tile", 3, 24, 3},
        {"amx-int8", 3, 25, 3},
        {"amx-bf16", 3, 22, 3},
    };
    const unsigned regs[5] = {l1c, l7b, l7c, l7d, l71a};
    const int os_ok[4] = {1, os_avx, os_avx512, os_amx};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if ((regs[f[i].reg] >> f[i].bit & 1u) && os_ok[f[i].os])
            append_flag(buf, n, f[i].name);
    return buf;
}

#elif defined(__aarch64__)

const char *rb_cpu_isa_flags(char *buf, size_t n)
{
    unsigned long hw = getauxval(AT_HWCAP);
    unsigned long hw2 = 0;

    if (n == 0)
        return buf;
    buf[0] = '\0';
#ifdef AT_HWCAP2
    hw2 = getauxval(AT_HWCAP2);
#endif
    (void)hw2;
    /* Each constant is guarded: older kernel headers lack the newer ones. */
#ifdef HWCAP_ASIMD
    if (hw & HWCAP_ASIMD) append_flag(buf, n, "asimd");
#else
    append_flag(buf, n, "asimd");
#endif
#ifdef HWCAP_FPHP
    if (hw & HWCAP_FPHP) append_flag(buf, n, "fphp");
#endif
#ifdef HWCAP_ASIMDHP
    if (hw & HWCAP_ASIMDHP) append_flag(buf, n, "asimdhp");
#endif
#ifdef HWCAP_ASIMDDP
    if (hw & HWCAP_ASIMDDP) append_flag(buf, n, "asimddp");
#endif
#ifdef HWCAP_ASIMDFHM
    if (hw & HWCAP_ASIMDFHM) append_flag(buf, n, "asimdfhm");
#endif
#ifdef HWCAP_SVE
    if (hw & HWCAP_SVE) append_flag(buf, n, "sve");
#endif
#ifdef HWCAP2_SVE2
    if (hw2 & HWCAP2_SVE2) append_flag(buf, n, "sve2");
#endif
#ifdef HWCAP2_BF16
    if (hw2 & HWCAP2_BF16) append_flag(buf, n, "bf16");
#endif
#ifdef HWCAP2_I8MM
    if (hw2 & HWCAP2_I8MM) append_flag(buf, n, "i8mm");
#endif
#ifdef HWCAP2_SME
    if (hw2 & HWCAP2_SME) append_flag(buf, n, "sme");
#endif
    return buf;
}

#else

const char *rb_cpu_isa_flags(char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    return buf;
}

#endif
