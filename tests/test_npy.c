/*
 * test_npy.c: the .npy reader and writer. Round trips are checked bit for
 * bit and against the exact header numpy.save writes; every rejection the
 * reader promises is provoked with a hand-built file and its reason checked
 * for the word a user would look for. Files live in a mkdtemp directory that
 * the group teardown removes.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness/npy.h"

typedef struct {
    char dir[64];
} fixture;

static int group_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/rb_npy_XXXXXX",
             tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", fx->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

static void path_of(void **state, const char *name, char *out, size_t len)
{
    const fixture *fx = *state;
    snprintf(out, len, "%s/%s", fx->dir, name);
}

static void write_bytes(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* Builds a .npy image by hand: magic, version major.minor, a 2-byte (v1) or
 * 4-byte (v2, v3) length, dict padded with spaces and '\n' to 64, then
 * payload. Returns the total length. */
static size_t build(unsigned char *out, size_t cap, int major, int minor,
                    const char *dict, const void *payload, size_t nbytes)
{
    size_t lenb = major >= 2 ? 4 : 2;
    size_t pre = 8 + lenb;
    size_t dl = strlen(dict);
    size_t hlen = dl + 1;
    hlen += (64 - (pre + hlen) % 64) % 64;
    assert_true(pre + hlen + nbytes <= cap);
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = (unsigned char)minor;
    for (size_t i = 0; i < lenb; i++)
        out[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(out + pre, dict, dl);
    memset(out + pre + dl, ' ', hlen - dl - 1);
    out[pre + hlen - 1] = '\n';
    if (nbytes)
        memcpy(out + pre + hlen, payload, nbytes);
    return pre + hlen + nbytes;
}

static const float twelve[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* twelve as a 3 x 4 file, name in the fixture's directory; its path in out. */
static void write_twelve(void **state, const char *name, char *out, size_t len)
{
    char err[256];
    const size_t d[] = {3, 4};
    path_of(state, name, out, len);
    assert_int_equal(rb_npy_write(out, twelve, 2, d, err, sizeof err), 0);
}

/* Writes the image, reads it, and requires a failure whose reason names the
 * file and contains word. */
static void expect_reject(void **state, const char *name,
                          const unsigned char *img, size_t n, const char *word)
{
    char path[256], err[512];
    path_of(state, name, path, sizeof path);
    write_bytes(path, img, n);
    float *data = (float *)&data; /* must be reset to NULL */
    int ndim = -7;
    size_t dims[RB_NPY_MAXDIM];
    err[0] = '\0';
    int rc = rb_npy_read(path, &data, &ndim, dims, err, sizeof err);
    if (rc != -1 || !strstr(err, word) || !strstr(err, path))
        print_error("file %s: rc %d, err \"%s\", wanted \"%s\"\n", name, rc,
                    err, word);
    assert_int_equal(rc, -1);
    assert_null(data);
    assert_non_null(strstr(err, word));
    assert_non_null(strstr(err, path));
    assert_null(strchr(err, '\n'));
}

static void expect_reject_dict(void **state, const char *name,
                               const char *dict, const char *word)
{
    unsigned char img[1024];
    size_t n = build(img, sizeof img, 1, 0, dict, twelve, sizeof twelve);
    expect_reject(state, name, img, n, word);
}

static void roundtrip(void **state, const char *name, int ndim,
                      const size_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= dims[i];
    float *src = malloc((n ? n : 1) * sizeof *src);
    assert_non_null(src);
    for (size_t i = 0; i < n; i++)
        src[i] = (float)i * 0.25f - 3.0f;
    char path[256], err[256];
    path_of(state, name, path, sizeof path);
    assert_int_equal(rb_npy_write(path, src, ndim, dims, err, sizeof err), 0);

    float *got = NULL;
    int gnd = -1;
    size_t gd[RB_NPY_MAXDIM];
    assert_int_equal(rb_npy_read(path, &got, &gnd, gd, err, sizeof err), 0);
    assert_non_null(got);
    assert_int_equal(gnd, ndim);
    for (int i = 0; i < ndim; i++)
        assert_int_equal(gd[i], dims[i]);
    if (n)
        assert_memory_equal(got, src, n * sizeof *src);
    free(got);

    got = NULL;
    assert_int_equal(rb_npy_read_shape(path, &got, ndim, dims, err, sizeof err),
                     0);
    assert_non_null(got);
    free(got);
    free(src);
}

/* ------------------------------------------------------------ round trips */

static void test_roundtrip_1d(void **state)
{
    const size_t d[] = {5};
    roundtrip(state, "r1.npy", 1, d);
    const size_t one[] = {1};
    roundtrip(state, "r1b.npy", 1, one);
}

static void test_roundtrip_3d_with_dim_1(void **state)
{
    const size_t d[] = {2, 1, 3};
    roundtrip(state, "r3.npy", 3, d);
    const size_t ones[] = {1, 1, 1};
    roundtrip(state, "r3b.npy", 3, ones);
}

/* The bytes of file name in the fixture's directory. */
static unsigned char *slurp_named(void **state, const char *name, size_t *n)
{
    char path[256];
    path_of(state, name, path, sizeof path);
    return slurp(path, n);
}

/* A 128-byte header b: dict after the magic and length, spaces up to the
 * closing '\n'. */
static void expect_header_dict(const unsigned char *b, const char *dict)
{
    assert_memory_equal(b + 10, dict, strlen(dict));
    for (size_t i = 10 + strlen(dict); i < 127; i++)
        assert_int_equal(b[i], ' ');
    assert_int_equal(b[127], '\n');
}

static void test_roundtrip_scalar_and_empty(void **state)
{
    roundtrip(state, "r0.npy", 0, NULL);
    const size_t empty[] = {0, 3};
    roundtrip(state, "re.npy", 2, empty);

    size_t n;
    unsigned char *b = slurp_named(state, "r0.npy", &n);
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }";
    /* as numpy: no growth spaces for a scalar, still padded to 128 */
    assert_int_equal(n, 128 + 4);
    expect_header_dict(b, dict);
    free(b);
}

/* Bit patterns that a conversion or a memcpy of the wrong size would alter. */
static void test_roundtrip_large_bit_exact(void **state)
{
    const size_t d[] = {257, 1031};
    const size_t n = d[0] * d[1];
    uint32_t *bits = malloc(n * sizeof *bits);
    assert_non_null(bits);
    uint32_t x = 0x12345678u;
    for (size_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u; /* every bit pattern, NaNs included */
        bits[i] = x;
    }
    const uint32_t special[] = {0x80000000u, 0x7f800000u, 0xff800000u,
                                0x7fc00001u, 0xffbfffffu, 0x00000001u};
    memcpy(bits, special, sizeof special);

    char path[256], err[256];
    path_of(state, "big.npy", path, sizeof path);
    assert_int_equal(
        rb_npy_write(path, (const float *)bits, 2, d, err, sizeof err), 0);
    float *got = NULL;
    assert_int_equal(rb_npy_read_shape(path, &got, 2, d, err, sizeof err), 0);
    assert_memory_equal(got, bits, n * sizeof *bits);
    free(got);

    size_t len;
    unsigned char *b = slurp(path, &len);
    assert_int_equal(len, 128 + n * 4);
    assert_memory_equal(b + 128, bits, n * 4); /* little-endian host */
    free(b);
    free(bits);
}

/* The exact bytes numpy 1.24 writes for np.save(p, np.zeros((3, 4), 'f4')):
 * the dict, 20 growth spaces for the first axis, padding to 128 and '\n'. */
static void test_header_matches_numpy(void **state)
{
    const size_t d[] = {3, 4};
    roundtrip(state, "r2.npy", 2, d);
    size_t n;
    unsigned char *b = slurp_named(state, "r2.npy", &n);
    assert_int_equal(n, 128 + 12 * 4);
    assert_memory_equal(b, "\x93NUMPY\x01\x00", 8);
    assert_int_equal(b[8] | b[9] << 8, 118);
    const char *dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    expect_header_dict(b, dict);
    free(b);
}

static void test_header_aligned_for_every_ndim(void **state)
{
    size_t d[RB_NPY_MAXDIM];
    float *data = calloc(1, sizeof *data);
    assert_non_null(data);
    for (int nd = 0; nd <= RB_NPY_MAXDIM; nd++) {
        for (int big = 0; big < 2; big++) {
            /* one large dimension (0 elements) stretches the header */
            for (int i = 0; i < nd; i++)
                d[i] = big && i == 0 ? 0 : 1;
            if (big && nd > 1)
                d[1] = (size_t)123456789012ULL;
            char path[256], err[256];
            path_of(state, "al.npy", path, sizeof path);
            assert_int_equal(rb_npy_write(path, data, nd, d, err, sizeof err),
                             0);
            size_t n;
            unsigned char *b = slurp(path, &n);
            size_t hlen = (size_t)(b[8] | b[9] << 8);
            size_t elems = 1;
            for (int i = 0; i < nd; i++)
                elems *= d[i];
            assert_int_equal((10 + hlen) % 64, 0);
            assert_int_equal(n, 10 + hlen + 4 * elems);
            assert_int_equal(b[6], 1);
            assert_int_equal(b[7], 0);
            assert_int_equal(b[10 + hlen - 1], '\n');
            free(b);
            float *got = NULL;
            int gnd;
            size_t gd[RB_NPY_MAXDIM];
            assert_int_equal(rb_npy_read(path, &got, &gnd, gd, err, sizeof err),
                             0);
            assert_int_equal(gnd, nd);
            assert_memory_equal(gd, d, (size_t)nd * sizeof *d);
            free(got);
        }
    }
    free(data);
}

/* ---------------------------------------------------- other valid inputs */

static void read_ok(void **state, const char *name, const unsigned char *img,
                    size_t n, int ndim, const size_t *dims)
{
    char path[256], err[256] = "";
    path_of(state, name, path, sizeof path);
    write_bytes(path, img, n);
    float *got = NULL;
    int gnd = -1;
    size_t gd[RB_NPY_MAXDIM];
    int rc = rb_npy_read(path, &got, &gnd, gd, err, sizeof err);
    if (rc != 0)
        print_error("%s: %s\n", name, err);
    assert_int_equal(rc, 0);
    assert_int_equal(gnd, ndim);
    size_t elems = 1;
    for (int i = 0; i < ndim; i++) {
        assert_int_equal(gd[i], dims[i]);
        elems *= dims[i];
    }
    for (size_t i = 0; i < elems; i++)
        assert_true(got[i] == (float)i);
    free(got);
}

static void test_read_v2_and_v3(void **state)
{
    unsigned char img[1024];
    const size_t d[] = {3, 4};
    size_t n = build(img, sizeof img, 2, 0,
                     "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (3, 4), }", twelve, sizeof twelve);
    assert_int_equal(n, 128 + 48);
    assert_int_equal(img[8] | img[9] << 8 | img[10] << 16 | img[11] << 24,
                     116);
    read_ok(state, "v2.npy", img, n, 2, d);
    n = build(img, sizeof img, 3, 0,
              "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
              twelve, sizeof twelve);
    read_ok(state, "v3.npy", img, n, 2, d);
}

static void test_read_header_spellings(void **state)
{
    static const struct {
        const char *dict;
        int ndim;
        size_t dims[2];
    } ok[] = {
        {"{'shape': (3, 4), 'fortran_order': False, 'descr': '<f4'}", 2, {3, 4}},
        {"{ 'fortran_order' :False ,'descr':'<f4','shape':( 3 ,4 , ) , }",
         2, {3, 4}},
        {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (12,)}",
         1, {12}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (12L,), }", 1, {12}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 12), }",
         2, {1, 12}},
        {"\t{'descr':'<f4','fortran_order':False,'shape':(6,2)}\r", 2, {6, 2}},
    };
    unsigned char img[1024];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = build(img, sizeof img, 1, 0, ok[i].dict, twelve,
                         sizeof twelve);
        read_ok(state, "sp.npy", img, n, ok[i].ndim, ok[i].dims);
    }
    /* no padding at all: numpy pads, but the format does not require it */
    const char *bare = "{'descr': '<f4', 'fortran_order': False, 'shape': (12,)}";
    memcpy(img, "\x93NUMPY\x01\x00", 8);
    img[8] = (unsigned char)strlen(bare);
    img[9] = 0;
    memcpy(img + 10, bare, strlen(bare));
    memcpy(img + 10 + strlen(bare), twelve, sizeof twelve);
    const size_t d12[] = {12};
    read_ok(state, "bare.npy", img, 10 + strlen(bare) + sizeof twelve, 1, d12);
    /* a scalar */
    size_t n = build(img, sizeof img, 1, 0,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': ()}",
                     twelve, 4);
    read_ok(state, "sc.npy", img, n, 0, NULL);
}

