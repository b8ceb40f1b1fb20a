/*
 * test_json.c: the one JSON writer and the strict JSON reader
 * (harness/json.h), and the JSON rnnbench prints: good documents parse to
 * the right values, every kind of malformed one is an error (never a read
 * past the text: the texts are exact-size heap copies, so ASan sees any
 * overread under make SANITIZE=1), the writer's output always reads back,
 * and `info --json` is one object ending with a newline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli_run.h"

#include "../harness/json.h"

/* Parses an exact-size copy of s (no NUL after it). */
static rb_json *parse(const char *s, size_t n, char *err, size_t errlen)
{
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, s, n);
    rb_json *v = rb_json_parse(copy, n, err, errlen);
    free(copy);
    return v;
}

static rb_json *parse_str(const char *s)
{
    char err[256];
    rb_json *v = parse(s, strlen(s), err, sizeof err);
    if (!v) fail_msg("rejected %s: %s", s, err);
    return v;
}

static void test_reads_good_documents(void **state)
{
    (void)state;
    rb_json *v = parse_str(" {\"a\": [1, -2.5e3, true, false, null, \"x\"], \"b\": {}, \"c\": []}\n");
    assert_int_equal(v->type, RB_JSON_OBJECT);
    const rb_json *a = rb_json_get(v, "a");
    assert_non_null(a);
    assert_int_equal(a->type, RB_JSON_ARRAY);
    const rb_json *e = a->child;
    assert_int_equal(e->type, RB_JSON_NUMBER);
    assert_true(e->num == 1);
    e = e->next;
    assert_true(e->num == -2500);
    assert_string_equal(e->str, "-2.5e3");
    assert_int_equal((e = e->next)->type, RB_JSON_TRUE);
    assert_int_equal((e = e->next)->type, RB_JSON_FALSE);
    assert_int_equal((e = e->next)->type, RB_JSON_NULL);
    assert_int_equal((e = e->next)->type, RB_JSON_STRING);
    assert_string_equal(e->str, "x");
    assert_null(e->next);
    assert_int_equal(rb_json_get(v, "b")->type, RB_JSON_OBJECT);
    assert_null(rb_json_get(v, "b")->child);
    assert_null(rb_json_get(v, "missing"));
    rb_json_free(v);

    /* escapes: the short ones, \u in the BMP, a surrogate pair, raw UTF-8 */
    v = parse_str("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 \xc3\xa9\"");
    assert_string_equal(v->str, "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 \xc3\xa9");
    rb_json_free(v);
    v = parse_str("0");
    assert_true(v->num == 0);
    rb_json_free(v);
}

static void test_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", " ", "{", "}", "[1,]", "[,1]", "{\"a\":}", "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "{'a':1}",
        "01", "1.", ".5", "-", "1e", "+1", "0x10", "tru", "nul", "[1] 2", "{} {}", "\"abc", "\"a\nb\"",
        "\"\\x\"", "\"\\u1\"", "\"\\u12\"", "\"\\u123\"", "\"\\u12G4\"", "\"\\u1", "\"\\", "\"\\u",
        "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\\u0000\"", "\"\xff\"", "\"\xc3\"",
        "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "[1 2]", "/* c */ 1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        rb_json *v = parse(bad[i], strlen(bad[i]), err, sizeof err);
        if (v) fail_msg("accepted malformed #%zu: %s", i, bad[i]);
        assert_true(err[0] != '\0');
        assert_non_null(strstr(err, "at byte"));
    }
    /* nesting far deeper than the limit: an error, not a stack overflow */
    char deep[4001];
    memset(deep, '[', 4000);
    deep[4000] = '\0';
    char err[256];
    assert_null(parse(deep, 4000, err, sizeof err));
    assert_non_null(strstr(err, "nested"));
    /* within the limit it parses */
    char ok[2 * RB_JSON_MAX_DEPTH + 1];
    memset(ok, '[', RB_JSON_MAX_DEPTH);
    memset(ok + RB_JSON_MAX_DEPTH, ']', RB_JSON_MAX_DEPTH);
    rb_json *v = parse(ok, 2 * RB_JSON_MAX_DEPTH, err, sizeof err);
    assert_non_null(v);
    rb_json_free(v);
}

