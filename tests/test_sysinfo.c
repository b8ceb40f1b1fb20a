/*
 * test_sysinfo.c: machine description, measured ceilings, ISA cap and the
 * thread-binding description (kernels/platform/cpu.c, harness/sysinfo.c,
 * topology.c, probes.c, bandwidth.c, affinity.c).
 *
 * The JSON is checked by a small strict validator written here (RFC 8259
 * grammar, no extensions), so the test depends on nothing but cmocka; the
 * validator has its own test, on documents it must accept and reject,
 * since a checker that accepts everything proves nothing.
 * The ceilings are measured once, in quick mode, in the group setup.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* setenv, unsetenv */
#endif

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../harness/affinity.h"
#include "../kernels/platform/cpu.h"
#include "../harness/sysinfo.h"

/* ------------------------------------------------------ JSON validator */

typedef struct {
    const char *p;
    int depth;
} jp;

static void ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
        j->p++;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int j_string(jp *j)
{
    if (*j->p != '"')
        return 0;
    j->p++;
    for (;;) {
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20) /* also the end of the text */
            return 0;
        if (c == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!is_hex(j->p[i]))
                        return 0;
                j->p += 5;
            } else if (*j->p && strchr("\"\\/bfnrt", *j->p)) {
                j->p++;
            } else {
                return 0;
            }
        } else {
            j->p++;
        }
    }
}

static int digits(jp *j)
{
    const char *s = j->p;
    while (*j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

static int j_number(jp *j)
{
    if (*j->p == '-')
        j->p++;
    if (*j->p == '0')
        j->p++;
    else if (!digits(j))
        return 0;
    if (*j->p == '.') {
        j->p++;
        if (!digits(j))
            return 0;
    }
    if (*j->p == 'e' || *j->p == 'E') {
        j->p++;
        if (*j->p == '+' || *j->p == '-')
            j->p++;
        if (!digits(j))
            return 0;
    }
    return 1;
}

static int j_value(jp *j);

static int j_container(jp *j, char open, char close)
{
    if (*j->p != open || ++j->depth > 64)
        return 0;
    j->p++;
    ws(j);
    if (*j->p == close) {
        j->p++;
        j->depth--;
        return 1;
    }
    for (;;) {
        ws(j);
        if (open == '{') {
            if (!j_string(j))
                return 0;
            ws(j);
            if (*j->p != ':')
                return 0;
            j->p++;
            ws(j);
        }
        if (!j_value(j))
            return 0;
        ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != close)
            return 0;
        j->p++;
        j->depth--;
        return 1;
    }
}

static int j_value(jp *j)
{
    switch (*j->p) {
    case '{': return j_container(j, '{', '}');
    case '[': return j_container(j, '[', ']');
    case '"': return j_string(j);
    case 't': return strncmp(j->p, "true", 4) == 0 ? (j->p += 4, 1) : 0;
    case 'f': return strncmp(j->p, "false", 5) == 0 ? (j->p += 5, 1) : 0;
    case 'n': return strncmp(j->p, "null", 4) == 0 ? (j->p += 4, 1) : 0;
    default: return j_number(j);
    }
}

/* 1 if s is exactly one JSON value, with optional whitespace around it. */
static int json_valid(const char *s)
{
    jp j = {s, 0};
    ws(&j);
    if (!j_value(&j))
        return 0;
    ws(&j);
    return *j.p == '\0';
}

/* The text after `"key":` (whitespace skipped), or NULL if the key is
 * absent. Good enough for our flat-named keys: each appears once. */
static const char *json_after_key(const char *s, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(s, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\n')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ' || *p == '\n')
        p++;
    return p;
}

/* --------------------------------------------------------- fixtures */

static rb_sysinfo measured;  /* quick measurement, shared by the tests */
static char json_pretty[32768], json_compact[32768];

static void to_string(const rb_sysinfo *si, int indent, char *out, size_t n)
{
    FILE *f = tmpfile();
    size_t got;
    assert_non_null(f);
    rb_sysinfo_print_json(si, f, indent);
    rewind(f);
    got = fread(out, 1, n - 1, f);
    out[got] = '\0';
    assert_true(got < n - 1); /* not truncated */
    fclose(f);
}

static int group_setup(void **state)
{
    (void)state;
    unsetenv("RNNBENCH_ISA");
    rb_sysinfo_collect(&measured, RB_SYSINFO_MEASURE_QUICK);
    return 0;
}

/* ------------------------------------------------------------ tests */

static void test_json_validator(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\n\"", "null", "true",
        " {\"a\": [1, 2, {\"b\": null}], \"c\": \"\\\\\"} ",
        "{\"k\": \"caf\xc3\xa9\"}",
    };
    static const char *const bad[] = {
        "", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "[1,]", "{a:1}",
        "\"\x01\"", "\"tab\there\"", "{\"a\":1} x", "01", "1.", ".5", "-",
        "1e", "nul", "\"\\x\"", "\"\\u12g4\"", "NaN", "inf", "{\"a\" 1}",
        "\"unterminated",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!json_valid(good[i]))
            fail_msg("validator rejected valid JSON: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (json_valid(bad[i]))
            fail_msg("validator accepted invalid JSON: %s", bad[i]);
}

static void test_json_valid_and_complete(void **state)
{
    (void)state;
    static const char *const keys[] = {
        "cpu_model", "hostname", "isa_flags", "best_isa", "compiler", "cflags",
        "openmp", "topology", "packages", "numa_nodes", "cores", "pus",
        "caches", "source", "peak_gflops_core", "peak_gflops_all",
        "bandwidth_gbs", "max_threads", "OMP_PLACES", "OMP_PROC_BIND",
        "OMP_NUM_THREADS", "binding",
    };
    to_string(&measured, 0, json_pretty, sizeof json_pretty);
    to_string(&measured, -1, json_compact, sizeof json_compact);
    if (!json_valid(json_pretty))
        fail_msg("invalid JSON:\n%s", json_pretty);
    if (!json_valid(json_compact))
        fail_msg("invalid JSON:\n%s", json_compact);
    assert_null(strchr(json_compact, '\n'));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (!json_after_key(json_pretty, keys[i]))
            fail_msg("key \"%s\" missing from:\n%s", keys[i], json_pretty);
        assert_non_null(json_after_key(json_compact, keys[i]));
    }
    /* measured: numbers, not null */
    assert_true(strncmp(json_after_key(json_pretty, "peak_gflops_core"), "null", 4) != 0);
    assert_true(strncmp(json_after_key(json_pretty, "bandwidth_gbs"), "null", 4) != 0);
    const char *src = json_after_key(json_pretty, "source");
    assert_true(strncmp(src, "\"hwloc\"", 7) == 0 || strncmp(src, "\"sysconf\"", 9) == 0);
}

