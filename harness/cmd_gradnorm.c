/*
 * cmd_gradnorm.c: `rnnbench gradnorm`: the norm of ∂L/∂h_t (and ∂L/∂c_t,
 * ∂L/∂x_t, step t's term of dweight_hh) against k = T-1-t steps back, for
 * each cell and recurrent scale rho, through a variant's own BPTT; one CSV
 * row per (cell, rho, k), aggregated over seeds (geometric mean, min, max).
 * With --layers L the same through an L-layer network on the double
 * reference: one row per (cell, rho, layer, k), the CSV's last column
 * `layer` (0 in the single-layer experiment, whose columns are otherwise
 * unchanged). The experiment and its bookkeeping are described in
 * gradnorm.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"
#include "gradnorm.h"
#include "run.h"
#include "tensors.h"

#define MAX_RHO 64

static double parse_double(const char *s, const char *what, double lo, double hi)
{
    char *end;
    errno = 0;
    /* strtod skips leading blanks and takes '+', "inf", "nan" and hex:
     * a number here starts with a digit, '-' or '.'. */
    const char *p = *s == '-' ? s + 1 : s;
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        rb_die("gradnorm: %s: '%s' is not a finite number", what, s);
    double v = strtod(s, &end);
    if (*end != '\0' || !isfinite(v) || (errno == ERANGE && fabs(v) > 1))
        rb_die("gradnorm: %s: '%s' is not a finite number", what, s);
    /* ERANGE on a tiny value: glibc flags subnormals too; those are exact
     * enough and kept, only a value that vanished to 0 is refused. */
    if (errno == ERANGE && v == 0)
        rb_die("gradnorm: %s: '%s' is too small for a double (it underflows to 0)", what, s);
    if (v < lo || v > hi) rb_die("gradnorm: %s: %g is out of range [%g, %g]", what, v, lo, hi);
    return v;
}

static int parse_double_list(const char *s, const char *what, double lo, double hi, double *out,
                             int max)
{
    char buf[1024], *items[MAX_RHO], name[64];
    snprintf(name, sizeof name, "gradnorm: %s", what);
    const int n = rb_split_list(s, name, buf, sizeof buf, items, max < MAX_RHO ? max : MAX_RHO);
    for (int i = 0; i < n; i++) out[i] = parse_double(items[i], what, lo, hi);
    return n;
}

/* A number, or an empty field for "not applicable". Not-a-number and
 * overflow stay visible, always spelled nan / inf / -inf. */
static void field(FILE *f, double v, int present)
{
    if (!present) fputc(',', f);
    else if (isnan(v)) fputs(",nan", f);
    else if (isinf(v)) fputs(v > 0 ? ",inf" : ",-inf", f);
    else fprintf(f, ",%.9g", v);
}

/* Values of a curve that are not finite (dc only for lstm). */
static int count_nonfinite(const rb_gn_curve *cv, int lstm)
{
    int n = !isfinite(cv->grad_norm_before) + !isfinite(cv->grad_norm_after);
    for (int k = 0; k < cv->L * cv->T; k++)
        n += !isfinite(cv->dh[k]) + !isfinite(cv->dx[k]) + !isfinite(cv->dwhh[k]) +
             !isfinite(cv->dh_clipped[k]) + (lstm && !isfinite(cv->dc[k]));
    return n;
}

/* --out FILE: the CSV goes to a temporary file beside it, renamed over FILE
 * only when every byte is written, so a full disk or a failure never leaves
 * a truncated CSV under FILE's name. A FILE that exists and is not a
 * regular file (/dev/null, a FIFO) is written directly. */
static char out_tmp[4096];
static void remove_out_tmp(void)
{
    if (out_tmp[0]) unlink(out_tmp);
}

static FILE *open_out(const char *path)
{
    struct stat st;
    FILE *f;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!(f = fopen(path, "w"))) rb_die("gradnorm: cannot write %s: %s", path, strerror(errno));
        return f;
    }
    if (snprintf(out_tmp, sizeof out_tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof out_tmp)
        rb_die("gradnorm: --out: path too long");
    int fd = mkstemp(out_tmp);
    if (fd < 0) {
        int e = errno;
        out_tmp[0] = '\0';
        rb_die("gradnorm: cannot write %s: %s", path, strerror(e));
    }
    atexit(remove_out_tmp); /* rb_die on the way leaves nothing behind */
    const mode_t mask = umask(0); /* mkstemp's 0600, made what fopen gives */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    if (!(f = fdopen(fd, "w"))) rb_die("gradnorm: cannot write %s: %s", path, strerror(errno));
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (out_tmp[0]) {
        if (rb_commit_file(f, out_tmp, path) != 0) rb_die("gradnorm: writing %s failed: %s", path, strerror(errno));
        out_tmp[0] = '\0';
        return;
    }
    int bad = fflush(f) != 0 || ferror(f);
    int e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) rb_die("gradnorm: writing %s failed: %s", path, strerror(e));
}

