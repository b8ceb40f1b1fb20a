/*
 * results_csv.c: results.csv of a sweep (results_csv.h): the row writer,
 * the CSV field helpers, and reading the file back on resume, which keeps
 * every row a sweep could have written and drops the rest, whatever a
 * crash or a hand left in the file (a cut last line, a block of NUL bytes
 * from a filesystem that extended the file before the crash, a garbage or
 * duplicated row).
 */
#include "results_csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bound.h"
#include "cli.h"
#include "files.h"
#include "provenance.h"

/* ---------------------------------------------------------------- fields */

void rb_csv_field(FILE *f, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

int rb_csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *r = line, *w = line;
    for (;;) {
        if (n == max) return n + 1; /* too many: the caller sees count > max */
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (*r == '\0') return -1;
                if (*r == '"') {
                    if (r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                *w++ = *r++;
            }
            if (*r != ',' && *r != '\0') return -1;
        } else {
            while (*r && *r != ',') *w++ = *r++;
        }
        if (*r == '\0') {
            *w = '\0';
            return n;
        }
        r++; /* the comma */
        *w++ = '\0';
    }
}

/* ------------------------------------------------------------ one row */

/* See PCT_PEAK_RULE (sweep_meta.c) */
static double pct_peak_ceiling(const rb_sysinfo *si, int thr) { return rb_bound_peak_gflops(si, thr); }

static void num(FILE *f, const char *fmt, double x)
{
    fputc(',', f);
    if (isfinite(x)) fprintf(f, fmt, x);
}

void rb_results_append(FILE *csv, const char *path, const rb_sysinfo *si, const rb_sweep_point *pt,
                       const rb_point_result *r, const char *binding)
{
    char *buf = NULL, date[64];
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) rb_die("sweep: out of memory");
    const rb_shape *s = &pt->p.s;
    const int thr = pt->p.threads;
    rb_iso_now(date, sizeof date);
    rb_csv_field(m, si->hostname);
    fputc(',', m);
    rb_csv_field(m, date);
    fputc(',', m);
    rb_csv_field(m, pt->v->name);
    fputc(',', m);
    rb_csv_field(m, pt->v->isa);
    fputc(',', m);
    rb_csv_field(m, pt->v->parallel);
    fprintf(m, ",%s,%s,%d,%d,%d,%d,%d,%d,", rb_cell_name(s->cell), rb_pass_name(pt->pass), s->T, s->N,
            s->I, s->H, rb_cell_gates(s->cell), thr);
    const double flops = rb_pass_flops(s, pt->pass), bytes = rb_sweep_bytes_min(s, pt->pass);
    if (r->timed) {
        const double med = r->tm.median_s;
        const double gf = flops / med * 1e-9;
        fprintf(m, "%d", r->tm.reps);
        num(m, "%.6g", med * 1e3);
        num(m, "%.6g", r->tm.min_s * 1e3);
        num(m, "%.6g", r->tm.max_s * 1e3);
        num(m, "%.6g", r->tm.stddev_s * 1e3);
        num(m, "%.6g", gf);
        num(m, "%.6g", rb_sweep_flops_deepbench(s, pt->pass) / med * 1e-9);
        num(m, "%.0f", flops);
        num(m, "%.6g", med * 1e3 / s->T);
        num(m, "%.2f", 100.0 * gf / pct_peak_ceiling(si, thr));
    } else {
        fputs(",,,,,,", m); /* reps .. gflops_deepbench empty */
        num(m, "%.0f", flops);
        fputs(",,", m);     /* ms_per_step, pct_peak */
    }
    num(m, "%.0f", bytes);
    num(m, "%.6g", flops / bytes);
    fputc(',', m);
    rb_csv_field(m, r->status);
    fputc(',', m);
    if (r->timed) rb_csv_field(m, binding);
    /* the interval of the median and the bound (stats.h, bound.h) */
    rb_bound b;
    const double bound_s = rb_bound_point_s(si, pt->v, &pt->p, pt->pass, &b);
    if (r->timed) {
        num(m, "%.6g", r->st.lo * 1e3);
        num(m, "%.6g", r->st.hi * 1e3);
        num(m, "%.4f", r->st.level);
        num(m, "%.2f", r->st.spread_pct);
        fprintf(m, ",%d,%d", r->st.noisy, r->interleaved);
    } else {
        fputs(",,,,,,", m);
    }
    num(m, "%.6g", bound_s * 1e3);
    num(m, "%.2f", r->timed ? 100.0 * bound_s / r->tm.median_s : NAN);
    fputc(',', m);
    /* bound_by: the largest of the three terms (memory: the level of the
     * recurrent steps) */
    if (isfinite(bound_s))
        fputs(b.sync_s > fmax(b.compute_s, b.memory_s) ? "barrier"
              : b.compute_s >= b.memory_s           ? "compute"
                                                    : rb_level_name(b.step_level), m);
    /* the network columns last (results_csv.h) */
    fprintf(m, ",%d,%s,%s,%lld\n", rb_shape_layers(s), rb_dir_name(s->dir), pt->lengths[0] ? pt->lengths : "full",
            rb_tokens(s));
    fclose(m);
    if (fwrite(buf, 1, len, csv) != len || fflush(csv) != 0 || fsync(fileno(csv)) != 0)
        rb_die("sweep: cannot append to %s: %s", path, strerror(errno));
    free(buf);
}

