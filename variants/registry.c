/*
 * registry.c: the table built from registry.inc, and the question every
 * caller asks of it: can this machine run variant V on cell C, and if not,
 * why not.
 */
#include "variant.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/platform/cpu.h"

/* Per build condition: declare the ops, point at them, or say why not. */
#define RB_DECL_ANY(name) extern const rb_variant_ops rb_ops_##name;
#define RB_OPS_ANY(name) &rb_ops_##name
#define RB_WHY_ANY NULL

#if defined(__x86_64__)
#define RB_DECL_X86(name) extern const rb_variant_ops rb_ops_##name;
#define RB_OPS_X86(name) &rb_ops_##name
#define RB_WHY_X86 NULL
#else
#define RB_DECL_X86(name)
#define RB_OPS_X86(name) NULL
#define RB_WHY_X86 "built for x86-64 only (this build is not x86-64)"
#endif

#if defined(__aarch64__)
#define RB_DECL_ARM(name) extern const rb_variant_ops rb_ops_##name;
#define RB_OPS_ARM(name) &rb_ops_##name
#define RB_WHY_ARM NULL
#else
#define RB_DECL_ARM(name)
#define RB_OPS_ARM(name) NULL
#define RB_WHY_ARM "aarch64 only (make check runs it in the aarch64 build under qemu)"
#endif

#if defined(RB_HAVE_DNNL)
#define RB_DECL_DNNL(name) extern const rb_variant_ops rb_ops_##name;
#define RB_OPS_DNNL(name) &rb_ops_##name
#define RB_WHY_DNNL NULL
#else
#define RB_DECL_DNNL(name)
#define RB_OPS_DNNL(name) NULL
#define RB_WHY_DNNL "built without oneDNN (install libdnnl-dev and rebuild)"
#endif

#if defined(RB_HAVE_BLAS)
#define RB_DECL_BLAS(name) extern const rb_variant_ops rb_ops_##name;
#define RB_OPS_BLAS(name) &rb_ops_##name
#define RB_WHY_BLAS NULL
#else
#define RB_DECL_BLAS(name)
#define RB_OPS_BLAS(name) NULL
#define RB_WHY_BLAS "built without a CBLAS (install libopenblas-dev and rebuild)"
#endif

#define RB_VARIANT(name, isa, par, build, cells, summary) RB_DECL_##build(name)
#include "registry.inc"
#undef RB_VARIANT

static const rb_variant variants[] = {
#define RB_VARIANT(name, isa, par, build, cells, summary) \
    {#name, #isa, #par, summary, cells, RB_OPS_##build(name), RB_WHY_##build},
#include "registry.inc"
#undef RB_VARIANT
};

int rb_variant_count(void) { return (int)(sizeof variants / sizeof variants[0]); }

const rb_variant *rb_variant_at(int i)
{
    return i >= 0 && i < rb_variant_count() ? &variants[i] : NULL;
}

const rb_variant *rb_variant_find(const char *name)
{
    for (int i = 0; i < rb_variant_count(); i++)
        if (strcmp(variants[i].name, name) == 0) return &variants[i];
    return NULL;
}

void rb_variant_report(const rb_variant *v, const void *plan, const rb_problem *p, int force)
{
    const char *env = getenv("RNNBENCH_VERBOSE");
    if (!force && !(env && *env && strcmp(env, "0") != 0)) return;
    char what[512] = "";
    if (v->ops->describe) v->ops->describe(plan, what, sizeof what);
    fprintf(stderr, "rnnbench: %s on %s T=%d N=%d I=%d H=%d threads=%d: %s\n", v->name,
            rb_cell_name(p->s.cell), p->s.T, p->s.N, p->s.I, p->s.H, p->threads,
            what[0] ? what : v->summary);
}

int rb_variant_is_parallel(const rb_variant *v)
{
    return strncmp(v->parallel, "omp", 3) == 0 || strcmp(v->parallel, "library") == 0;
}

const char *rb_variant_why_not(const rb_variant *v, rb_cell c)
{
    if (!v->ops) return v->not_built;
    rb_isa isa;
    if (rb_isa_parse(v->isa, &isa) == 0 && !rb_cpu_has(isa)) {
        switch (isa) {
        case RB_ISA_AVX2: return "CPU lacks AVX2+FMA (or RNNBENCH_ISA caps it)";
        case RB_ISA_AVX512: return "CPU lacks AVX-512 F/DQ/BW/VL (or RNNBENCH_ISA caps it)";
        case RB_ISA_NEON: return "CPU lacks NEON (or RNNBENCH_ISA caps it)";
        default: return "CPU lacks this ISA";
        }
    }
    if (v->ops->unavailable) {
        const char *why = v->ops->unavailable();
        if (why) return why;
    }
    if (!(v->cells & RB_CELL_BIT(c))) return "does not implement this cell";
    return NULL;
}