/* A pipe cannot seek, so this takes the reader's other path to the same
 * checks: exact data, then truncation and trailing bytes found by reading. */
static void test_read_stream_from_pipe(void **state)
{
    (void)state;
    unsigned char img[1024];
    const char *dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    size_t full = build(img, sizeof img, 1, 0, dict, twelve, sizeof twelve);
    img[full] = 0xAA;
    const size_t lens[] = {full, full - 8, full + 1};
    const char *words[] = {NULL, "truncated: expected 48 bytes of data, found 40",
                           "1 trailing bytes"};
    for (int k = 0; k < 3; k++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(write(fds[1], img, lens[k]), (ssize_t)lens[k]);
        close(fds[1]);
        FILE *f = fdopen(fds[0], "rb");
        assert_non_null(f);
        float *got = NULL;
        int nd;
        size_t d[RB_NPY_MAXDIM];
        char err[256] = "";
        int rc = rb_npy_read_stream(f, "pipe", &got, &nd, d, err, sizeof err);
        fclose(f);
        if (!words[k]) {
            assert_int_equal(rc, 0);
            assert_memory_equal(got, twelve, sizeof twelve);
            free(got);
        } else {
            assert_int_equal(rc, -1);
            assert_null(got);
            assert_non_null(strstr(err, words[k]));
            assert_non_null(strstr(err, "pipe"));
        }
    }
}