/* ----------------------------------------------------------- read back */

/* Writes path whole through path.tmp (fsync, rename); on failure the
 * temporary file is removed and err says why. */
static int write_all_synced(const char *path, const char *data, size_t n, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, w < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* A positive decimal count as the sweep writes it: digits, no sign, no
 * leading zero, at most 9 digits. */
static int is_count(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 9 || s[0] == '0') return 0;
    return strspn(s, "0123456789") == n;
}

/* A lengths spec as the sweep writes it: full, random, random:MIN with
 * MIN >= 2 (random:1 is written random). */
static int is_lengths_spec(const char *s)
{
    if (strcmp(s, "full") == 0 || strcmp(s, "random") == 0) return 1;
    return strncmp(s, "random:", 7) == 0 && is_count(s + 7) && strcmp(s + 7, "1") != 0;
}

/* A count of up to 18 digits (tokens: N * T reaches 2^48). */
static int is_big_count(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 18 && s[0] != '0' && strspn(s, "0123456789") == n;
}

/* 1 when the fields of a row are ones a sweep writes (the key fields, the
 * status and, in the current columns, the network ones); the numbers
 * between them are the sweep's own and not re-derived. */
static int row_valid(char **f, int ncols)
{
    rb_cell cell;
    rb_pass pass;
    rb_dir dir;
    if (!f[0][0] || !f[1][0] || !f[2][0]) return 0;
    if (rb_cell_parse(f[5], &cell) != 0 || rb_pass_parse(f[6], &pass) != 0) return 0;
    for (int i = 7; i <= 12; i++) /* T N I H G threads */
        if (!is_count(f[i])) return 0;
    const char *st = f[25];
    if (!(strcmp(st, "ok") == 0 || strncmp(st, "skipped: ", 9) == 0 || strncmp(st, "error: ", 7) == 0))
        return 0;
    if (ncols == RB_SWEEP_NCOLS_V1) return 1;
    const int L = RB_SWEEP_COL_LAYERS;
    return is_count(f[L]) && rb_dir_parse(f[L + 1], &dir) == 0 && is_lengths_spec(f[L + 2]) && is_big_count(f[L + 3]);
}

/* 1 when the line buf..nl (no newline) is exactly h */
static int line_is(const char *buf, const char *nl, const char *h)
{
    return (size_t)(nl - buf) == strlen(h) && memcmp(buf, h, strlen(h)) == 0;
}

