/* cli.c: see cli.h. */
#include "cli.h"

#include "run.h" /* RB_MAX_DIM */
#include "../variants/grid_model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void rb_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rnnbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void usage(const char *cmd, const char *synopsis, const rb_opt *opts, int nopts)
{
    printf("usage: rnnbench %s %s\n\n%s options:\n", cmd, synopsis, cmd);
    for (int i = 0; i < nopts; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        printf("  %-22s %s", left, opts[i].help);
        if (opts[i].arg && opts[i].value) printf(" (default %s)", opts[i].value);
        printf("\n");
    }
    printf("  %-22s %s\n", "--help", "this text");
}

void rb_opts_parse(const char *cmd, const char *synopsis, int argc, char **argv,
                   rb_opt *opts, int nopts)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(cmd, synopsis, opts, nopts);
            rb_exit(0);
        }
        if (strncmp(a, "--", 2) != 0)
            rb_die("%s: unexpected argument '%s' (see rnnbench %s --help)", cmd, a, cmd);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        rb_opt *o = NULL;
        for (int k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0) o = &opts[k];
        if (!o) rb_die("%s: unknown option '%.*s' (see rnnbench %s --help)", cmd, (int)len + 2, a, cmd);
        /* The last of two values winning silently hides a typo in a script. */
        if (o->seen) rb_die("%s: option --%s given twice", cmd, o->name);
        if (o->arg) {
            if (eq) o->value = eq + 1;
            else if (i + 1 < argc) o->value = argv[++i];
            else rb_die("%s: option --%s needs a value (%s)", cmd, o->name, o->arg);
        } else if (eq) {
            rb_die("%s: option --%s takes no value", cmd, o->name);
        }
        o->seen = 1;
    }
}

rb_opt *rb_opt_get(rb_opt *opts, int nopts, const char *name)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0) return &opts[i];
    rb_die("internal: no option --%s", name);
}

/* strtol and strtoull skip leading blanks and take a '+' (strtoull even
 * negates "-1" into 2^64-1): a number on the command line is digits with at
 * most a leading '-', nothing else. */
static int plain_integer(const char *s, int allow_minus)
{
    if (allow_minus && *s == '-') s++;
    return *s >= '0' && *s <= '9';
}

long rb_parse_long(const char *s, const char *what, long lo, long hi)
{
    char *end;
    errno = 0;
    if (!plain_integer(s, 1)) rb_die("%s: '%s' is not an integer", what, s);
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE) rb_die("%s: '%s' is not an integer", what, s);
    if (v < lo || v > hi) rb_die("%s: %ld is out of range [%ld, %ld]", what, v, lo, hi);
    return v;
}

uint64_t rb_parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    if (*s == '-') rb_die("%s: '%s' must not be negative", what, s);
    if (!plain_integer(s, 0)) rb_die("%s: '%s' is not a non-negative integer", what, s);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE) rb_die("%s: '%s' is not a non-negative integer", what, s);
    return (uint64_t)v;
}

int rb_split_list(const char *s, const char *what, char *buf, size_t cap, char **items, int max)
{
    if (strlen(s) >= cap) rb_die("%s: list too long", what);
    strcpy(buf, s);
    if (strspn(buf, ",") == strlen(buf)) rb_die("%s: empty list", what);
    int n = 0;
    for (char *p = buf;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (*p == '\0') rb_die("%s: empty element in the list '%s'", what, s);
        if (n == max) rb_die("%s: more than %d values", what, max);
        items[n++] = p;
        if (!comma) break;
        p = comma + 1;
    }
    return n;
}

int rb_parse_int_list(const char *s, const char *what, long lo, long hi, int *out, int max)
{
    char buf[1024], *items[1024];
    int n = rb_split_list(s, what, buf, sizeof buf, items, max < 1024 ? max : 1024);
    for (int i = 0; i < n; i++) out[i] = (int)rb_parse_long(items[i], what, lo, hi);
    return n;
}

void rb_parse_shape_opts(rb_opt *opts, int nopts, const char *cmd, rb_shape *s, int given[4])
{
    static const char *const names[4] = {"T", "N", "I", "H"};
    int v[4];
    for (int i = 0; i < 4; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s: --%s", cmd, names[i]);
        rb_opt *o = rb_opt_get(opts, nopts, names[i]);
        v[i] = (int)rb_parse_long(o->value, what, 1, RB_MAX_DIM);
        if (given) given[i] = o->seen ? v[i] : 0;
    }
    s->T = v[0]; s->N = v[1]; s->I = v[2]; s->H = v[3];
}

void rb_parse_net_opts(rb_opt *opts, int nopts, const char *cmd, rb_shape *s)
{
    char what[64];
    snprintf(what, sizeof what, "%s: --layers", cmd);
    s->layers = (int)rb_parse_long(rb_opt_get(opts, nopts, "layers")->value, what, 1, RB_MAX_LAYERS);
    const char *dir = rb_opt_get(opts, nopts, "dir")->value;
    if (rb_dir_parse(dir, &s->dir) != 0)
        rb_die("%s: unknown --dir '%s' (modes: l2r r2l bi_concat bi_sum)", cmd, dir);
}

int rb_parse_cells(const char *s, const char *cmd, rb_cell *out, int max)
{
    int n = 0;
    if (strcmp(s, "all") == 0) {
        for (int c = 0; c < RB_NCELLS && n < max; c++) out[n++] = (rb_cell)c;
        return n;
    }
    char buf[256], *items[64], what[64];
    snprintf(what, sizeof what, "%s: cells", cmd);
    int k = rb_split_list(s, what, buf, sizeof buf, items, 64);
    for (int i = 0; i < k; i++) {
        if (n == max) rb_die("%s: more than %d cells", cmd, max);
        if (rb_cell_parse(items[i], &out[n]) != 0)
            rb_die("%s: unknown cell '%s' (cells: %s, or all)", cmd, items[i], rb_cell_names_text());
        n++;
    }
    return n;
}

unsigned rb_parse_cell_mask(const char *s, const char *cmd)
{
    rb_cell cells[64];
    unsigned m = 0;
    int n = rb_parse_cells(s, cmd, cells, 64);
    for (int i = 0; i < n; i++) m |= RB_CELL_BIT(cells[i]);
    return m;
}

void rb_parse_grid_opt(const char *s, const char *cmd, int *B, int *S)
{
    if (rb_grid_parse(s, B, S) != 0)
        rb_die("%s: --grid '%s' is not BxS (batch groups x hidden slices, e.g. 4x2)", cmd, s);
}

double rb_now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void rb_exit(int status)
{
    /* A result that could not be written is a failure: a full disk or a
     * closed pipe often shows only when stdout is flushed or closed. */
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        fprintf(stderr, "rnnbench: cannot write the output: %s\n", strerror(e));
        exit(status ? status : 1);
    }
    exit(status);
}

size_t rb_cells_text(unsigned mask, const char *sep, char *buf, size_t n)
{
    size_t len = 0;
    if (n) buf[0] = '\0';
    for (int c = 0; c < RB_NCELLS; c++)
        if (mask & RB_CELL_BIT(c)) {
            int k = snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? sep : "", rb_cell_name((rb_cell)c));
            len += k > 0 ? (size_t)k : 0;
        }
    return len;
}

const char *rb_cell_names_text(void)
{
    static char text[RB_NCELLS * 16];
    if (!text[0]) rb_cells_text(RB_ALL_CELLS, " ", text, sizeof text);
    return text;
}