/* ------------------------------------------------------------- rejections */

static void test_reject_bad_magic(void **state)
{
    unsigned char img[1024];
    size_t n = build(img, sizeof img, 1, 0,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (12,)}",
                     twelve, sizeof twelve);
    img[1] = 'n';
    expect_reject(state, "magic.npy", img, n, "magic");
    expect_reject(state, "text.npy", (const unsigned char *)"hello", 5,
                  "magic");
    expect_reject(state, "empty.npy", img, 0, "not a .npy file");
}

static void test_reject_version(void **state)
{
    static const int v[][2] = {{4, 0}, {1, 1}, {0, 0}, {255, 255}};
    unsigned char img[1024];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t n = build(img, sizeof img, 1, 0,
                         "{'descr': '<f4', 'fortran_order': False, "
                         "'shape': (12,)}", twelve, sizeof twelve);
        img[6] = (unsigned char)v[i][0];
        img[7] = (unsigned char)v[i][1];
        expect_reject(state, "ver.npy", img, n, "version");
    }
}

static void test_reject_truncated_header(void **state)
{
    unsigned char img[1024];
    size_t n = build(img, sizeof img, 1, 0,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (12,)}",
                     NULL, 0);
    assert_int_equal(n, 128);
    expect_reject(state, "th1.npy", img, 4, "truncated"); /* in the magic */
    expect_reject(state, "th2.npy", img, 9, "truncated"); /* in the length */
    expect_reject(state, "th3.npy", img, 40, "truncated"); /* in the dict */
    n = build(img, sizeof img, 2, 0, "{}", NULL, 0);
    assert_int_equal(n, 64);
    expect_reject(state, "th4.npy", img, 11, "truncated"); /* v2 length */
}