int rb_sweep_csv_load(const char *path, rb_strset *keys, int repair, rb_csv_report *rep, char *err,
                      size_t errlen)
{
    memset(rep, 0, sizeof *rep);
    size_t n;
    char *buf = rb_read_file(path, &n);
    if (!buf) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            return -1;
        }
        if (!repair) return 0;
        return write_all_synced(path, RB_SWEEP_CSV_HEADER "\n", strlen(RB_SWEEP_CSV_HEADER) + 1, err,
                                errlen);
    }
    const size_t hlen = strlen(RB_SWEEP_CSV_HEADER), h1len = strlen(RB_SWEEP_CSV_HEADER_V1);
    int changed = 0, ncols = RB_SWEEP_NCOLS;
    size_t pos;
    /* the header: absent or cut short is repaired, the one of before the
     * network columns upgraded, another refused; lengths, not strchr,
     * everywhere: the text may hold NUL bytes */
    const char *nl = memchr(buf, '\n', n);
    if (!nl) {
        if (n > hlen || memcmp(buf, RB_SWEEP_CSV_HEADER, n) != 0) {
            snprintf(err, errlen, "%s does not start with the results.csv header", path);
            free(buf);
            return -1;
        }
        changed = 1;
        pos = n;
    } else if ((size_t)(nl - buf) == h1len && memcmp(buf, RB_SWEEP_CSV_HEADER_V1, h1len) == 0) {
        ncols = RB_SWEEP_NCOLS_V1;
        rep->upgraded = 1;
        changed = 1;
        pos = h1len + 1;
    } else if (line_is(buf, nl, RB_SWEEP_CSV_HEADER_NET31) || line_is(buf, nl, RB_SWEEP_CSV_HEADER_MEAS36)) {
        snprintf(err, errlen,
                 "%s has the columns of a development build (%s columns without the %s ones); "
                 "sweep into a new directory", path, line_is(buf, nl, RB_SWEEP_CSV_HEADER_NET31) ? "network" : "measurement",
                 line_is(buf, nl, RB_SWEEP_CSV_HEADER_NET31) ? "measurement" : "network");
        free(buf);
        return -1;
    } else {
        if ((size_t)(nl - buf) != hlen || memcmp(buf, RB_SWEEP_CSV_HEADER, hlen) != 0) {
            snprintf(err, errlen, "%s has a different header (columns changed, or not a sweep's file)", path);
            free(buf);
            return -1;
        }
        pos = hlen + 1;
    }
    /* an upgraded row grows by 9 empty measurement fields, ",1,l2r,full,"
     * and tokens (at most 18 digits): 41 bytes; a row is at least 27 bytes
     * (its commas) */
    char *out = malloc(n + (n / 27 + 1) * 48 + hlen + 2);
    if (!out) rb_die("sweep: out of memory reading %s", path);
    memcpy(out, RB_SWEEP_CSV_HEADER "\n", hlen + 1);
    size_t on = hlen + 1;
    while (pos < n) {
        char *line = buf + pos;
        nl = memchr(line, '\n', n - pos);
        if (!nl) { /* no newline: the write of this row was cut short */
            rep->truncated = 1;
            changed = 1;
            break;
        }
        const size_t len = (size_t)(nl - line);
        pos += len + 1;
        char *fld[RB_SWEEP_NCOLS + 1];
        const int has_nul = len && memchr(line, '\0', len);
        char *copy = NULL;
        if (len && !has_nul && !(copy = strndup(line, len))) rb_die("sweep: out of memory");
        int ok = copy && rb_csv_split(copy, fld, ncols) == ncols && row_valid(fld, ncols);
        if (!ok) {
            rep->damaged++;
            changed = 1;
        } else {
            char key[512], net[64];
            if (ncols == RB_SWEEP_NCOLS_V1) /* what the older rnnbench ran */
                snprintf(net, sizeof net, "1,l2r,full");
            else
                snprintf(net, sizeof net, "%s,%s,%s", fld[RB_SWEEP_COL_LAYERS], fld[RB_SWEEP_COL_LAYERS + 1],
                         fld[RB_SWEEP_COL_LAYERS + 2]);
            snprintf(key, sizeof key, "%s,%s,%s,%s,%s,%s,%s,%s,%s", fld[2], fld[5], fld[6], fld[7], fld[8],
                     fld[9], fld[10], fld[12], net);
            if (!rb_strset_add(keys, key)) {
                rep->duplicates++;
                changed = 1;
            } else {
                memcpy(out + on, line, len);
                on += len;
                if (ncols == RB_SWEEP_NCOLS_V1)
                    on += (size_t)sprintf(out + on, RB_SWEEP_V1_MEASURE_FILL ",%s,%lld", net, atoll(fld[7]) * atoll(fld[8]));
                out[on++] = '\n';
                rep->rows++;
            }
        }
        free(copy);
    }
    int rc = 0;
    if (changed && repair) rc = write_all_synced(path, out, on, err, errlen);
    free(buf);
    free(out);
    return rc;
}

void rb_csv_report_text(const rb_csv_report *rep, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!rep->truncated && !rep->damaged && !rep->duplicates && !rep->upgraded) return;
    size_t k = 0;
    const char *sep = "dropped ";
    if (rep->upgraded) {
        k += (size_t)snprintf(buf + k, n - k, "added the measurement columns (empty) and layers,dir,lengths,"
                              "tokens (a file of before them: its rows are one layer, l2r, full length)");
        if (!rep->truncated && !rep->damaged && !rep->duplicates) {
            snprintf(buf + k, n - k, "; %ld row(s) kept", rep->rows);
            return;
        }
        sep = "; dropped ";
    }
    if (rep->truncated) {
        k += (size_t)snprintf(buf + k, n - k, "%s1 truncated last line (a write cut short)", sep);
        sep = ", ";
    }
    if (rep->damaged && k < n) {
        k += (size_t)snprintf(buf + k, n - k, "%s%d damaged line(s) (NUL bytes, wrong field count or "
                              "values no sweep writes)", sep, rep->damaged);
        sep = ", ";
    }
    if (rep->duplicates && k < n)
        k += (size_t)snprintf(buf + k, n - k, "%s%d duplicate row(s) (the first of each key kept)", sep,
                              rep->duplicates);
    if (k < n) snprintf(buf + k, n - k, "; %ld row(s) kept", rep->rows);
}