static void test_json_unmeasured_is_null(void **state)
{
    (void)state;
    static rb_sysinfo si;
    static char buf[32768];
    rb_sysinfo_collect(&si, RB_SYSINFO_MEASURE_NONE);
    to_string(&si, 2, buf, sizeof buf);
    assert_true(json_valid(buf));
    assert_true(strncmp(json_after_key(buf, "peak_gflops_core"), "null", 4) == 0);
    assert_true(strncmp(json_after_key(buf, "peak_gflops_all"), "null", 4) == 0);
    assert_true(strncmp(json_after_key(buf, "bandwidth_gbs"), "null", 4) == 0);
}

/* Hostile strings must still give valid JSON, and be escaped, not dropped. */
static void test_json_escapes(void **state)
{
    (void)state;
    static rb_sysinfo si;
    static char buf[32768];
    si = measured;
    snprintf(si.hostname, sizeof si.hostname, "a\"b\\c\nd\te\x01" "f\x7f" "g\xff" "h\xc3\xa9");
    snprintf(si.cflags, sizeof si.cflags, "-DX=\"\\\"y\\\"\"");
    snprintf(si.cpu_model, sizeof si.cpu_model, "\xe2\x82"); /* truncated UTF-8 */
    to_string(&si, 4, buf, sizeof buf);
    if (!json_valid(buf))
        fail_msg("invalid JSON:\n%s", buf);
    assert_non_null(strstr(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007fg\\ufffdh\xc3\xa9\""));
    assert_non_null(strstr(buf, "\"\\ufffd\\ufffd\""));
}