static void test_reject_huge_header_length(void **state)
{
    unsigned char img[64];
    size_t n = build(img, sizeof img, 2, 0, "{}", NULL, 0);
    memset(img + 8, 0xff, 4); /* claims a 4 GiB header */
    expect_reject(state, "hh.npy", img, n, "header length");
}

static void test_reject_float64(void **state)
{
    expect_reject_dict(state, "f8.npy",
                       "{'descr': '<f8', 'fortran_order': False, 'shape': (6,)}",
                       "float64");
}

static void test_reject_big_endian(void **state)
{
    expect_reject_dict(state, "be.npy",
                       "{'descr': '>f4', 'fortran_order': False, 'shape': (12,)}",
                       "big-endian");
    expect_reject_dict(state, "be8.npy",
                       "{'descr': '>f8', 'fortran_order': False, 'shape': (6,)}",
                       "big-endian float64");
}

static void test_reject_other_dtypes(void **state)
{
    static const struct {
        const char *dict, *word;
    } bad[] = {
        {"{'descr': '<i4', 'fortran_order': False, 'shape': (12,)}", "int32"},
        {"{'descr': '|u1', 'fortran_order': False, 'shape': (48,)}", "uint8"},
        {"{'descr': '<f2', 'fortran_order': False, 'shape': (24,)}", "float16"},
        {"{'descr': '|f4', 'fortran_order': False, 'shape': (12,)}", "'<f4'"},
        {"{'descr': 'f4', 'fortran_order': False, 'shape': (12,)}", "'<f4'"},
        {"{'descr': '=f4', 'fortran_order': False, 'shape': (12,)}", "'<f4'"},
        {"{'descr': '<U1', 'fortran_order': False, 'shape': (12,)}", "dtype"},
        {"{'descr': '', 'fortran_order': False, 'shape': (12,)}", "dtype"},
        {"{'descr': '<f4444444444444444444444444444444444444', "
         "'fortran_order': False, 'shape': (12,)}", "..."},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (12,)}",
         "structured"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reject_dict(state, "dt.npy", bad[i].dict, bad[i].word);
}

