/*
 * vec_neon.h: the rb_vf vocabulary over AArch64 Advanced SIMD (4 floats,
 * float32x4_t).
 *
 * Same names and meaning as vec_avx2.h, which documents the whole
 * vocabulary. Differences a kernel never sees: NEON has no masked load or
 * store, so a tail goes through a small stack buffer (a copy of n < 4
 * floats: cheap next to the math that follows); lane masks are uint32x4_t.
 * NEON (and FMA) is baseline on AArch64, so no flags are needed; files under
 * kernels/neon/ are built only by the aarch64 build.
 */
#ifndef RB_VEC_NEON_H
#define RB_VEC_NEON_H

#ifdef RB_VEC_ISA_INCLUDED
#error "include exactly one kernels/simd/vec_*.h per translation unit"
#endif
#define RB_VEC_ISA_INCLUDED 1

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "vec_neon.h is for the aarch64 build only"
#endif

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float32x4_t rb_vf;
typedef int32x4_t rb_vi;
typedef uint32x4_t rb_vm;

#define RB_VF_WIDTH 4
#define RB_VF_ALIGN 16
#define RB_VF_ISA "neon"

static inline rb_vf rb_vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline rb_vf rb_vf_set1(float a) { return vdupq_n_f32(a); }
static inline rb_vf rb_vf_loadu(const float *p) { return vld1q_f32(p); }
static inline void rb_vf_storeu(float *p, rb_vf v) { vst1q_f32(p, v); }

static inline rb_vf rb_vf_load_part(const float *p, size_t n)
{
    float buf[RB_VF_WIDTH] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, p, n * sizeof(float));
    return vld1q_f32(buf);
}
static inline void rb_vf_store_part(float *p, rb_vf v, size_t n)
{
    float buf[RB_VF_WIDTH];
    vst1q_f32(buf, v);
    memcpy(p, buf, n * sizeof(float));
}

static inline rb_vf rb_vf_add(rb_vf a, rb_vf b) { return vaddq_f32(a, b); }
static inline rb_vf rb_vf_sub(rb_vf a, rb_vf b) { return vsubq_f32(a, b); }
static inline rb_vf rb_vf_mul(rb_vf a, rb_vf b) { return vmulq_f32(a, b); }
static inline rb_vf rb_vf_div(rb_vf a, rb_vf b) { return vdivq_f32(a, b); }
/* vfmaq_f32(c, a, b) = c + a*b, fused. */
static inline rb_vf rb_vf_fmadd(rb_vf a, rb_vf b, rb_vf c) { return vfmaq_f32(c, a, b); }
static inline rb_vf rb_vf_fnmadd(rb_vf a, rb_vf b, rb_vf c) { return vfmsq_f32(c, a, b); }
/* fmax/fmin give NaN when either input is NaN, so NaN in b wins here too. */
static inline rb_vf rb_vf_max(rb_vf a, rb_vf b) { return vmaxq_f32(a, b); }
static inline rb_vf rb_vf_min(rb_vf a, rb_vf b) { return vminq_f32(a, b); }

static inline rb_vf rb_vf_and(rb_vf a, rb_vf b)
{
    return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)));
}
static inline rb_vf rb_vf_or(rb_vf a, rb_vf b)
{
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)));
}
static inline rb_vf rb_vf_abs(rb_vf a) { return vabsq_f32(a); }
static inline rb_vf rb_vf_neg(rb_vf a) { return vnegq_f32(a); }
static inline rb_vf rb_vf_round(rb_vf a) { return vrndnq_f32(a); }

static inline rb_vm rb_vf_cmplt(rb_vf a, rb_vf b) { return vcltq_f32(a, b); }
static inline rb_vf rb_vf_select(rb_vm m, rb_vf a, rb_vf b) { return vbslq_f32(m, a, b); }

static inline rb_vi rb_vi_set1(int32_t a) { return vdupq_n_s32(a); }
static inline rb_vi rb_vi_add(rb_vi a, rb_vi b) { return vaddq_s32(a, b); }
static inline rb_vi rb_vi_sub(rb_vi a, rb_vi b) { return vsubq_s32(a, b); }
#define rb_vi_slli(a, imm) vshlq_n_s32((a), (imm))
#define rb_vi_srai(a, imm) vshrq_n_s32((a), (imm))
static inline rb_vi rb_vf_to_vi(rb_vf a) { return vcvtnq_s32_f32(a); }
static inline rb_vf rb_vi_as_vf(rb_vi a) { return vreinterpretq_f32_s32(a); }

#endif /* RB_VEC_NEON_H */