static void test_ceilings_sane(void **state)
{
    (void)state;
    /* 64 FLOP/cycle (2 x 512-bit FMA) at 6 GHz: no core does more. */
    const double per_core_max = 64.0 * 6.0;
    assert_true(measured.measured);
    assert_true(measured.peak_threads >= 1);
    assert_true(isfinite(measured.peak_gflops_core));
    assert_true(measured.peak_gflops_core > 0.0);
    assert_true(measured.peak_gflops_core < per_core_max);
    assert_true(isfinite(measured.peak_gflops_all));
    assert_true(measured.peak_gflops_all > 0.0);
    assert_true(measured.peak_gflops_all < per_core_max * measured.peak_threads);
    assert_true(isfinite(measured.bandwidth_gbs));
    assert_true(measured.bandwidth_gbs > 0.0);
    assert_true(measured.bandwidth_gbs < 10000.0);
    assert_true(measured.cpu_share > 0.0 && measured.cpu_share <= 1.5);
}

/* The bound's ceilings (issue 11): every level whose size is known has a
 * read bandwidth, DRAM always; the barrier is timed for a team, 0 alone;
 * both are in the JSON (null when not measured) and the text. No speed
 * is asserted, only that something positive and finite was measured. */
/* The text report of si, in buf. */
static void text_report(const rb_sysinfo *si, char *buf, size_t n)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    rb_sysinfo_print_text(si, f);
    rewind(f);
    buf[fread(buf, 1, n - 1, f)] = '\0';
    fclose(f);
}

static void test_levels_and_barrier(void **state)
{
    (void)state;
    const long kib[3] = {measured.l1d_kib, measured.l2_kib, measured.l3_kib};
    for (int l = 0; l < 4; l++) {
        if (l < 3 && kib[l] <= 0) continue;
        if (!(isfinite(measured.level_bw_core_gbs[l]) && measured.level_bw_core_gbs[l] > 0 &&
              isfinite(measured.level_bw_all_gbs[l]) && measured.level_bw_all_gbs[l] > 0 &&
              measured.level_ws_kib[l] > 0))
            fail_msg("level %d: %g / %g GB/s on %g KiB", l, measured.level_bw_core_gbs[l],
                     measured.level_bw_all_gbs[l], measured.level_ws_kib[l]);
    }
    assert_true(isfinite(measured.barrier_us) && measured.barrier_us >= 0);
    if (measured.peak_threads > 1) assert_true(measured.barrier_us > 0);
    assert_true(rb_measure_barrier_s(1, 3, 10) == 0);
    assert_true(rb_measure_read_gbs(4096, 1, 0.0005, 1, NULL) > 0);

    static char buf[32768];
    to_string(&measured, 2, buf, sizeof buf);
    assert_non_null(json_after_key(buf, "read_bandwidth_gbs"));
    assert_true(strncmp(json_after_key(buf, "barrier_us"), "null", 4) != 0);
    static rb_sysinfo none;
    rb_sysinfo_collect(&none, RB_SYSINFO_MEASURE_NONE);
    to_string(&none, 2, buf, sizeof buf);
    assert_true(json_valid(buf));
    assert_true(strncmp(json_after_key(buf, "barrier_us"), "null", 4) == 0);

    text_report(&measured, buf, sizeof buf);
    assert_non_null(strstr(buf, "Read bw:"));
    assert_non_null(strstr(buf, "Barrier:"));
}

static void test_peak_no_probe_is_zero(void **state)
{
    (void)state;
    /* An ISA of the other architecture has no probe in this build. */
#if defined(__x86_64__)
    assert_true(rb_measure_peak_gflops(RB_ISA_NEON, 1, 0.001, 1, NULL) == 0.0);
#elif defined(__aarch64__)
    assert_true(rb_measure_peak_gflops(RB_ISA_AVX512, 1, 0.001, 1, NULL) == 0.0);
#endif
    double share = -1.0;
    assert_true(rb_measure_peak_gflops(RB_ISA_SCALAR, 1, 0.002, 2, &share) > 0.0);
    assert_true(share > 0.0);
}