static void test_reject_fortran_order(void **state)
{
    expect_reject_dict(state, "fo.npy",
                       "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4)}",
                       "Fortran order not supported; save with C order");
}

static void test_reject_malformed_dict(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (12,)",
        "{'descr': '<f4', 'fortran_order': False}",
        "{'descr': '<f4', 'shape': (12,)}",
        "{'fortran_order': False, 'shape': (12,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (12,), 'x': 1}",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
        "'shape': (12,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (12)}",
        "{'descr': '<f4', 'fortran_order': false, 'shape': (12,)}",
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (12,)}",
        "{'descr': '<f4', 'fortran_order': Falsey, 'shape': (12,)}",
        "{'descr' '<f4', 'fortran_order': False, 'shape': (12,)}",
        "{'descr': '<f4' 'fortran_order': False, 'shape': (12,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (12,)} x",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3,,4)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3.0, 4)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4]}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4}",
        "{'descr': '<f4, 'fortran_order': False, 'shape': (12,)}",
        "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (12,)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (12,),,}",
        "{descr: '<f4', 'fortran_order': False, 'shape': (12,)}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_reject_dict(state, "md.npy", bad[i], "malformed");
}

static void test_reject_bad_dims(void **state)
{
    expect_reject_dict(state, "neg.npy",
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (3, -4)}", "negative");
    expect_reject_dict(state, "huge.npy",
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (123456789012345678901234567890,)}",
                       "too large");
    expect_reject_dict(state, "ovf.npy",
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (4294967296, 4294967296, 4)}", "overflow");
    /* fits in size_t as elements, not as bytes */
    expect_reject_dict(state, "ovf4.npy",
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (4611686018427387904,)}", "overflow");
    expect_reject_dict(state, "nine.npy",
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (1, 1, 1, 1, 1, 1, 1, 1, 12)}", "dimensions");
    /* a valid count no file could hold: a clean error, not a giant malloc */
    expect_reject_dict(state, "tb.npy",
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (1000000000000,)}", "truncated");
}

static void test_reject_truncated_and_trailing_data(void **state)
{
    unsigned char img[1024];
    const char *dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    size_t n = build(img, sizeof img, 1, 0, dict, twelve, sizeof twelve);
    expect_reject(state, "td.npy", img, n - 8,
                  "truncated: expected 48 bytes of data, found 40");
    expect_reject(state, "td0.npy", img, n - 48,
                  "truncated: expected 48 bytes of data, found 0");
    img[n] = 0;
    expect_reject(state, "tr.npy", img, n + 1, "trailing");
}

/* Every proper prefix of a valid file must be rejected, none accepted. */
static void test_reject_every_truncation(void **state)
{
    char path[256], err[256];
    write_twelve(state, "full.npy", path, sizeof path);
    size_t n;
    unsigned char *b = slurp(path, &n);
    for (size_t len = 0; len < n; len++) {
        write_bytes(path, b, len);
        float *got = NULL;
        int nd;
        size_t gd[RB_NPY_MAXDIM];
        assert_int_equal(rb_npy_read(path, &got, &nd, gd, err, sizeof err), -1);
        assert_null(got);
    }
    free(b);
}

/* Random byte changes to a valid file: the reader must not crash (run under
 * ASan to mean much) and what it accepts must be self-consistent. */
