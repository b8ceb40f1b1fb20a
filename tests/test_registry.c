/*
 * test_registry.c: the registry as data. The typed ISA and parallel kind
 * agree with the printed strings, "uses a team" comes from the kind's table,
 * and rb_variant_why_not gives each of its reasons, in order: a variant
 * that does not implement a cell is refused with "does not implement this
 * cell", never run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../kernels/platform/cpu.h"
#include "../variants/variant.h"

extern const rb_variant_ops rb_ops_naive;

static const char *why(const rb_variant *v, rb_cell c, int threads)
{
    const rb_problem p = {.s = {.cell = c, .T = 2, .N = 3, .I = 4, .H = 5}, .threads = threads};
    return rb_variant_why_not(v, &p);
}

/* Every line: the enums say what the strings say. */
static void test_typed_fields_match_strings(void **state)
{
    (void)state;
    static const char *const isas[RB_NVISAS] = {"scalar", "avx2", "avx512", "neon", "library"};
    static const char *const pars[RB_NPARS] = {"serial", "omp_batch", "omp_hidden", "omp_grid", "library"};
    assert_true(rb_variant_count() > 0);
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        assert_in_range(v->isa_kind, 0, RB_NVISAS - 1);
        assert_in_range(v->par_kind, 0, RB_NPARS - 1);
        assert_string_equal(v->isa, isas[v->isa_kind]);
        assert_string_equal(v->parallel, pars[v->par_kind]);
        assert_int_equal(v->features & ~RB_FEAT_NET, 0); /* network features only, no stray bits */
        assert_int_equal(v->cells & ~RB_ALL_CELLS, 0);
        assert_true(v->cells != 0);
        assert_int_equal(rb_variant_is_parallel(v), v->par_kind != RB_PAR_SERIAL);
        assert_ptr_equal(rb_variant_find(v->name), v);
    }
    assert_false(rb_parallel_uses_team(RB_PAR_SERIAL));
    assert_true(rb_parallel_uses_team(RB_PAR_OMP_BATCH));
    assert_true(rb_parallel_uses_team(RB_PAR_OMP_HIDDEN));
    assert_true(rb_parallel_uses_team(RB_PAR_OMP_GRID));
    assert_true(rb_parallel_uses_team(RB_PAR_LIBRARY));
    assert_false(rb_parallel_uses_team(RB_NPARS)); /* out of range: no team */
}

static const char *nope(void) { return "the fake library is switched off"; }

/* A registry line that implements lstm alone, built around naive's ops. */
static void test_why_not_reasons_in_order(void **state)
{
    (void)state;
    rb_variant_ops ops = rb_ops_naive;
    rb_variant v = {.name = "fake", .isa = "scalar", .parallel = "serial", .isa_kind = RB_VISA_SCALAR,
                    .par_kind = RB_PAR_SERIAL, .summary = "test", .cells = RB_CELL_BIT(RB_LSTM),
                    .ops = &ops};
    assert_null(why(&v, RB_LSTM, 1));
    assert_null(why(&v, RB_LSTM, 8)); /* a serial variant runs any team size as one thread */
    assert_string_equal(why(&v, RB_GRU, 1), "does not implement this cell");
    assert_string_equal(why(&v, RB_RNN_TANH, 1), "does not implement this cell");
    assert_non_null(why(&v, RB_LSTM, 0));
    assert_null(rb_variant_why_not_any(&v));

    ops.unavailable = nope; /* the variant's own reason comes before the cell's */
    assert_string_equal(why(&v, RB_GRU, 1), "the fake library is switched off");
    assert_string_equal(rb_variant_why_not_any(&v), "the fake library is switched off");

    v.ops = NULL; /* not built: the build's reason first */
    v.not_built = "not in this build";
    assert_string_equal(why(&v, RB_LSTM, 1), "not in this build");

    v.ops = &ops;
    v.cells = 0;
    assert_string_equal(rb_variant_why_not_any(&v), "implements no cell");
}

/* The CPU's reason: a variant that needs AVX2 is refused once RNNBENCH_ISA
 * caps the CPU at scalar, whatever the cell. */
static void test_why_not_cpu(void **state)
{
    (void)state;
    rb_variant_ops ops = rb_ops_naive;
    ops.unavailable = NULL;
    rb_variant v = {.name = "fake_avx2", .isa = "avx2", .parallel = "omp_batch", .isa_kind = RB_VISA_AVX2,
                    .par_kind = RB_PAR_OMP_BATCH, .summary = "test", .cells = RB_ALL_CELLS, .ops = &ops};
    setenv("RNNBENCH_ISA", "scalar", 1);
    const char *w = why(&v, RB_LSTM, 2);
    unsetenv("RNNBENCH_ISA");
    assert_non_null(w);
    assert_non_null(strstr(w, "AVX2"));
    if (rb_cpu_has(RB_ISA_AVX2)) assert_null(why(&v, RB_LSTM, 2));
    else assert_string_equal(why(&v, RB_LSTM, 2), w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typed_fields_match_strings),
        cmocka_unit_test(test_why_not_reasons_in_order),
        cmocka_unit_test(test_why_not_cpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