int rb_cmd_gradnorm(int argc, char **argv)
{
    rb_opt opts[] = {
        {"cell", "C,..", "cells, or all (see rnnbench run --help)", "all", 0},
        {"rho", "R,..", "spectral radii of the recurrent weights", "0.5,0.9,1.0,1.1,1.5,2.0,3.0", 0},
        RB_SHAPE_OPTS("50", "8", "16", "32"),
        {"seeds", "S", "number of seeds (aggregated: geometric mean, min, max)", "5", 0},
        {"seed", "B", "first seed (seeds B, B+1, ...)", "1", 0},
        {"variant", "V", "whose BPTT is used (rnnbench list)", "naive", 0},
        {"layers", "L", "an L-layer network on the double reference: a row per layer (column layer)", NULL, 0},
        {"threads", "K", "OpenMP threads for parallel variants", "1", 0},
        {"forget-bias", "F", "lstm: added to the forget-gate rows of bias_ih", "0", 0},
        {"loss", "L", "last (on h_{T-1} only) | all (summed over steps)", "last", 0},
        {"head", "HD", "softmax (cross-entropy) | sigmoid (binary cross-entropy)", "softmax", 0},
        {"K", "K", "head outputs: classes or independent bits", "10", 0},
        {"clip", "C", "clip the parameter gradients to global norm C", NULL, 0},
        {"out", "FILE", "write the CSV to FILE instead of stdout", NULL, 0},
    };
    const int nopts = (int)(sizeof opts / sizeof opts[0]);
    rb_opts_parse("gradnorm", "[--cell C,..] [--rho R,..] [--T T] [...] [--out FILE.csv]", argc, argv,
                  opts, nopts);
#define OPT(name) rb_opt_get(opts, nopts, name)

    /* Cells. */
    rb_cell cells[16];
    const int ncells = rb_parse_cells(OPT("cell")->value, "gradnorm", cells, 16);
    double rho[MAX_RHO];
    const int nrho = parse_double_list(OPT("rho")->value, "--rho", 0, 100, rho, MAX_RHO);

    rb_gn_config cfg;
    memset(&cfg, 0, sizeof cfg);
    rb_parse_shape_opts(opts, nopts, "gradnorm", &cfg.s, NULL);
    const int seeds = (int)rb_parse_long(OPT("seeds")->value, "gradnorm: --seeds", 1, 100000);
    const uint64_t seed0 = rb_parse_u64(OPT("seed")->value, "gradnorm: --seed");
    cfg.threads = (int)rb_parse_long(OPT("threads")->value, "gradnorm: --threads", 1, 4096);
    cfg.forget_bias = parse_double(OPT("forget-bias")->value, "--forget-bias", -100, 100);
    const char *loss = OPT("loss")->value, *headname = OPT("head")->value;
    if (strcmp(loss, "last") == 0) cfg.loss = RB_GN_LOSS_LAST;
    else if (strcmp(loss, "all") == 0) cfg.loss = RB_GN_LOSS_ALL;
    else rb_die("gradnorm: unknown --loss '%s' (last | all)", loss);
    if (strcmp(headname, "softmax") == 0) cfg.head = RB_GN_HEAD_SOFTMAX;
    else if (strcmp(headname, "sigmoid") == 0) cfg.head = RB_GN_HEAD_SIGMOID;
    else rb_die("gradnorm: unknown --head '%s' (softmax | sigmoid)", headname);
    cfg.K = (int)rb_parse_long(OPT("K")->value, "gradnorm: --K", cfg.head == RB_GN_HEAD_SOFTMAX ? 2 : 1,
                               1 << 20);
    const int clipping = OPT("clip")->value != NULL;
    cfg.clip = clipping ? parse_double(OPT("clip")->value, "--clip", 1e-30, 1e300) : 0;

    cfg.v = rb_variant_find(OPT("variant")->value);
    if (!cfg.v) rb_die("gradnorm: unknown variant '%s' (see rnnbench list)", OPT("variant")->value);
    if (OPT("layers")->value) {
        cfg.layers = (int)rb_parse_long(OPT("layers")->value, "gradnorm: --layers", 1, 64);
        if (OPT("variant")->seen)
            rb_die("gradnorm: --layers runs the network on the double reference; --variant does not apply");
        if (OPT("threads")->seen) rb_die("gradnorm: --layers runs the double reference on one thread; --threads does not apply");
    }
    /* What the CSV's variant column names. */
    const char *who = cfg.layers ? "ref_f64" : cfg.v->name;
    for (int c = 0; c < ncells && cfg.layers; c++) {
        /* the network in float and double, its workspace, the chain's scratch */
        rb_shape s = cfg.s;
        s.cell = cells[c];
        s.layers = cfg.layers;
        char err[512];
        size_t b = rb_tset_bytes(&s, 0);
        b = b > SIZE_MAX / 8 ? SIZE_MAX : b * 8;
        if (rb_check_fits(b, err, sizeof err) != 0) rb_die("gradnorm: %s", err);
    }
    for (int c = 0; c < ncells && !cfg.layers; c++) {
        rb_shape s = cfg.s;
        s.cell = cells[c];
        rb_problem p = {.s = s, .threads = cfg.threads};
        const char *why = rb_variant_why_not(cfg.v, &p);
        if (why) rb_die("gradnorm: variant %s cannot run %s here: %s", cfg.v->name, rb_cell_name(cells[c]), why);
        char err[512];
        if (rb_check_fits(rb_tset_bytes(&s, cfg.v->ops->workspace_bytes(&p)), err, sizeof err) != 0)
            rb_die("gradnorm: %s", err);
    }

    const char *out = OPT("out")->value;
    FILE *f = out ? open_out(out) : stdout;

    fprintf(f, "cell,rho,k,dh_norm,dh_min,dh_max,dc_norm,dx_norm,dwhh_step_norm,dh_norm_clipped,"
               "grad_norm_before,grad_norm_after,forget_bias,loss,head,variant,T,N,I,H,seeds,"
               "K,clip,seed,layer\n");
    for (int c = 0; c < ncells; c++)
        for (int r = 0; r < nrho; r++) {
            rb_gn_config cc = cfg;
            cc.s.cell = cells[c];
            cc.rho = rho[r];
            const int lstm = rb_cell_has_c(cells[c]); /* dc and the forget bias */
            if (!lstm) cc.forget_bias = 0;
            rb_gn_curve cv;
            char err[512];
            if (rb_gradnorm_curve(&cc, seed0, seeds, &cv, err, sizeof err) != 0)
                rb_die("gradnorm: %s rho=%g: %s", rb_cell_name(cells[c]), rho[r], err);
            const int bad = count_nonfinite(&cv, lstm);
            if (cv.overflowed)
                fprintf(stderr, "rnnbench: gradnorm: warning: %s rho=%g: the forward pass overflowed float "
                        "(h_t not finite from step t=%d, k=%d) in %d of %d seeds; their norms are nan\n",
                        rb_cell_name(cells[c]), rho[r], cv.overflow_step, cc.s.T - 1 - cv.overflow_step,
                        cv.overflowed, seeds);
            else if (bad)
                fprintf(stderr, "rnnbench: gradnorm: warning: %s rho=%g: %d values are not finite "
                        "(inf or nan in the CSV): the gradient overflowed float\n",
                        rb_cell_name(cells[c]), rho[r], bad);
            for (int i = 0; i < cv.L * cc.s.T; i++) {
                const int k = i % cc.s.T;
                fprintf(f, "%s,%.6g,%d", rb_cell_name(cells[c]), rho[r], k);
                field(f, cv.dh[i], 1);
                field(f, cv.dh_min[i], 1);
                field(f, cv.dh_max[i], 1);
                field(f, lstm ? cv.dc[i] : 0, lstm);
                field(f, cv.dx[i], 1);
                field(f, cv.dwhh[i], 1);
                field(f, cv.dh_clipped[i], 1);
                field(f, cv.grad_norm_before, 1);
                field(f, cv.grad_norm_after, 1);
                field(f, cc.forget_bias, lstm);
                fprintf(f, ",%s,%s,%s,%d,%d,%d,%d,%d,%d", loss, headname, who, cc.s.T, cc.s.N,
                        cc.s.I, cc.s.H, seeds, cc.K);
                field(f, cfg.clip, clipping);
                fprintf(f, ",%llu,%d\n", (unsigned long long)seed0, i / cc.s.T);
            }
            rb_gn_curve_free(&cv);
        }
    if (out) close_out(f, out); /* stdout: checked by rb_exit */
    return 0;
#undef OPT
}