static void test_mutations_never_crash(void **state)
{
    char path[256], err[256];
    write_twelve(state, "mut.npy", path, sizeof path);
    size_t n;
    unsigned char *orig = slurp(path, &n);
    unsigned char *b = malloc(n + 8);
    assert_non_null(b);
    static const char alphabet[] = "{}(),:' \"-0123456789LTF\n\x00\xff";
    uint32_t x = 42;
    for (int it = 0; it < 3000; it++) {
        memcpy(b, orig, n);
        int edits = 1 + it % 4;
        for (int e = 0; e < edits; e++) {
            x = x * 1664525u + 1013904223u;
            size_t at = (x >> 8) % 128; /* the header is where parsing is */
            x = x * 1664525u + 1013904223u;
            b[at] = (x & 1) ? (unsigned char)(x >> 16)
                            : (unsigned char)alphabet[(x >> 16) %
                                                      (sizeof alphabet - 1)];
        }
        write_bytes(path, b, n);
        float *got = NULL;
        int nd = -1;
        size_t gd[RB_NPY_MAXDIM];
        if (rb_npy_read(path, &got, &nd, gd, err, sizeof err) == 0) {
            assert_true(nd >= 0 && nd <= RB_NPY_MAXDIM);
            size_t elems = 1;
            for (int i = 0; i < nd; i++)
                elems *= gd[i];
            assert_true(10 + elems * 4 <= n);
            free(got);
        } else {
            assert_null(got);
            assert_true(strlen(err) > 0);
        }
    }
    free(b);
    free(orig);
}

static void test_reject_missing_file(void **state)
{
    char path[256], err[256] = "";
    path_of(state, "does_not_exist.npy", path, sizeof path);
    float *got = (float *)&got;
    int nd;
    size_t d[RB_NPY_MAXDIM];
    assert_int_equal(rb_npy_read(path, &got, &nd, d, err, sizeof err), -1);
    assert_null(got);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "No such file"));
}

static void test_read_shape_mismatch(void **state)
{
    char path[256], err[512], want[600];
    const size_t d[] = {3, 4};
    write_twelve(state, "x.npy", path, sizeof path);

    const size_t d35[] = {3, 5};
    float *got = (float *)&got;
    assert_int_equal(rb_npy_read_shape(path, &got, 2, d35, err, sizeof err), -1);
    assert_null(got);
    snprintf(want, sizeof want,
             "%s: shape (3, 4) does not match the expected (3, 5)", path);
    assert_string_equal(err, want);

    const size_t d12[] = {12};
    assert_int_equal(rb_npy_read_shape(path, &got, 1, d12, err, sizeof err), -1);
    assert_non_null(strstr(err, "shape (3, 4) does not match the expected (12,)"));
    const size_t d341[] = {3, 4, 1};
    assert_int_equal(rb_npy_read_shape(path, &got, 3, d341, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "expected (3, 4, 1)"));

    assert_int_equal(rb_npy_read_shape(path, &got, 2, d, err, sizeof err), 0);
    assert_memory_equal(got, twelve, sizeof twelve);
    free(got);
}


/* The header alone: shape without the data; the data's length is still
 * checked against the file size. */
static void test_read_header_only(void **state)
{
    char path[256], err[512];
    write_twelve(state, "hdr.npy", path, sizeof path);
    int nd = -1;
    size_t got[RB_NPY_MAXDIM] = {0};
    assert_int_equal(rb_npy_read_header(path, &nd, got, err, sizeof err), 0);
    assert_int_equal(nd, 2);
    assert_int_equal(got[0], 3);
    assert_int_equal(got[1], 4);
    assert_int_equal(truncate(path, 64 + 40), 0); /* 10 of 12 floats */
    assert_int_equal(rb_npy_read_header(path, &nd, got, err, sizeof err), -1);
    assert_non_null(strstr(err, "truncated"));
}

/* Straight into the caller's buffer, exact shape only, canary untouched. */
static void test_read_into(void **state)
{
    char path[256], err[512];
    const size_t d[] = {3, 4}, d43[] = {4, 3};
    write_twelve(state, "into.npy", path, sizeof path);
    float buf[13];
    buf[12] = 42.0f;
    assert_int_equal(rb_npy_read_into(path, buf, 2, d, err, sizeof err), 0);
    assert_memory_equal(buf, twelve, sizeof twelve);
    assert_true(buf[12] == 42.0f);
    assert_int_equal(rb_npy_read_into(path, buf, 2, d43, err, sizeof err), -1);
    assert_non_null(strstr(err, "shape (3, 4) does not match the expected (4, 3)"));
}