/* The meta.json of issue 9: 2^20 - 1 bytes ending in \u1, which made the
 * old reader step past the end of its buffer. */
static void test_crafted_u_escape_at_end(void **state)
{
    (void)state;
    const size_t n = (1u << 20) - 1;
    char *t = malloc(n);
    assert_non_null(t);
    const char *head = "{\"argv\": [\"rnnbench\", \"sweep\", \"";
    memcpy(t, head, strlen(head));
    memset(t + strlen(head), 'a', n - strlen(head) - 3);
    memcpy(t + n - 3, "\\u1", 3);
    char err[256];
    assert_null(rb_json_parse(t, n, err, sizeof err));
    assert_non_null(strstr(err, "\\u"));
    free(t);
}

static char *write_string(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    rb_json_string(m, s);
    fclose(m);
    return buf;
}

static void test_writer_escapes_and_reads_back(void **state)
{
    (void)state;
    static const struct { const char *in, *json, *back; } cases[] = {
        {"plain", "\"plain\"", "plain"},
        {"q\"b\\n\nt\tc\x01", "\"q\\\"b\\\\n\\nt\\tc\\u0001\"", "q\"b\\n\nt\tc\x01"},
        {"\xc3\xa9 \xf0\x9f\x98\x80", "\"\xc3\xa9 \xf0\x9f\x98\x80\"", "\xc3\xa9 \xf0\x9f\x98\x80"},
        /* invalid UTF-8 (a latin-1 byte, a cut sequence, a surrogate) */
        {"a\xff" "b\xc3", "\"a\\ufffdb\\ufffd\"", "a\xef\xbf\xbd" "b\xef\xbf\xbd"},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = write_string(cases[i].in);
        assert_string_equal(j, cases[i].json);
        rb_json *v = parse_str(j);
        assert_int_equal(v->type, RB_JSON_STRING);
        assert_string_equal(v->str, cases[i].back);
        rb_json_free(v);
        free(j);
    }
    char *j = write_string(NULL);
    assert_string_equal(j, "null");
    free(j);

    /* an object, pretty and on one line */
    for (int indent = -1; indent <= 2; indent += 3) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        rb_jw w;
        rb_jw_begin(&w, m, indent);
        rb_jw_str(&w, "s", "v");
        rb_jw_int(&w, "n", 3);
        rb_jw_int(&w, "unknown", -1);
        rb_jw_num(&w, "x", 0.5);
        rb_jw_num(&w, "nan", 0.0 / 0.0);
        rb_jw_open(&w, "o");
        rb_jw_close(&w);
        rb_jw_close(&w);
        fclose(m);
        rb_json *v = parse_str(buf);
        assert_string_equal(rb_json_get(v, "s")->str, "v");
        assert_true(rb_json_get(v, "n")->num == 3);
        assert_int_equal(rb_json_get(v, "unknown")->type, RB_JSON_NULL);
        assert_int_equal(rb_json_get(v, "nan")->type, RB_JSON_NULL);
        assert_int_equal(rb_json_get(v, "o")->type, RB_JSON_OBJECT);
        assert_true((strchr(buf, '\n') != NULL) == (indent >= 0));
        rb_json_free(v);
        free(buf);
    }
}

static void test_info_json_ends_with_newline(void **state)
{
    (void)state;
    char out[] = "/tmp/rnnbench-test-json-XXXXXX", err[4096];
    rb_cli_tmpfile(out);
    assert_int_equal(rb_cli_run("info --json --no-measure", out, err, sizeof err), 0);
    char *text = rb_cli_slurp(out);
    unlink(out);
    assert_non_null(text);
    size_t n = strlen(text);
    assert_true(n >= 3);
    assert_string_equal(text + n - 2, "}\n");
    char perr[256];
    rb_json *v = rb_json_parse(text, n, perr, sizeof perr);
    if (!v) fail_msg("info --json: %s", perr);
    assert_non_null(rb_json_get(v, "topology"));
    rb_json_free(v);
    free(text);
    rb_cli_expect_error("info --jsn", "unknown option");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_good_documents),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_crafted_u_escape_at_end),
        cmocka_unit_test(test_writer_escapes_and_reads_back),
        cmocka_unit_test(test_info_json_ends_with_newline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
