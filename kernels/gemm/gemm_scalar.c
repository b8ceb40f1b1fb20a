/*
 * gemm_scalar.c: the scalar engine of gemm.h. Packing is a plain copy of
 * op(B) as [K][Ncols]; the product is three loops. Portable and obviously
 * right: the reference every vectorized engine is tested against.
 */
#include <string.h>

#include "gemm.h"

static size_t scalar_packed_floats(int K, int Ncols) { return (size_t)K * (size_t)Ncols; }

static void scalar_pack_b_rows(float *Bp, int Ktot, int k0, int K, int Ncols, const float *B, int ldb,
                               unsigned flags)
{
    if (k0 < 0 || k0 + K > Ktot) return;
    const int b_trans = (flags & RB_TRANS_B) != 0;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < Ncols; j++)
            Bp[(size_t)(k0 + k) * Ncols + j] = b_trans ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
}

static void scalar_pack_b(float *Bp, int K, int Ncols, const float *B, int ldb, unsigned flags)
{
    scalar_pack_b_rows(Bp, K, 0, K, Ncols, B, ldb, flags);
}

/* One group (gemm.h) at C, Bp. */
static void scalar_run_one(const rb_gemm_op *op, float *C, const float *Bp)
{
    const int M = op->M, j0 = op->j0, j1 = op->j1, K = op->K, lda = op->lda, Ncols = op->Ncols, ldc = op->ldc;
    const float *A = op->A;
    const int a_trans = (op->flags & RB_TRANS_A) != 0, accumulate = (op->flags & RB_GEMM_ACCUMULATE) != 0;
    for (int m = 0; m < M; m++) {
        float *c = C + (size_t)m * ldc;
        if (!accumulate) memset(c + j0, 0, sizeof(float) * (size_t)(j1 - j0));
        for (int k = 0; k < K; k++) {
            const float a = a_trans ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k];
            const float *b = Bp + (size_t)k * Ncols;
            for (int j = j0; j < j1; j++) c[j] += a * b[j];
        }
    }
}

static void scalar_run(const rb_gemm_op *op)
{
    const int G = op->groups > 1 ? op->groups : 1;
    for (int g = 0; g < G; g++)
        scalar_run_one(op, op->C + (size_t)g * op->group_ldc,
                       op->Bp + (size_t)g * scalar_packed_floats(op->K, op->Ncols));
}

const rb_gemm rb_gemm_scalar = {
    .name = "scalar_1x1",
    .mr = 1,
    .nr = 1,
    .packed_floats = scalar_packed_floats,
    .pack_b = scalar_pack_b,
    .pack_b_rows = scalar_pack_b_rows,
    .run = scalar_run,
};
