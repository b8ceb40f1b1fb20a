/*
 * json_read.c: the strict JSON reader (json.h). Recursive descent over
 * [p, end): every read checks the end first, so no input can make it read
 * past the text, and every allocation is freed on the error path.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct {
    const unsigned char *start, *p, *end;
    char *err;
    size_t errlen;
    int failed;
} reader;

static void fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(reader *r, const char *fmt, ...)
{
    if (r->failed) return;
    r->failed = 1;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s at byte %zu", what, (size_t)(r->p - r->start));
}

static void skip_ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

/* A growing byte buffer for one decoded string. */
typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static int put(sbuf *b, const unsigned char *c, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (b->n + n + 1 > cap) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) return -1;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->n, c, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

int rb_utf8_len(const unsigned char *p, const unsigned char *end)
{
    int len;
    unsigned cp, min;
    if (p[0] < 0x80) return 1;
    if ((p[0] & 0xe0) == 0xc0) len = 2, cp = p[0] & 0x1fu, min = 0x80;
    else if ((p[0] & 0xf0) == 0xe0) len = 3, cp = p[0] & 0x0fu, min = 0x800;
    else if ((p[0] & 0xf8) == 0xf0) len = 4, cp = p[0] & 0x07u, min = 0x10000;
    else return 0;
    if (end - p < len) return 0;
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

/* Exactly four hex digits at p, or -1. */
static long hex4(reader *r)
{
    if (r->end - r->p < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = r->p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    r->p += 4;
    return v;
}

static int put_codepoint(sbuf *b, unsigned long cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) u[0] = (unsigned char)cp, n = 1;
    else if (cp < 0x800) u[0] = (unsigned char)(0xc0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xe0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        u[2] = (unsigned char)(0x80 | (cp & 63));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xf0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 63));
        u[3] = (unsigned char)(0x80 | (cp & 63));
        n = 4;
    }
    return put(b, u, n);
}

/* A string at r->p (which is at the opening quote); returns it malloc'ed. */
static char *parse_string(reader *r)
{
    sbuf b = {NULL, 0, 0};
    r->p++; /* the opening quote */
    if (put(&b, (const unsigned char *)"", 0) != 0) goto oom;
    for (;;) {
        if (r->p >= r->end) {
            fail(r, "unterminated string");
            goto bad;
        }
        unsigned char c = *r->p;
        if (c == '"') {
            r->p++;
            return b.s;
        }
        if (c < 0x20) {
            fail(r, "control character in a string");
            goto bad;
        }
        if (c != '\\') {
            int len = rb_utf8_len(r->p, r->end);
            if (!len) {
                fail(r, "invalid UTF-8");
                goto bad;
            }
            if (put(&b, r->p, (size_t)len) != 0) goto oom;
            r->p += len;
            continue;
        }
        r->p++;
        if (r->p >= r->end) {
            fail(r, "unterminated string");
            goto bad;
        }
        const char *simple = "\"\"\\\\//b\bf\fn\nr\rt\t";
        const char *m = NULL;
        for (const char *s = simple; *s; s += 2)
            if (*s == (char)*r->p) m = s;
        if (m) {
            if (put(&b, (const unsigned char *)m + 1, 1) != 0) goto oom;
            r->p++;
            continue;
        }
        if (*r->p != 'u') {
            fail(r, "bad escape \\%c", *r->p >= 0x20 && *r->p < 0x7f ? *r->p : '?');
            goto bad;
        }
        r->p++;
        long cp = hex4(r);
        if (cp < 0) {
            fail(r, "malformed \\u escape (needs 4 hex digits)");
            goto bad;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
            fail(r, "lone low surrogate in \\u escape");
            goto bad;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            long lo = -1;
            if (r->end - r->p >= 2 && r->p[0] == '\\' && r->p[1] == 'u') {
                r->p += 2;
                lo = hex4(r);
            }
            if (lo < 0xdc00 || lo > 0xdfff) {
                fail(r, "high surrogate without its low half in \\u escape");
                goto bad;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0) {
            fail(r, "\\u0000 in a string is not supported");
            goto bad;
        }
        if (put_codepoint(&b, (unsigned long)cp) != 0) goto oom;
    }
oom:
    fail(r, "out of memory");
bad:
    free(b.s);
    return NULL;
}

static int is_digit(reader *r) { return r->p < r->end && *r->p >= '0' && *r->p <= '9'; }

static void digits(reader *r)
{
    while (is_digit(r)) r->p++;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static char *parse_number(reader *r, double *out)
{
    const unsigned char *s = r->p;
    if (r->p < r->end && *r->p == '-') r->p++;
    if (!is_digit(r)) goto bad;
    if (*r->p == '0') r->p++;
    else digits(r);
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!is_digit(r)) goto bad;
        digits(r);
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (!is_digit(r)) goto bad;
        digits(r);
    }
    size_t n = (size_t)(r->p - s);
    char *t = malloc(n + 1);
    if (!t) {
        fail(r, "out of memory");
        return NULL;
    }
    memcpy(t, s, n);
    t[n] = '\0';
    *out = strtod(t, NULL);
    return t;
bad:
    fail(r, "malformed number");
    return NULL;
}