static void test_isa_basics(void **state)
{
    (void)state;
    rb_isa got;
    assert_int_equal(rb_cpu_has(RB_ISA_SCALAR), 1);
    for (int i = 0; i < RB_NISAS; i++) {
        assert_int_equal(rb_isa_parse(rb_isa_name((rb_isa)i), &got), 0);
        assert_int_equal(got, i);
        /* the cap never adds what the hardware lacks */
        if (!rb_cpu_has_hw((rb_isa)i))
            assert_int_equal(rb_cpu_has((rb_isa)i), 0);
    }
    assert_int_equal(rb_isa_parse("sse", &got), -1);
    assert_int_equal(rb_isa_parse(NULL, &got), -1);
    assert_true(rb_cpu_has(rb_cpu_best_isa()));
#if defined(__aarch64__)
    assert_int_equal(rb_cpu_has(RB_ISA_NEON), 1);
#endif
    char flags[512];
    rb_cpu_isa_flags(flags, sizeof flags);
    if (rb_cpu_has_hw(RB_ISA_AVX512))
        assert_non_null(strstr(flags, "avx512f"));
    if (rb_cpu_has_hw(RB_ISA_AVX2))
        assert_non_null(strstr(flags, "avx2"));
    char tiny[4];
    rb_cpu_isa_flags(tiny, sizeof tiny); /* must not overflow */
    assert_true(strlen(tiny) < sizeof tiny);
}

static void test_isa_cap(void **state)
{
    (void)state;
    setenv("RNNBENCH_ISA", "avx2", 1);
    assert_int_equal(rb_cpu_has(RB_ISA_AVX512), 0);
    assert_int_equal(rb_cpu_has(RB_ISA_AVX2), rb_cpu_has_hw(RB_ISA_AVX2));
    assert_int_equal(rb_cpu_has(RB_ISA_SCALAR), 1);
    assert_true(rb_cpu_best_isa() != RB_ISA_AVX512);
    assert_string_equal(rb_cpu_isa_cap(), "avx2");

    setenv("RNNBENCH_ISA", "scalar", 1);
    assert_int_equal(rb_cpu_has(RB_ISA_AVX2), 0);
    assert_int_equal(rb_cpu_has(RB_ISA_AVX512), 0);
    assert_int_equal(rb_cpu_has(RB_ISA_NEON), 0);
    assert_int_equal(rb_cpu_best_isa(), RB_ISA_SCALAR);

    setenv("RNNBENCH_ISA", "bogus", 1); /* ignored, with a warning */
    assert_null(rb_cpu_isa_cap());
    assert_int_equal(rb_cpu_has(RB_ISA_AVX512), rb_cpu_has_hw(RB_ISA_AVX512));

    unsetenv("RNNBENCH_ISA");
    for (int i = 0; i < RB_NISAS; i++)
        assert_int_equal(rb_cpu_has((rb_isa)i), rb_cpu_has_hw((rb_isa)i));
}

static int count_threads(const char *s)
{
    int k = 0;
    char pat[32];
    for (;;) {
        snprintf(pat, sizeof pat, " t%d->", k);
        if (!strstr(s, pat))
            return k;
        k++;
    }
}

static void test_affinity_describe(void **state)
{
    (void)state;
    char buf[8192], want[32];
    for (int threads = 1; threads <= 2; threads++) {
        int team = rb_affinity_describe(buf, sizeof buf, threads);
        assert_int_equal(team, threads);
        assert_int_equal(count_threads(buf), threads);
        snprintf(want, sizeof want, "threads=%d:", threads);
        assert_non_null(strstr(buf, want));
        assert_non_null(strstr(buf, "OMP_PLACES="));
        assert_null(strchr(buf, '\n'));
    }
    /* Truncation keeps the string terminated and says so. */
    char small[24];
    rb_affinity_describe(small, sizeof small, 2);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_string_equal(small + sizeof small - 4, "...");
}

static void test_text_report(void **state)
{
    (void)state;
    static char buf[16384];
    text_report(&measured, buf, sizeof buf);
    assert_non_null(strstr(buf, "CPU:"));
    assert_non_null(strstr(buf, "Peak:"));
    assert_non_null(strstr(buf, "Binding:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_validator),
        cmocka_unit_test(test_json_valid_and_complete),
        cmocka_unit_test(test_json_unmeasured_is_null),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_ceilings_sane),
        cmocka_unit_test(test_levels_and_barrier),
        cmocka_unit_test(test_peak_no_probe_is_zero),
        cmocka_unit_test(test_isa_basics),
        cmocka_unit_test(test_isa_cap),
        cmocka_unit_test(test_affinity_describe),
        cmocka_unit_test(test_text_report),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