/* A FIFO, a directory: refused at once by every reader that takes a path
 * (a FIFO used to block the reader forever). */
static void test_reject_non_regular_files(void **state)
{
    char path[256], err[512];
    path_of(state, "fifo.npy", path, sizeof path);
    assert_int_equal(mkfifo(path, 0600), 0);
    float *data = NULL;
    int nd;
    size_t d[RB_NPY_MAXDIM];
    assert_int_equal(rb_npy_read(path, &data, &nd, d, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file (a FIFO)"));
    assert_int_equal(rb_npy_read_header(path, &nd, d, err, sizeof err), -1);
    assert_non_null(strstr(err, "a FIFO"));
    unlink(path);
    path_of(state, "", path, sizeof path);
    assert_int_equal(rb_npy_read(path, &data, &nd, d, err, sizeof err), -1);
    assert_non_null(strstr(err, "a directory"));
}

static void test_write_errors(void **state)
{
    char path[256], err[256];
    const size_t d[] = {3, 4};
    path_of(state, "no_such_dir/x.npy", path, sizeof path);
    assert_int_equal(rb_npy_write(path, twelve, 2, d, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "No such file"));

    path_of(state, "w.npy", path, sizeof path);
    const size_t d9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(rb_npy_write(path, twelve, 9, d9, err, sizeof err), -1);
    assert_int_equal(rb_npy_write(path, twelve, -1, d, err, sizeof err), -1);
    assert_int_equal(rb_npy_write(path, NULL, 2, d, err, sizeof err), -1);
    const size_t huge[] = {SIZE_MAX / 2, 3};
    assert_int_equal(rb_npy_write(path, twelve, 2, huge, err, sizeof err), -1);
    assert_non_null(strstr(err, "overflow"));
    assert_int_equal(access(path, F_OK), -1); /* nothing was created */

    if (access("/dev/full", W_OK) == 0) { /* ENOSPC shows at flush */
        assert_int_equal(rb_npy_write("/dev/full", twelve, 2, d, err,
                                      sizeof err), -1);
        assert_non_null(strstr(err, "/dev/full"));
    }
}

/* A short or absent err buffer is cut, never overrun. */
static void test_err_buffer_limits(void **state)
{
    char path[256];
    path_of(state, "absent.npy", path, sizeof path);
    float *got;
    int nd;
    size_t d[RB_NPY_MAXDIM];
    char small[8];
    memset(small, 'z', sizeof small);
    assert_int_equal(rb_npy_read(path, &got, &nd, d, small, 5), -1);
    assert_int_equal(strlen(small), 4);
    assert_int_equal(small[5], 'z');
    assert_int_equal(rb_npy_read(path, &got, &nd, d, NULL, 0), -1);
    assert_int_equal(rb_npy_read(path, &got, &nd, d, small, 0), -1);

    char s[8];
    const size_t dd[] = {123456, 7};
    rb_npy_shape_str(s, sizeof s, 2, dd);
    assert_string_equal(s, "(123456");
}


/* Integers (lengths.npy): '<i8' round trip bit for bit, with numpy's header;
 * '<i4' read and widened; floats, big-endian and other widths refused with
 * the float readers' checks (truncated and trailing data too). */
static void test_int64_roundtrip_and_int32(void **state)
{
    char path[256], err[512];
    const int64_t v[5] = {7, 1, -3, INT64_MAX, 1LL << 40};
    const size_t d[1] = {5};
    path_of(state, "len8.npy", path, sizeof path);
    assert_int_equal(rb_npy_write_i64(path, v, 1, d, err, sizeof err), 0);
    size_t n;
    unsigned char *img = slurp(path, &n);
    assert_int_equal(n, 128 + 5 * 8);
    assert_memory_equal(img + 10, "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", 57);
    free(img);
    int64_t *got = NULL;
    int nd = -1;
    size_t gd[RB_NPY_MAXDIM];
    assert_int_equal(rb_npy_read_i64(path, &got, &nd, gd, err, sizeof err), 0);
    assert_int_equal(nd, 1);
    assert_int_equal(gd[0], 5);
    assert_memory_equal(got, v, sizeof v);
    free(got);

    unsigned char buf[512];
    const int32_t w[5] = {3, -1, 2, INT32_MAX, INT32_MIN};
    n = build(buf, sizeof buf, 1, 0, "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }", w, sizeof w);
    path_of(state, "len4.npy", path, sizeof path);
    write_bytes(path, buf, n);
    assert_int_equal(rb_npy_read_i64(path, &got, &nd, gd, err, sizeof err), 0);
    assert_int_equal(gd[0], 5);
    for (int i = 0; i < 5; i++) assert_true(got[i] == (int64_t)w[i]);
    free(got);
    /* the float reader still refuses them */
    float *f = NULL;
    assert_int_equal(rb_npy_read(path, &f, &nd, gd, err, sizeof err), -1);
    assert_non_null(strstr(err, "int32"));
}

static void expect_int_reject(void **state, const char *name, const char *dict, size_t nbytes, const char *word)
{
    char path[256], err[512];
    unsigned char buf[512];
    static const int64_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t n = build(buf, sizeof buf, 1, 0, dict, payload, nbytes);
    path_of(state, name, path, sizeof path);
    write_bytes(path, buf, n);
    int64_t *got = (int64_t *)&got;
    int nd;
    size_t gd[RB_NPY_MAXDIM];
    err[0] = '\0';
    int rc = rb_npy_read_i64(path, &got, &nd, gd, err, sizeof err);
    print_message("%s: rc %d: %s\n", name, rc, err);
    assert_int_equal(rc, -1);
    assert_null(got);
    assert_non_null(strstr(err, word));
    assert_non_null(strstr(err, path));
}

static void test_int_rejects(void **state)
{
    expect_int_reject(state, "i_f4.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 16,
                      "float32; only int64 '<i8' or int32 '<i4'");
    expect_int_reject(state, "i_f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 32,
                      "float64");
    expect_int_reject(state, "i_be.npy", "{'descr': '>i8', 'fortran_order': False, 'shape': (4,), }", 32,
                      "big-endian int64");
    expect_int_reject(state, "i_i2.npy", "{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }", 8,
                      "int16");
    expect_int_reject(state, "i_u8.npy", "{'descr': '<u8', 'fortran_order': False, 'shape': (4,), }", 32,
                      "uint64");
    expect_int_reject(state, "i_fo.npy", "{'descr': '<i8', 'fortran_order': True, 'shape': (4,), }", 32,
                      "Fortran");
    expect_int_reject(state, "i_short.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", 31,
                      "truncated");
    expect_int_reject(state, "i_long.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", 20,
                      "trailing");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_1d),
        cmocka_unit_test(test_roundtrip_3d_with_dim_1),
        cmocka_unit_test(test_roundtrip_scalar_and_empty),
        cmocka_unit_test(test_roundtrip_large_bit_exact),
        cmocka_unit_test(test_header_matches_numpy),
        cmocka_unit_test(test_header_aligned_for_every_ndim),
        cmocka_unit_test(test_read_v2_and_v3),
        cmocka_unit_test(test_read_header_spellings),
        cmocka_unit_test(test_read_stream_from_pipe),
        cmocka_unit_test(test_reject_bad_magic),
        cmocka_unit_test(test_reject_version),
        cmocka_unit_test(test_reject_truncated_header),
        cmocka_unit_test(test_reject_huge_header_length),
        cmocka_unit_test(test_reject_float64),
        cmocka_unit_test(test_reject_big_endian),
        cmocka_unit_test(test_reject_other_dtypes),
        cmocka_unit_test(test_reject_fortran_order),
        cmocka_unit_test(test_reject_malformed_dict),
        cmocka_unit_test(test_reject_bad_dims),
        cmocka_unit_test(test_reject_truncated_and_trailing_data),
        cmocka_unit_test(test_reject_every_truncation),
        cmocka_unit_test(test_mutations_never_crash),
        cmocka_unit_test(test_reject_missing_file),
        cmocka_unit_test(test_read_shape_mismatch),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_read_header_only),
        cmocka_unit_test(test_read_into),
        cmocka_unit_test(test_reject_non_regular_files),
        cmocka_unit_test(test_err_buffer_limits),
        cmocka_unit_test(test_int64_roundtrip_and_int32),
        cmocka_unit_test(test_int_rejects),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
