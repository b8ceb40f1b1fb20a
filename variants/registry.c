/*
 * registry.c: the table built from registry.inc, and the question every
 * caller asks of it: can this machine run variant V on problem P (its cell
 * and team size), and if not, why not.
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

/* The typed ISA and parallel kind of each registry token. */
#define RB_VISA_scalar RB_VISA_SCALAR
#define RB_VISA_avx2 RB_VISA_AVX2
#define RB_VISA_avx512 RB_VISA_AVX512
#define RB_VISA_neon RB_VISA_NEON
#define RB_VISA_library RB_VISA_LIBRARY
#define RB_PAR_serial RB_PAR_SERIAL
#define RB_PAR_omp_batch RB_PAR_OMP_BATCH
#define RB_PAR_omp_hidden RB_PAR_OMP_HIDDEN
#define RB_PAR_omp_grid RB_PAR_OMP_GRID
#define RB_PAR_library RB_PAR_LIBRARY
#define CELL(c) RB_CELL_BIT(RB_##c)

#define RB_VARIANT(name, isa, par, build, cells, features, summary) RB_DECL_##build(name)
#include "registry.inc"
#undef RB_VARIANT

static const rb_variant variants[] = {
#define RB_VARIANT(name, isa, par, build, cells, features, summary)                              \
    {#name, #isa, #par, RB_VISA_##isa, RB_PAR_##par, summary, cells, features, RB_OPS_##build(name), \
     RB_WHY_##build},
#include "registry.inc"
#undef RB_VARIANT
};
#undef CELL

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

/* Per parallel kind: does it use a team of threads? */
static const unsigned char uses_team[RB_NPARS] = {
    [RB_PAR_SERIAL] = 0,
    [RB_PAR_OMP_BATCH] = 1,
    [RB_PAR_OMP_HIDDEN] = 1,
    [RB_PAR_OMP_GRID] = 1,
    [RB_PAR_LIBRARY] = 1,
};

int rb_parallel_uses_team(rb_parallel_kind k) { return (unsigned)k < RB_NPARS && uses_team[k]; }

int rb_variant_is_parallel(const rb_variant *v) { return rb_parallel_uses_team(v->par_kind); }

/* Per variant ISA: what the CPU must run, and the reason when it cannot.
 * RB_ISA_SCALAR means nothing to ask. */
static const struct {
    rb_isa needs;
    const char *lacks;
} isa_needs[RB_NVISAS] = {
    [RB_VISA_SCALAR] = {RB_ISA_SCALAR, NULL},
    [RB_VISA_AVX2] = {RB_ISA_AVX2, "CPU lacks AVX2+FMA (or RNNBENCH_ISA caps it)"},
    [RB_VISA_AVX512] = {RB_ISA_AVX512, "CPU lacks AVX-512 F/DQ/BW/VL (or RNNBENCH_ISA caps it)"},
    [RB_VISA_NEON] = {RB_ISA_NEON, "CPU lacks NEON (or RNNBENCH_ISA caps it)"},
    [RB_VISA_LIBRARY] = {RB_ISA_SCALAR, NULL},
};

const char *rb_variant_why_not(const rb_variant *v, const rb_problem *p)
{
    if (!v->ops) return v->not_built;
    const rb_isa needs = isa_needs[v->isa_kind].needs;
    if (needs != RB_ISA_SCALAR && !rb_cpu_has(needs)) return isa_needs[v->isa_kind].lacks;
    if (v->ops->unavailable) {
        const char *why = v->ops->unavailable();
        if (why) return why;
    }
    if ((unsigned)p->s.cell >= RB_NCELLS || !(v->cells & RB_CELL_BIT(p->s.cell)))
        return "does not implement this cell";
    const unsigned missing = rb_problem_features(p) & ~v->features;
    if (missing & RB_FEAT_LAYERS) return "does not run stacked layers";
    if (missing & RB_FEAT_DIRS) return "does not run the r2l and bidirectional modes";
    if (missing & RB_FEAT_VARLEN)
        return v->isa_kind == RB_VISA_LIBRARY ? "the library has no variable-length sequences"
                                              : "does not run variable-length sequences";
    if (p->threads < 1) return "needs a team of at least one thread";
    return NULL;
}

unsigned rb_problem_features(const rb_problem *p)
{
    unsigned f = 0;
    if (rb_shape_layers(&p->s) > 1) f |= RB_FEAT_LAYERS;
    if (p->s.dir != RB_DIR_L2R) f |= RB_FEAT_DIRS;
    if (rb_shape_has_varlen(&p->s)) f |= RB_FEAT_VARLEN;
    return f;
}

const char *rb_variant_why_not_any(const rb_variant *v)
{
    const char *why = "implements no cell";
    for (int c = 0; c < RB_NCELLS; c++) {
        if (!(v->cells & RB_CELL_BIT(c))) continue;
        const rb_problem p = {.s = {.cell = (rb_cell)c}, .threads = 1};
        why = rb_variant_why_not(v, &p);
        if (!why) return NULL;
    }
    return why;
}
