/*
 * npy.c: NumPy .npy files of float32 tensors, the format in which tensors
 * dumped from NumPy/PyTorch come in and results go out.
 *
 * Writing: format version 1.0, byte for byte what numpy.save writes (checked
 * against numpy 1.24 for shapes of 0 to 8 dims):
 * descr '<f4', C order, the keys in numpy's (sorted) order, numpy's spare
 * spaces for growing the first axis in place, then spaces and a '\n' so the
 * data starts at a multiple of 64 bytes (numpy's ARRAY_ALIGN, so the data can
 * be mmapped and is aligned for SIMD loads).
 *
 * Reading: versions 1.0, 2.0 (4-byte header length) and 3.0 (utf-8 header).
 * The header dict is parsed as the small subset of Python literals that numpy
 * writes (keys in any order, any spacing, a trailing comma, Python 2's "3L"),
 * not with a general evaluator.
 * Tensors must be '<f4' in C order: the harness computes in float32, and
 * silently converting float64 or transposing a Fortran array would hide a
 * mistake in whatever produced the file. The data must be exactly as long as
 * the shape says; trailing bytes usually mean a wrong shape or dtype upstream.
 * Integer arrays (lengths.npy) are '<i8', numpy's default int, or '<i4', with
 * the same checks; they are returned as int64.
 *
 * The reader must survive any bytes: every length is checked before use, the
 * header length is capped, the element count is checked for size_t overflow,
 * and the data size is compared with the file size before anything is
 * allocated, so a corrupt shape cannot ask for terabytes.
 */
#include "npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(float) == 4, ".npy '<f4' needs a 4-byte float");

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
/* numpy's GROWTH_AXIS_MAX_DIGITS: room for the first dimension to grow. */
#define NPY_GROWTH_DIGITS 21
/* A float32 header of at most 8 dims is under 400 bytes; the cap only stops a
 * corrupt v2/v3 length from allocating gigabytes. */
