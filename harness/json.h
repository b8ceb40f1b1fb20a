/*
 * json.h: the one JSON writer and the one JSON reader of rnnbench.
 *
 * Writer: rb_json_string() is the only string escaper (info --json,
 * meta.json, the sweep grid); the rb_jw_* calls write an object with keys
 * in order, pretty-printed or on one line. Output is always valid UTF-8.
 *
 * Reader: rb_json_parse() is strict (RFC 8259: one value, no trailing
 * text, no comments, valid UTF-8, well-formed escapes, no raw control
 * characters) and bounded by the length it is given, so a damaged or
 * hostile meta.json is an error message, never a read out of bounds.
 * Limits: nesting deeper than RB_JSON_MAX_DEPTH and \u0000 in a string
 * (C strings end at NUL) are refused.
 */
#ifndef RB_JSON_H
#define RB_JSON_H

#include <stddef.h>
#include <stdio.h>

/* Length of the valid UTF-8 sequence at p (p < end), or 0: not one,
 * overlong, beyond U+10FFFF, a surrogate, or cut short by end. Both the
 * writer and the reader hold strings to it. */
int rb_utf8_len(const unsigned char *p, const unsigned char *end);

/* ---------------------------------------------------------------- write */

/* s as a JSON string: quotes, backslashes and control characters escaped,
 * valid UTF-8 passed through, any other byte written as \ufffd (so the
 * file stays valid UTF-8 whatever the environment held). NULL: null. */
void rb_json_string(FILE *f, const char *s);

#define RB_JW_MAX_DEPTH 16

/* An object being written. indent >= 0: one key per line, nested lines
 * indented by indent + 2, 4, ... spaces, the closing brace by indent;
 * indent < 0: all on one line. The opening brace goes where the stream is,
 * so the object can follow a key written by other code. */
typedef struct {
    FILE *f;
    int indent;
    int depth;
    int first[RB_JW_MAX_DEPTH]; /* no key written yet at this depth */
} rb_jw;

void rb_jw_begin(rb_jw *w, FILE *f, int indent);  /* writes "{"       */
void rb_jw_key(rb_jw *w, const char *k);          /* `"k": `, the caller writes the value */
void rb_jw_open(rb_jw *w, const char *k);         /* `"k": {`          */
void rb_jw_close(rb_jw *w);                       /* "}"               */
void rb_jw_str(rb_jw *w, const char *k, const char *v); /* NULL: null  */
void rb_jw_int(rb_jw *w, const char *k, long v);  /* negative: null (unknown count) */
void rb_jw_num(rb_jw *w, const char *k, double v); /* non-finite: null (JSON has no NaN) */

/* ----------------------------------------------------------------- read */

#define RB_JSON_MAX_DEPTH 64

typedef enum {
    RB_JSON_NULL,
    RB_JSON_FALSE,
    RB_JSON_TRUE,
    RB_JSON_NUMBER,
    RB_JSON_STRING,
    RB_JSON_ARRAY,
    RB_JSON_OBJECT
} rb_json_type;

typedef struct rb_json rb_json;
struct rb_json {
    rb_json_type type;
    char *key;      /* member of an object: its key; else NULL          */
    char *str;      /* STRING: the decoded UTF-8 text; NUMBER: as written */
    double num;     /* NUMBER: its value                                 */
    rb_json *child; /* ARRAY, OBJECT: the first element or member        */
    rb_json *next;  /* the next element or member of the parent          */
};

/* Parses text[0..len) (need not be NUL-terminated). Returns the tree, or
 * NULL with a one-line reason in err (with the byte offset). */
rb_json *rb_json_parse(const char *text, size_t len, char *err, size_t errlen);
void rb_json_free(rb_json *v);
/* The value of obj's member key (the first one), or NULL. */
const rb_json *rb_json_get(const rb_json *obj, const char *key);

#endif
