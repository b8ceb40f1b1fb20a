/*
 * results_csv.h: DIR/results.csv of a sweep: one row per point, written
 * whole (one write, flush and fsync) so a crash cuts at most the last
 * line; read back and repaired on resume.
 */
#ifndef RB_RESULTS_CSV_H
#define RB_RESULTS_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "run.h"
#include "stats.h"
#include "strset.h"
#include "sweep.h"
#include "sysinfo.h"

/* The CSV columns, in order (the header line without the newline): the 27
 * of the first sweeps (RB_SWEEP_CSV_HEADER_V1), then the measurement ones
 * (the interval of the median, its level, the spread, the 5% flag, how
 * many variants took turns, the bound: stats.h, bound.h), then the
 * network ones LAST: layers (L), dir (the direction mode), lengths (the
 * spec: full, random, random:MIN) and tokens (the real steps, sum of the
 * lengths). None of the network columns holds a comma, so a reader that
 * splits on commas finds them counting from the end of the line (binding,
 * before them, may hold commas). */
#define RB_SWEEP_CSV_HEADER_V1                                                                 \
    "host,date,variant,isa,parallel,cell,pass,T,N,I,H,G,threads,reps,median_ms,min_ms,max_ms," \
    "stddev_ms,gflops,gflops_deepbench,flops,ms_per_step,pct_peak,bytes_min,arith_intensity,"  \
    "status,binding"
#define RB_SWEEP_NCOLS_V1 27
#define RB_SWEEP_CSV_MEASURE_COLS                                                              \
    ",ci_lo_ms,ci_hi_ms,ci_level,spread_pct,noisy,interleaved,bound_ms,pct_bound,bound_by"
/* a V1 row gains the measurement columns empty (nothing was measured) */
#define RB_SWEEP_V1_MEASURE_FILL ",,,,,,,,,"
#define RB_SWEEP_CSV_NET_COLS ",layers,dir,lengths,tokens"
#define RB_SWEEP_CSV_HEADER RB_SWEEP_CSV_HEADER_V1 RB_SWEEP_CSV_MEASURE_COLS RB_SWEEP_CSV_NET_COLS
#define RB_SWEEP_NCOLS 40
/* the first network column (layers), 0-based */
#define RB_SWEEP_COL_LAYERS 36
/* Headers of development builds of one day (network columns without the
 * measurement ones, and the reverse): refused with a clear message. */
#define RB_SWEEP_CSV_HEADER_NET31 RB_SWEEP_CSV_HEADER_V1 RB_SWEEP_CSV_NET_COLS
#define RB_SWEEP_CSV_HEADER_MEAS36 RB_SWEEP_CSV_HEADER_V1 RB_SWEEP_CSV_MEASURE_COLS

/* Writes s as one CSV field: quoted when it holds a comma, quote or
 * newline; newlines become spaces (a row is always one line). */
void rb_csv_field(FILE *f, const char *s);
/* Splits one CSV line (no newline) into at most max fields, in place
 * (quotes removed, "" unescaped); returns the count, or -1 when a quote is
 * not closed. */
int rb_csv_split(char *line, char **fields, int max);

/* What one point gave: status "ok", "skipped: why" or "error: why"; tm
 * when timed. */
typedef struct {
    char status[512];
    rb_timing tm;
    int timed;
    rb_stats st;     /* when timed: median, interval, spread (stats.h) */
    int interleaved; /* variants timed round-robin with this one (itself included) */
} rb_point_result;

/* Appends the row of one point to csv (opened for append) with one write,
 * then fflush and fsync; binding: the binding of its team (written when
 * timed). Dies with the reason (naming path) if the row cannot be
 * written. */
void rb_results_append(FILE *csv, const char *path, const rb_sysinfo *si, const rb_sweep_point *pt,
                       const rb_point_result *r, const char *binding);

/* What reading results.csv found. */
typedef struct {
    long rows;       /* rows kept                                          */
    int truncated;   /* 1: the last line had no newline (a write cut short) */
    int damaged;     /* lines dropped: NUL bytes, wrong field count, values
                      * that no sweep writes (a cut line included)          */
    int duplicates;  /* rows dropped because an earlier row has their key  */
    int upgraded;    /* 1: the file had the header of before the network
                      * columns; its rows read as L=1, l2r, full length */
} rb_csv_report;

/* Reads path for resume: checks the header, keeps every complete row that
 * a sweep could have written, adds its key (variant,cell,pass,T,N,I,H,
 * threads,layers,dir,lengths) to keys, and drops the rest: a last line
 * without newline, any line with a NUL byte or not RB_SWEEP_NCOLS valid
 * fields, and a row whose key an earlier row holds. A file from before the
 * network columns (RB_SWEEP_CSV_HEADER_V1) is read as what it is, one
 * layer, l2r, full length, tokens = N*T, and upgraded: with repair it is
 * rewritten with the new header and those four values appended to each
 * row (rep->upgraded), so a sweep started by an older rnnbench resumes.
 * With repair, a file that lost lines is rewritten (temporary file, fsync,
 * rename; the temporary file removed if that fails) and a missing file is
 * created with the header; without, nothing is written. Returns 0, or -1
 * with a one-line reason in err. */
int rb_sweep_csv_load(const char *path, rb_strset *keys, int repair, rb_csv_report *rep, char *err,
                      size_t errlen);
/* One line for stderr saying what a load dropped ("" when nothing). */
void rb_csv_report_text(const rb_csv_report *rep, char *buf, size_t n);

#endif
