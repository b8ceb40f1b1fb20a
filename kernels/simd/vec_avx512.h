/*
 * vec_avx512.h: the rb_vf vocabulary over AVX-512 (16 floats, __m512).
 *
 * Same names and meaning as vec_avx2.h, which documents the whole
 * vocabulary; read that list once. Differences that a kernel never sees:
 * lane masks are __mmask16 (one bit per lane), tails use masked loads and
 * stores (disabled lanes are neither read nor written, so they cannot
 * fault), and the float bit operations need AVX512DQ. Only files compiled
 * with the avx512/ flags (-mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma)
 * may include it.
 */
#ifndef RB_VEC_AVX512_H
#define RB_VEC_AVX512_H

#ifdef RB_VEC_ISA_INCLUDED
#error "include exactly one kernels/simd/vec_*.h per translation unit"
#endif
#define RB_VEC_ISA_INCLUDED 1

#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__FMA__)
#error "vec_avx512.h needs -mavx512f -mavx512dq -mfma (files under kernels/avx512/ get them)"
#endif

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

typedef __m512 rb_vf;
typedef __m512i rb_vi;
typedef __mmask16 rb_vm;

#define RB_VF_WIDTH 16
#define RB_VF_ALIGN 64
#define RB_VF_ISA "avx512"

static inline rb_vf rb_vf_zero(void) { return _mm512_setzero_ps(); }
static inline rb_vf rb_vf_set1(float a) { return _mm512_set1_ps(a); }
static inline rb_vf rb_vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline void rb_vf_storeu(float *p, rb_vf v) { _mm512_storeu_ps(p, v); }

/* n < 16, so the shift never reaches the width of unsigned. */
static inline __mmask16 rb_vf__tail_mask(size_t n)
{
    return (__mmask16)((1u << n) - 1u);
}
static inline rb_vf rb_vf_load_part(const float *p, size_t n)
{
    return _mm512_maskz_loadu_ps(rb_vf__tail_mask(n), p);
}
static inline void rb_vf_store_part(float *p, rb_vf v, size_t n)
{
    _mm512_mask_storeu_ps(p, rb_vf__tail_mask(n), v);
}

static inline rb_vf rb_vf_add(rb_vf a, rb_vf b) { return _mm512_add_ps(a, b); }
static inline rb_vf rb_vf_sub(rb_vf a, rb_vf b) { return _mm512_sub_ps(a, b); }
static inline rb_vf rb_vf_mul(rb_vf a, rb_vf b) { return _mm512_mul_ps(a, b); }
static inline rb_vf rb_vf_div(rb_vf a, rb_vf b) { return _mm512_div_ps(a, b); }
static inline rb_vf rb_vf_fmadd(rb_vf a, rb_vf b, rb_vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline rb_vf rb_vf_fnmadd(rb_vf a, rb_vf b, rb_vf c) { return _mm512_fnmadd_ps(a, b, c); }
/* vmaxps returns its second operand when either is NaN: NaN in b wins. */
static inline rb_vf rb_vf_max(rb_vf a, rb_vf b) { return _mm512_max_ps(a, b); }
static inline rb_vf rb_vf_min(rb_vf a, rb_vf b) { return _mm512_min_ps(a, b); }

static inline rb_vf rb_vf_and(rb_vf a, rb_vf b) { return _mm512_and_ps(a, b); }
static inline rb_vf rb_vf_or(rb_vf a, rb_vf b) { return _mm512_or_ps(a, b); }
static inline rb_vf rb_vf_abs(rb_vf a) { return _mm512_abs_ps(a); }
static inline rb_vf rb_vf_neg(rb_vf a) { return _mm512_xor_ps(_mm512_set1_ps(-0.0f), a); }
static inline rb_vf rb_vf_round(rb_vf a)
{
    return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

static inline rb_vm rb_vf_cmplt(rb_vf a, rb_vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
/* blend takes its second operand where the mask bit is set. */
static inline rb_vf rb_vf_select(rb_vm m, rb_vf a, rb_vf b) { return _mm512_mask_blend_ps(m, b, a); }

static inline rb_vi rb_vi_set1(int32_t a) { return _mm512_set1_epi32(a); }
static inline rb_vi rb_vi_add(rb_vi a, rb_vi b) { return _mm512_add_epi32(a, b); }
static inline rb_vi rb_vi_sub(rb_vi a, rb_vi b) { return _mm512_sub_epi32(a, b); }
#define rb_vi_slli(a, imm) _mm512_slli_epi32((a), (imm))
#define rb_vi_srai(a, imm) _mm512_srai_epi32((a), (imm))
/* The _round_ form fixes nearest-even whatever MXCSR says. */
static inline rb_vi rb_vf_to_vi(rb_vf a)
{
    return _mm512_cvt_roundps_epi32(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
static inline rb_vf rb_vi_as_vf(rb_vi a) { return _mm512_castsi512_ps(a); }

#endif /* RB_VEC_AVX512_H */
