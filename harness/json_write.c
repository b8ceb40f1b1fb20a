/*
 * json_write.c: the JSON writer (json.h): one string escaper, and an
 * object writer that keeps the commas and the indentation right.
 */
#include <math.h>
#include <string.h>

#include "json.h"

void rb_json_string(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    fputc('"', f);
    while (*p) {
        int len;
        switch (*p) {
        case '"': fputs("\\\"", f); p++; continue;
        case '\\': fputs("\\\\", f); p++; continue;
        case '\n': fputs("\\n", f); p++; continue;
        case '\r': fputs("\\r", f); p++; continue;
        case '\t': fputs("\\t", f); p++; continue;
        case '\b': fputs("\\b", f); p++; continue;
        case '\f': fputs("\\f", f); p++; continue;
        default: break;
        }
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p);
            p++;
        } else if ((len = rb_utf8_len(p, end)) > 0) {
            fwrite(p, 1, (size_t)len, f);
            p += len;
        } else {
            fputs("\\ufffd", f);
            p++;
        }
    }
    fputc('"', f);
}

static void newline(rb_jw *w)
{
    if (w->indent < 0) return;
    fputc('\n', w->f);
    for (int i = 0; i < w->indent + 2 * w->depth; i++) fputc(' ', w->f);
}

void rb_jw_begin(rb_jw *w, FILE *f, int indent)
{
    w->f = f;
    w->indent = indent;
    w->depth = 0;
    w->first[0] = 1;
    rb_jw_open(w, NULL);
}

void rb_jw_key(rb_jw *w, const char *k)
{
    if (!w->first[w->depth]) fputc(',', w->f);
    if (w->indent < 0 && !w->first[w->depth]) fputc(' ', w->f);
    w->first[w->depth] = 0;
    newline(w);
    rb_json_string(w->f, k);
    fputs(": ", w->f);
}

void rb_jw_open(rb_jw *w, const char *k)
{
    if (k) rb_jw_key(w, k);
    fputc('{', w->f);
    if (w->depth + 1 < RB_JW_MAX_DEPTH) w->depth++;
    w->first[w->depth] = 1;
}

void rb_jw_close(rb_jw *w)
{
    int empty = w->first[w->depth];
    if (w->depth > 0) w->depth--;
    if (!empty) newline(w);
    fputc('}', w->f);
}

void rb_jw_str(rb_jw *w, const char *k, const char *v)
{
    rb_jw_key(w, k);
    rb_json_string(w->f, v);
}

void rb_jw_int(rb_jw *w, const char *k, long v)
{
    rb_jw_key(w, k);
    if (v < 0) fputs("null", w->f);
    else fprintf(w->f, "%ld", v);
}

void rb_jw_num(rb_jw *w, const char *k, double v)
{
    rb_jw_key(w, k);
    if (isfinite(v)) fprintf(w->f, "%.6g", v);
    else fputs("null", w->f);
}