static rb_json *parse_value(reader *r, int depth);

/* The elements of an array or the members of an object, after the
 * opening bracket; close is ']' or '}'. */
static int parse_items(reader *r, rb_json *parent, int depth, char close)
{
    rb_json **tail = &parent->child;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(r);
        if (close == '}') {
            if (r->p >= r->end || *r->p != '"') {
                fail(r, "expected a member name");
                return -1;
            }
            if (!(key = parse_string(r))) return -1;
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                fail(r, "expected ':'");
                return -1;
            }
            r->p++;
        }
        rb_json *v = parse_value(r, depth + 1);
        if (!v) {
            free(key);
            return -1;
        }
        v->key = key;
        *tail = v;
        tail = &v->next;
        skip_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 0;
        }
        fail(r, "expected ',' or '%c'", close);
        return -1;
    }
}

static int literal(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0) return 0;
    r->p += n;
    return 1;
}

static rb_json *parse_value(reader *r, int depth)
{
    if (depth > RB_JSON_MAX_DEPTH) {
        fail(r, "nested deeper than %d", RB_JSON_MAX_DEPTH);
        return NULL;
    }
    skip_ws(r);
    rb_json *v = calloc(1, sizeof *v);
    if (!v) {
        fail(r, "out of memory");
        return NULL;
    }
    if (r->p >= r->end) {
        fail(r, "unexpected end of text");
    } else if (*r->p == '{' || *r->p == '[') {
        char close = *r->p == '{' ? '}' : ']';
        v->type = close == '}' ? RB_JSON_OBJECT : RB_JSON_ARRAY;
        r->p++;
        if (parse_items(r, v, depth, close) == 0) return v;
    } else if (*r->p == '"') {
        v->type = RB_JSON_STRING;
        if ((v->str = parse_string(r))) return v;
    } else if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
        v->type = RB_JSON_NUMBER;
        if ((v->str = parse_number(r, &v->num))) return v;
    } else if (literal(r, "null")) {
        v->type = RB_JSON_NULL;
        return v;
    } else if (literal(r, "true")) {
        v->type = RB_JSON_TRUE;
        return v;
    } else if (literal(r, "false")) {
        v->type = RB_JSON_FALSE;
        return v;
    } else {
        fail(r, "unexpected character");
    }
    rb_json_free(v);
    return NULL;
}

rb_json *rb_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    reader r = {(const unsigned char *)text, (const unsigned char *)text,
                (const unsigned char *)text + len, err, errlen, 0};
    rb_json *v = parse_value(&r, 0);
    if (!v) return NULL;
    skip_ws(&r);
    if (r.p != r.end) {
        fail(&r, "text after the JSON value");
        rb_json_free(v);
        return NULL;
    }
    return v;
}

void rb_json_free(rb_json *v)
{
    while (v) {
        rb_json *next = v->next;
        rb_json_free(v->child);
        free(v->key);
        free(v->str);
        free(v);
        v = next;
    }
}

const rb_json *rb_json_get(const rb_json *obj, const char *key)
{
    if (!obj || obj->type != RB_JSON_OBJECT) return NULL;
    for (const rb_json *m = obj->child; m; m = m->next)
        if (strcmp(m->key, key) == 0) return m;
    return NULL;
}
