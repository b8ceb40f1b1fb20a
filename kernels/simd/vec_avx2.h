/*
 * vec_avx2.h: the rb_vf vocabulary over AVX2 + FMA (8 floats, __m256).
 *
 * Every vectorized kernel is written once over this small vocabulary and
 * compiled three times, once per ISA header (vec_avx2.h, vec_avx512.h,
 * vec_neon.h); the three headers define exactly the same names with the same
 * meaning. Include exactly one of them per translation unit, then
 * vmath.h if the kernel needs exp/sigmoid/tanh. Only files compiled with
 * -mavx2 -mfma (kernels/avx2/) may include this one.
 *
 * Names and meaning (W = RB_VF_WIDTH lanes; all functions are lane-wise
 * unless they say otherwise):
 *
 *   rb_vf  float vector         rb_vi  int32 vector       rb_vm  lane mask
 *   RB_VF_WIDTH  8              RB_VF_ISA "avx2"          RB_VF_ALIGN bytes
 *
 *   rb_vf_zero()  rb_vf_set1(float)
 *   rb_vf_loadu(p)  rb_vf_storeu(p, v)          any alignment
 *   rb_vf_load_part(p, n)   lanes 0..n-1 from p, the rest 0; n < W;
 *                           reads nothing at or past p + n (no fault)
 *   rb_vf_store_part(p, v, n)  writes lanes 0..n-1 only; n < W
 *   rb_vf_add sub mul div(a, b)
 *   rb_vf_fmadd(a, b, c) = a*b + c     rb_vf_fnmadd(a, b, c) = c - a*b
 *                                      (each rounded once)
 *   rb_vf_max min(a, b)  if b is NaN the result is NaN (on x86 the result
 *                        is b whenever either is NaN; NEON gives NaN for a
 *                        NaN in either), the sign of a zero result is
 *                        unspecified. vmath.h relies on "NaN in b wins".
 *   rb_vf_abs neg(a)    rb_vf_and or(a, b)
 *   rb_vf_round(a)      to nearest, ties to even, result stays float
 *   rb_vf_cmplt(a, b) -> rb_vm (ordered: false if either is NaN)
 *   rb_vf_select(m, a, b) = m ? a : b
 *   rb_vi_set1(int32)  rb_vi_add sub(a, b)
 *   rb_vi_slli(a, imm) rb_vi_srai(a, imm)   (macros: imm a constant)
 *   rb_vf_to_vi(a)    float -> int32, round to nearest even (out of range
 *                     and NaN lanes: unspecified)
 *   rb_vi_as_vf(a)    bit cast int32 -> float
 * (Only what the kernels use: an operation comes back with its first user,
 * in all three headers.)
 */
#ifndef RB_VEC_AVX2_H
#define RB_VEC_AVX2_H

/* One vocabulary per translation unit: two would define rb_vf twice and a
 * kernel would silently mix widths. */
#ifdef RB_VEC_ISA_INCLUDED
#error "include exactly one kernels/simd/vec_*.h per translation unit"
#endif
#define RB_VEC_ISA_INCLUDED 1

#if !defined(__AVX2__) || !defined(__FMA__)
#error "vec_avx2.h needs -mavx2 -mfma (only files under kernels/avx2/ get them)"
#endif

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

typedef __m256 rb_vf;
typedef __m256i rb_vi;
typedef __m256 rb_vm; /* all-ones / all-zeros lanes, as cmp_ps gives */

#define RB_VF_WIDTH 8
#define RB_VF_ALIGN 32
#define RB_VF_ISA "avx2"

static inline rb_vf rb_vf_zero(void) { return _mm256_setzero_ps(); }
static inline rb_vf rb_vf_set1(float a) { return _mm256_set1_ps(a); }
static inline rb_vf rb_vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline void rb_vf_storeu(float *p, rb_vf v) { _mm256_storeu_ps(p, v); }

/* Lane i is enabled when i < n: compare n against the lane indices. */
static inline __m256i rb_vf__tail_mask(size_t n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lane);
}
/* vmaskmov neither reads nor faults on disabled lanes, so a tail at the end
 * of a mapping is safe. */
static inline rb_vf rb_vf_load_part(const float *p, size_t n)
{
    return _mm256_maskload_ps(p, rb_vf__tail_mask(n));
}
static inline void rb_vf_store_part(float *p, rb_vf v, size_t n)
{
    _mm256_maskstore_ps(p, rb_vf__tail_mask(n), v);
}

static inline rb_vf rb_vf_add(rb_vf a, rb_vf b) { return _mm256_add_ps(a, b); }
static inline rb_vf rb_vf_sub(rb_vf a, rb_vf b) { return _mm256_sub_ps(a, b); }
static inline rb_vf rb_vf_mul(rb_vf a, rb_vf b) { return _mm256_mul_ps(a, b); }
static inline rb_vf rb_vf_div(rb_vf a, rb_vf b) { return _mm256_div_ps(a, b); }
static inline rb_vf rb_vf_fmadd(rb_vf a, rb_vf b, rb_vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline rb_vf rb_vf_fnmadd(rb_vf a, rb_vf b, rb_vf c) { return _mm256_fnmadd_ps(a, b, c); }
/* maxps returns its second operand when either is NaN: NaN in b wins. */
static inline rb_vf rb_vf_max(rb_vf a, rb_vf b) { return _mm256_max_ps(a, b); }
static inline rb_vf rb_vf_min(rb_vf a, rb_vf b) { return _mm256_min_ps(a, b); }

static inline rb_vf rb_vf_and(rb_vf a, rb_vf b) { return _mm256_and_ps(a, b); }
static inline rb_vf rb_vf_or(rb_vf a, rb_vf b) { return _mm256_or_ps(a, b); }
static inline rb_vf rb_vf_abs(rb_vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
static inline rb_vf rb_vf_neg(rb_vf a) { return _mm256_xor_ps(_mm256_set1_ps(-0.0f), a); }
static inline rb_vf rb_vf_round(rb_vf a)
{
    return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline rb_vm rb_vf_cmplt(rb_vf a, rb_vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline rb_vf rb_vf_select(rb_vm m, rb_vf a, rb_vf b) { return _mm256_blendv_ps(b, a, m); }

static inline rb_vi rb_vi_set1(int32_t a) { return _mm256_set1_epi32(a); }
static inline rb_vi rb_vi_add(rb_vi a, rb_vi b) { return _mm256_add_epi32(a, b); }
static inline rb_vi rb_vi_sub(rb_vi a, rb_vi b) { return _mm256_sub_epi32(a, b); }
#define rb_vi_slli(a, imm) _mm256_slli_epi32((a), (imm))
#define rb_vi_srai(a, imm) _mm256_srai_epi32((a), (imm))
/* cvtps2dq rounds by MXCSR, nearest-even unless someone changed it. */
static inline rb_vi rb_vf_to_vi(rb_vf a) { return _mm256_cvtps_epi32(a); }
static inline rb_vf rb_vi_as_vf(rb_vi a) { return _mm256_castsi256_ps(a); }

#endif /* RB_VEC_AVX2_H */