#define NPY_MAX_HEADER (1u << 20)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* Keep the reason on one line even if a path holds a newline. */
    for (char *s = err; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

/* The data is little-endian on disk; swap only on a big-endian host. */
static int host_is_little(void)
{
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Reverses the bytes of each of n elements of elem bytes. */
static void swap_elems(void *v, size_t n, size_t elem)
{
    unsigned char *p = (unsigned char *)v;
    for (size_t i = 0; i < n; i++, p += elem)
        for (size_t a = 0, b = elem - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* Element count, or -1 if it or its byte size (elements of elem bytes)
 * overflows size_t. */
static int count_elems(int ndim, const size_t *dims, size_t elem, size_t *n)
{
    size_t p = 1;
    for (int i = 0; i < ndim; i++)
        if (dims[i] == 0) {
            *n = 0; /* (0, 2**60) is a valid empty array */
            return 0;
        }
    for (int i = 0; i < ndim; i++) {
        if (dims[i] > SIZE_MAX / elem / p)
            return -1;
        p *= dims[i];
    }
    *n = p;
    return 0;
}

void rb_npy_shape_str(char *buf, size_t len, int ndim, const size_t *dims)
{
    if (!buf || len == 0)
        return;
    size_t at = 0;
    buf[0] = '\0';
#define PUT(...)                                                        \
    do {                                                                \
        if (at < len) {                                                 \
            int k_ = snprintf(buf + at, len - at, __VA_ARGS__);         \
            at += k_ > 0 ? (size_t)k_ : 0;                              \
        }                                                               \
    } while (0)
    PUT("(");
    for (int i = 0; i < ndim; i++)
        PUT(i ? ", %zu" : "%zu", dims[i]);
    PUT(ndim == 1 ? ",)" : ")");
#undef PUT
}

/* ------------------------------------------------------------------ write */

/* Builds magic, version, length and padded dict; returns its total length
 * (a multiple of 64), or 0 if cap is too small. */
static size_t build_header(char *buf, size_t cap, const char *descr, int ndim, const size_t *dims)
{
    char shape[RB_NPY_MAXDIM * 24 + 4];
    rb_npy_shape_str(shape, sizeof shape, ndim, dims);
    const size_t pre = NPY_MAGIC_LEN + 2 + 2;
    if (cap <= pre)
        return 0;
    int k = snprintf(buf + pre, cap - pre,
                     "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     descr, shape);
    if (k < 0 || (size_t)k >= cap - pre)
        return 0;
    size_t dict = (size_t)k;
    size_t growth = 0;
    if (ndim > 0) {
        char d0[24];
        int nd = snprintf(d0, sizeof d0, "%zu", dims[0]);
        if (nd > 0 && nd < NPY_GROWTH_DIGITS)
            growth = (size_t)(NPY_GROWTH_DIGITS - nd);
    }
    /* numpy pads a full 64 when already aligned; copy that, not "fix" it. */
    size_t hlen = dict + growth + 1;
    size_t pad = NPY_ALIGN - (pre + hlen) % NPY_ALIGN;
    hlen += pad;
    if (pre + hlen > cap || hlen > 0xffff)
        return 0;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memset(buf + pre + dict, ' ', hlen - dict - 1);
    buf[pre + hlen - 1] = '\n';
    return pre + hlen;
}

/* Writes n elements of elem bytes (host order) under the header of descr. */
static int write_npy(const char *path, const void *data, size_t elem, const char *descr, int ndim,
                     const size_t *dims, char *err, size_t errlen)
{
    size_t n;
    if (!path) {
        set_err(err, errlen, "rb_npy_write: NULL path");
        return -1;
    }
    if (ndim < 0 || ndim > RB_NPY_MAXDIM || (ndim > 0 && !dims)) {
        set_err(err, errlen, "%s: cannot write %d dimensions (0..%d)", path,
                ndim, RB_NPY_MAXDIM);
        return -1;
    }
    if (count_elems(ndim, dims, elem, &n) != 0) {
        set_err(err, errlen, "%s: element count overflows size_t", path);
        return -1;
    }
    if (n > 0 && !data) {
        set_err(err, errlen, "%s: NULL data for %zu elements", path, n);
        return -1;
    }
    char hdr[512];
    size_t hlen = build_header(hdr, sizeof hdr, descr, ndim, dims);
    if (hlen == 0) {
        set_err(err, errlen, "%s: header does not fit", path);
        return -1;
    }

    FILE *f = fopen(path, "wb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open for writing: %s", path,
                strerror(errno));
        return -1;
    }
    const char *what = "write";
    int ok = fwrite(hdr, 1, hlen, f) == hlen;
    if (ok && n > 0) {
        if (host_is_little()) {
            ok = fwrite(data, elem, n, f) == n;
        } else {
            unsigned char buf[8192];
            const size_t per = sizeof buf / elem;
            for (size_t i = 0; ok && i < n; i += per) {
                size_t m = n - i < per ? n - i : per;
                memcpy(buf, (const unsigned char *)data + i * elem, m * elem);
                swap_elems(buf, m, elem);
                ok = fwrite(buf, elem, m, f) == m;
            }
        }
    }
    /* A full disk often shows only at flush or close, so both are checked. */
    if (ok && fflush(f) != 0) {
        ok = 0;
        what = "flush";
    }
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        what = "close";
        e = errno;
    }
    if (!ok) {
        /* The partial file is left alone rather than removed: path may be a
         * device or a file that existed before, and the reader rejects any
         * file shorter than its header says. */
        set_err(err, errlen, "%s: %s failed: %s", path, what, strerror(e));
        return -1;
    }
    return 0;
}

int rb_npy_write(const char *path, const float *data, int ndim,
                 const size_t *dims, char *err, size_t errlen)
{
    return write_npy(path, data, sizeof(float), "<f4", ndim, dims, err, errlen);
}

int rb_npy_write_i64(const char *path, const int64_t *data, int ndim,
                     const size_t *dims, char *err, size_t errlen)
{
    return write_npy(path, data, sizeof(int64_t), "<i8", ndim, dims, err, errlen);
}

/* ------------------------------------------------------------ header dict */

typedef struct {
    const char *start, *p, *end;
    char *why; /* reason, without the file name */
    size_t whylen;
} cursor;

typedef struct {
    char descr[32]; /* enough for any float32 spelling; longer is cut */
    size_t descr_len;
    int fortran;
    int ndim;
    size_t dims[RB_NPY_MAXDIM];
    int have_descr, have_fortran, have_shape;
    size_t elem;    /* bytes per element, set by check_descr */
} npy_header;

/* What a reader accepts: float32 tensors, or integers (lengths.npy). */
typedef enum { NPY_WANT_F32, NPY_WANT_INT } npy_want;

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static void skip_ws(cursor *c)
{
    while (c->p < c->end && is_ws(*c->p))
        c->p++;
}

/* Copies s into out with anything unprintable as '?', so a reason quoting
 * file bytes stays one readable line. */
static void printable(char *out, size_t cap, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        out[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[j] = '\0';
}

static int malformed(cursor *c, const char *expected)
{
    char near[16];
    size_t left = (size_t)(c->end - c->p);
    printable(near, sizeof near, c->p, left < 12 ? left : 12);
    set_err(c->why, c->whylen,
            "malformed header dict: expected %s at byte %td, found \"%s\"",
            expected, c->p - c->start, c->p < c->end ? near : "end of header");
    return -1;
}

/* A Python string literal without escapes ('<f4' never needs any). The
 * content is copied (cut to cap-1) and its full length returned in *len. */
static int parse_str(cursor *c, char *out, size_t cap, size_t *len)
{
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return malformed(c, "a quoted string");
    char q = *c->p++;
    const char *s = c->p;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || *c->p == '\n')
            return malformed(c, "a plain string (no escapes)");
        c->p++;
    }
    if (c->p >= c->end)
        return malformed(c, "a closing quote");
    size_t n = (size_t)(c->p - s);
    c->p++;
    size_t m = n < cap - 1 ? n : cap - 1;
    memcpy(out, s, m);
    out[m] = '\0';
    *len = n;
    return 0;
}

static int is_ident(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_';
}

static int parse_bool(cursor *c, int *v)
{
    static const char *const words[2] = {"False", "True"};
    for (int b = 0; b < 2; b++) {
        size_t n = strlen(words[b]);
        if ((size_t)(c->end - c->p) >= n && memcmp(c->p, words[b], n) == 0 &&
            (c->p + n == c->end || !is_ident(c->p[n]))) {
            c->p += n;
            *v = b;
            return 0;
        }
    }
    return malformed(c, "True or False for 'fortran_order'");
}

static int parse_dim(cursor *c, size_t *v)
{
    if (c->p < c->end && *c->p == '-') {
        set_err(c->why, c->whylen,
                "negative dimension in shape at byte %td of the header",
                c->p - c->start);
        return -1;
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return malformed(c, "a dimension (non-negative integer)");
    size_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t d = (size_t)(*c->p - '0');
        if (x > (SIZE_MAX - d) / 10) {
            set_err(c->why, c->whylen,
                    "dimension too large for size_t at byte %td of the header",
                    c->p - c->start);
            return -1;
        }
        x = x * 10 + d;
        c->p++;
    }
    /* Python 2 numpy wrote longs as "3L". */
    if (c->p < c->end && (*c->p == 'L' || *c->p == 'l'))
        c->p++;
    if (c->p < c->end && is_ident(*c->p))
        return malformed(c, "a dimension (non-negative integer)");
    *v = x;
    return 0;
}

static int parse_shape(cursor *c, npy_header *h)
{
    if (c->p >= c->end || *c->p != '(')
        return malformed(c, "'(' opening the shape tuple");
    c->p++;
    skip_ws(c);
    h->ndim = 0;
    if (c->p < c->end && *c->p == ')') {
        c->p++;
        return 0;
    }
    for (;;) {
        if (h->ndim == RB_NPY_MAXDIM) {
            set_err(c->why, c->whylen,
                    "shape has more than %d dimensions", RB_NPY_MAXDIM);
            return -1;
        }
        if (parse_dim(c, &h->dims[h->ndim]) != 0)
            return -1;
        h->ndim++;
        skip_ws(c);
        if (c->p < c->end && *c->p == ')') {
            /* "(5)" is the int 5 in Python, and numpy rejects it too. */
            if (h->ndim == 1)
                return malformed(c, "',' after the only dimension, as in (5,)");
            c->p++;
            return 0;
        }
        if (c->p >= c->end || *c->p != ',')
            return malformed(c, "',' or ')' in the shape tuple");
        c->p++;
        skip_ws(c);
        if (c->p < c->end && *c->p == ')') {
            c->p++;
            return 0;
        }
    }
}

/* Parses the whole header text (after the length field). */
static int parse_header(const char *text, size_t len, npy_header *h, char *why,
                        size_t whylen)
{
    cursor c = {text, text, text + len, why, whylen};
    memset(h, 0, sizeof *h);
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return malformed(&c, "'{' opening the header dict");
    c.p++;
    for (;;) {
        skip_ws(&c);
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        char key[32];
        size_t klen = 0;
        if (parse_str(&c, key, sizeof key, &klen) != 0)
            return -1;
        skip_ws(&c);
        if (c.p >= c.end || *c.p != ':')
            return malformed(&c, "':' after a key");
        c.p++;
        skip_ws(&c);
        int *seen;
        int rc;
        if (klen == 5 && strcmp(key, "descr") == 0) {
            seen = &h->have_descr;
            if (c.p < c.end && (*c.p == '[' || *c.p == '(')) {
                set_err(why, whylen, "dtype is a structured dtype, not float32");
                return -1;
            }
            rc = parse_str(&c, h->descr, sizeof h->descr, &h->descr_len);
        } else if (klen == 13 && strcmp(key, "fortran_order") == 0) {
            seen = &h->have_fortran;
            rc = parse_bool(&c, &h->fortran);
        } else if (klen == 5 && strcmp(key, "shape") == 0) {
            seen = &h->have_shape;
            rc = parse_shape(&c, h);
        } else {
            char shown[40];
            printable(shown, sizeof shown, key, klen < 32 ? klen : 31);
            set_err(why, whylen, "malformed header dict: unexpected key '%s'",
                    shown);
            return -1;
        }
        if (rc != 0)
            return -1;
        if (*seen) {
            set_err(why, whylen, "malformed header dict: duplicate key '%s'",
                    key);
            return -1;
        }
        *seen = 1;
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        return malformed(&c, "',' or '}' after a value");
    }
    skip_ws(&c);
    if (c.p != c.end)
        return malformed(&c, "only padding after the header dict");
    const char *missing = !h->have_descr     ? "descr"
                          : !h->have_fortran ? "fortran_order"
                          : !h->have_shape   ? "shape"
                                             : NULL;
    if (missing) {
        set_err(why, whylen, "malformed header dict: no '%s' key", missing);
        return -1;
    }
    return 0;
}

static const char *dtype_name(char kind, unsigned long size)
{
    switch (kind) {
    case 'f':
        return size == 2 ? "float16" : size == 4 ? "float32"
             : size == 8 ? "float64" : size == 16 ? "float128" : NULL;
    case 'i':
        return size == 1 ? "int8" : size == 2 ? "int16"
             : size == 4 ? "int32" : size == 8 ? "int64" : NULL;
    case 'u':
        return size == 1 ? "uint8" : size == 2 ? "uint16"
             : size == 4 ? "uint32" : size == 8 ? "uint64" : NULL;
    case 'b':
        return size == 1 ? "bool" : NULL;
    case 'c':
        return size == 8 ? "complex64" : size == 16 ? "complex128" : NULL;
    default:
        return NULL;
    }
}

/* 0 (and h->elem set) for a dtype the reader wants: '<f4' for tensors,
 * '<i8' or '<i4' for integers; otherwise -1 with a reason that names the
 * dtype found. */
static int check_descr(npy_header *h, npy_want want, char *why, size_t whylen)
{
    const int is3 = h->descr_len == 3;
    if (want == NPY_WANT_F32 && is3 && memcmp(h->descr, "<f4", 3) == 0) {
        h->elem = 4;
        return 0;
    }
    if (want == NPY_WANT_INT && is3 && (memcmp(h->descr, "<i8", 3) == 0 || memcmp(h->descr, "<i4", 3) == 0)) {
        h->elem = h->descr[2] == '8' ? 8 : 4;
        return 0;
    }
    const char *wanted = want == NPY_WANT_F32 ? "float32 '<f4'" : "int64 '<i8' or int32 '<i4'";
    const char *wanted_name = want == NPY_WANT_F32 ? "float32" : NULL;
    char shown[40];
    printable(shown, sizeof shown, h->descr, strlen(h->descr));
    if (h->descr_len >= sizeof h->descr) /* cut to 31 chars: say so */
        strcpy(shown + 28, "...");
    const char *d = h->descr;
    char order = 0;
    if (*d == '<' || *d == '>' || *d == '|' || *d == '=') order = *d++;
    const char *name = NULL;
    if (*d && d[1] >= '1' && d[1] <= '9') {
        char *endp;
        unsigned long size = strtoul(d + 1, &endp, 10);
        if (*endp == '\0')
            name = dtype_name(*d, size);
    }
    const int wanted_type = name && (wanted_name ? strcmp(name, wanted_name) == 0
                                                 : strcmp(name, "int64") == 0 || strcmp(name, "int32") == 0);
    if (wanted_type) {
        /* '=' is native order, '|' is for single bytes; numpy writes '<'. */
        const char *spelled = want == NPY_WANT_F32 ? "'<f4' is" : "'<i8' or '<i4' are";
        set_err(why, whylen,
                order == '>' ? "dtype '%s' is big-endian %s; only little-endian %s supported"
                             : "dtype '%s' is %s without numpy's explicit little-endian '<'; only %s supported",
                shown, name, spelled);
    } else if (name) {
        set_err(why, whylen, "dtype '%s' is %s%s; only %s %s supported", shown, order == '>' ? "big-endian " : "",
                name, wanted, want == NPY_WANT_F32 ? "is" : "are");
    } else {
        set_err(why, whylen, "dtype '%s' is not supported; only %s", shown, wanted);
    }
    return -1;
}

/* ------------------------------------------------------------------- read */

/* Reads magic, version and header dict up to the first data byte, checks
 * dtype and order, and (where the stream can seek) that the data is exactly
 * as long as the shape says. Sets *h, *n elements and shape (as printed). */
static int read_head(FILE *f, const char *name, npy_want want, npy_header *h, size_t *n, char *shape,
                     size_t shapelen, char *err, size_t errlen)
{
    char why[256];
    unsigned char pre[12];
    size_t got = fread(pre, 1, 8, f);
    if (got == 0 && ferror(f)) {
        set_err(err, errlen, "%s: read error: %s", name, strerror(errno));
        return -1;
    }
    if (got == 0) {
        set_err(err, errlen, "%s: not a .npy file (empty)",
                name);
        return -1;
    }
    size_t cmp = got < NPY_MAGIC_LEN ? got : NPY_MAGIC_LEN;
    if (memcmp(pre, NPY_MAGIC, cmp) != 0) {
        set_err(err, errlen, "%s: not a .npy file (bad magic)", name);
        return -1;
    }
    if (got < 8) {
        set_err(err, errlen, "%s: truncated header: file ends after %zu bytes",
                name, got);
        return -1;
    }
    unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        set_err(err, errlen,
                "%s: unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 "
                "are supported)", name, major, minor);
        return -1;
    }
    size_t lenbytes = major == 1 ? 2 : 4;
    got = fread(pre + 8, 1, lenbytes, f);
    if (got < lenbytes) {
        set_err(err, errlen, "%s: truncated header: file ends in the header "
                "length field", name);
        return -1;
    }
    size_t hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (lenbytes == 4)
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    if (hlen > NPY_MAX_HEADER) {
        set_err(err, errlen, "%s: header length %zu is implausibly large "
                "(limit %u bytes)", name, hlen, NPY_MAX_HEADER);
        return -1;
    }
    char *text = malloc(hlen + 1);
    if (!text) {
        set_err(err, errlen, "%s: out of memory for a %zu-byte header", name,
                hlen);
        return -1;
    }
    got = fread(text, 1, hlen, f);
    if (got < hlen) {
        free(text);
        set_err(err, errlen, "%s: truncated header: expected %zu bytes, "
                "found %zu", name, hlen, got);
        return -1;
    }
    int rc = parse_header(text, hlen, h, why, sizeof why);
    free(text);
    if (rc != 0) {
        set_err(err, errlen, "%s: %s", name, why);
        return -1;
    }
    if (check_descr(h, want, why, sizeof why) != 0) {
        set_err(err, errlen, "%s: %s", name, why);
        return -1;
    }
    if (h->fortran) {
        set_err(err, errlen,
                "%s: Fortran order not supported; save with C order", name);
        return -1;
    }
    rb_npy_shape_str(shape, shapelen, h->ndim, h->dims);
    /* Integers are returned as int64 whatever their width on disk. */
    if (count_elems(h->ndim, h->dims, want == NPY_WANT_INT ? 8 : h->elem, n) != 0) {
        set_err(err, errlen, "%s: shape %s: element count overflows size_t",
                name, shape);
        return -1;
    }
    size_t nbytes = *n * h->elem;

    /* Compare with the file size first, so a corrupt shape is reported as
     * such instead of as a failed multi-terabyte malloc. Pipes cannot seek;
     * for them the read below finds the same errors, only later. */
    long pos = ftell(f);
    if (pos >= 0 && fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        if (end >= pos && fseek(f, pos, SEEK_SET) == 0) {
            unsigned long long avail = (unsigned long long)(end - pos);
            if (avail < nbytes) {
                set_err(err, errlen, "%s: truncated: expected %zu bytes of "
                        "data, found %llu (shape %s)", name, nbytes, avail,
                        shape);
                return -1;
            }
            if (avail > nbytes) {
                set_err(err, errlen, "%s: %llu trailing bytes after the %zu "
                        "bytes of data of shape %s", name, avail - nbytes,
                        nbytes, shape);
                return -1;
            }
        } else {
            clearerr(f);
            fseek(f, pos, SEEK_SET);
        }
    } else {
        clearerr(f);
    }

    return 0;
}

/* Reads the n elements of elem bytes that follow the header into buf, and
 * requires the stream to end right there. */
static int read_data(FILE *f, const char *name, void *buf, size_t n, size_t elem, const char *shape, char *err,
                     size_t errlen)
{
    const size_t nbytes = n * elem;
    size_t got = fread(buf, 1, nbytes, f);
    if (got < nbytes) {
        if (ferror(f))
            set_err(err, errlen, "%s: read error: %s", name, strerror(errno));
        else
            set_err(err, errlen, "%s: truncated: expected %zu bytes of data, "
                    "found %zu (shape %s)", name, nbytes, got, shape);
        return -1;
    }
    if (fgetc(f) != EOF) {
        size_t extra = 1;
        char sink[4096];
        size_t k;
        while ((k = fread(sink, 1, sizeof sink, f)) > 0)
            extra += k;
        set_err(err, errlen, "%s: %zu trailing bytes after the %zu bytes of "
                "data of shape %s", name, extra, nbytes, shape);
        return -1;
    }
    if (!host_is_little())
        swap_elems(buf, n, elem);
    return 0;
}

int rb_npy_read_stream(FILE *f, const char *name, float **data, int *ndim,
                       size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen)
{
    if (data)
        *data = NULL;
    if (!name)
        name = "(stream)";
    if (!f || !data || !ndim || !dims) {
        set_err(err, errlen, "%s: rb_npy_read: NULL argument", name);
        return -1;
    }
    npy_header h;
    size_t n;
    char shape[RB_NPY_MAXDIM * 24 + 4];
    if (read_head(f, name, NPY_WANT_F32, &h, &n, shape, sizeof shape, err, errlen) != 0)
        return -1;
    float *buf = malloc(n ? n * sizeof(float) : 1);
    if (!buf) {
        set_err(err, errlen, "%s: out of memory for %zu bytes of data (shape "
                "%s)", name, n * sizeof(float), shape);
        return -1;
    }
    if (read_data(f, name, buf, n, sizeof(float), shape, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    *data = buf;
    *ndim = h.ndim;
    for (int i = 0; i < h.ndim; i++)
        dims[i] = h.dims[i];
    return 0;
}

/* Opens path for reading, refusing anything but a regular file: a FIFO
 * would block forever waiting for a writer (hence O_NONBLOCK until fstat has
 * said what it is), a directory or device is never a .npy file. */
static FILE *open_regular(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s: not a regular file (%s); only .npy files are read", path,
                S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory"
                : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

/* A file opened for reading, at its first data byte. */
typedef struct {
    FILE *f;
    npy_header h;
    size_t n;                             /* elements */
    char shape[RB_NPY_MAXDIM * 24 + 4];   /* as the header writes it */
} npy_open;

/* path opened as open_regular does and its header read into o; 0, or -1
 * with err written. */
static int open_head(const char *path, npy_want want, npy_open *o, char *err, size_t errlen)
{
    o->f = open_regular(path, err, errlen);
    if (!o->f)
        return -1;
    if (read_head(o->f, path, want, &o->h, &o->n, o->shape, sizeof o->shape, err, errlen) != 0) {
        fclose(o->f);
        return -1;
    }
    return 0;
}

int rb_npy_read_header(const char *path, int *ndim, size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen)
{
    if (!path || !ndim || !dims) {
        set_err(err, errlen, "rb_npy_read_header: NULL argument");
        return -1;
    }
    npy_open o;
    if (open_head(path, NPY_WANT_F32, &o, err, errlen) != 0)
        return -1;
    fclose(o.f);
    *ndim = o.h.ndim;
    for (int i = 0; i < o.h.ndim; i++)
        dims[i] = o.h.dims[i];
    return 0;
}

/* The error for a shape other than the one expected. */
static void shape_mismatch(const char *path, int got_ndim, const size_t *got, int ndim, const size_t *dims,
                           char *err, size_t errlen)
{
    char want[RB_NPY_MAXDIM * 24 + 4], found[RB_NPY_MAXDIM * 24 + 4];
    rb_npy_shape_str(found, sizeof found, got_ndim, got);
    rb_npy_shape_str(want, sizeof want, ndim, dims);
    set_err(err, errlen, "%s: shape %s does not match the expected %s", path, found, want);
}

int rb_npy_read_into(const char *path, float *dst, int ndim, const size_t *dims, char *err, size_t errlen)
{
    if (!path || !dst || ndim < 0 || ndim > RB_NPY_MAXDIM || (ndim > 0 && !dims)) {
        set_err(err, errlen, "%s: rb_npy_read_into: bad arguments", path ? path : "(null)");
        return -1;
    }
    npy_open o;
    if (open_head(path, NPY_WANT_F32, &o, err, errlen) != 0)
        return -1;
    int same = o.h.ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = o.h.dims[i] == dims[i];
    int rc = -1;
    if (!same)
        shape_mismatch(path, o.h.ndim, o.h.dims, ndim, dims, err, errlen);
    else
        rc = read_data(o.f, path, dst, o.n, sizeof(float), o.shape, err, errlen);
    fclose(o.f);
    return rc;
}

int rb_npy_read(const char *path, float **data, int *ndim,
                size_t dims[RB_NPY_MAXDIM], char *err, size_t errlen)
{
    if (data)
        *data = NULL;
    if (!path) {
        set_err(err, errlen, "rb_npy_read: NULL path");
        return -1;
    }
    FILE *f = open_regular(path, err, errlen);
    if (!f)
        return -1;
    int rc = rb_npy_read_stream(f, path, data, ndim, dims, err, errlen);
    fclose(f); /* read-only: a close error cannot lose data */
    return rc;
}

int rb_npy_read_shape(const char *path, float **data, int ndim,
                      const size_t *dims, char *err, size_t errlen)
{
    int got_ndim;
    size_t got[RB_NPY_MAXDIM];
    if (data)
        *data = NULL;
    if (ndim < 0 || ndim > RB_NPY_MAXDIM || (ndim > 0 && !dims)) {
        set_err(err, errlen, "%s: rb_npy_read_shape: bad expected shape (%d "
                "dimensions)", path ? path : "(null)", ndim);
        return -1;
    }
    if (rb_npy_read(path, data, &got_ndim, got, err, errlen) != 0)
        return -1;
    int same = got_ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = got[i] == dims[i];
    if (!same) {
        shape_mismatch(path, got_ndim, got, ndim, dims, err, errlen);
        free(*data);
        *data = NULL;
        return -1;
    }
    return 0;
}

int rb_npy_read_i64(const char *path, int64_t **data, int *ndim, size_t dims[RB_NPY_MAXDIM], char *err,
                    size_t errlen)
{
    if (data)
        *data = NULL;
    if (!path || !data || !ndim || !dims) {
        set_err(err, errlen, "%s: rb_npy_read_i64: NULL argument", path ? path : "(null)");
        return -1;
    }
    npy_open o;
    if (open_head(path, NPY_WANT_INT, &o, err, errlen) != 0)
        return -1;
    int64_t *buf = malloc(o.n ? o.n * sizeof(int64_t) : 1);
    int rc = -1;
    if (!buf)
        set_err(err, errlen, "%s: out of memory for %zu integers (shape %s)", path, o.n, o.shape);
    else
        rc = read_data(o.f, path, buf, o.n, o.h.elem, o.shape, err, errlen);
    fclose(o.f);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    if (o.h.elem == 4) { /* widen '<i4' in place, from the last element down */
        for (size_t i = o.n; i-- > 0;) {
            int32_t v;
            memcpy(&v, (const unsigned char *)buf + 4 * i, sizeof v);
            buf[i] = v;
        }
    }
    *data = buf;
    *ndim = o.h.ndim;
    for (int i = 0; i < o.h.ndim; i++)
        dims[i] = o.h.dims[i];
    return 0;
}
