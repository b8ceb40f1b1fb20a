/*
 * sweep_loop.h: the loop of `rnnbench sweep`: the points not yet done, in
 * a seeded random order of sweep points, the variants of each timed
 * together round-robin (interleave.h), each row appended to results.csv
 * as soon as its point is done; progress and ETA on stderr; SIGINT/SIGTERM
 * finish the point under way (a second signal abandons it).
 */
#ifndef RB_SWEEP_LOOP_H
#define RB_SWEEP_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "strset.h"
#include "sweep.h"
#include "sysinfo.h"

/* From here on SIGINT and SIGTERM only set a flag (rb_sweep_stop_signal),
 * which the start-up checks after each step and the loop before each
 * point. (Blocking them instead would not do: OpenMP's threads would take
 * them with the default action.) Also ignores SIGPIPE: a closed stderr
 * must not end a sweep whose results go to a file. */
void rb_sweep_signals_catch(void);
/* dir is now one --resume accepts: a second signal exits at once, saying
 * "resume with: rnnbench sweep --resume dir". */
void rb_sweep_signals_resumable(const char *dir);
/* The signal that asked to stop, or 0. */
int rb_sweep_stop_signal(void);

/* 1 when the point will be a skipped row (no time to estimate). */
int rb_sweep_will_skip(const rb_sweep_point *pt);

typedef struct {
    int reps, warmup;
    uint64_t seed;
    uint64_t order_seed; /* the shuffle of the points (meta.json "order") */
    int shuffle;         /* 0: grid order (--order grid)                  */
} rb_sweep_timing;

#define RB_SWEEP_MAXREASONS 16
/* The order a sweep runs its points in: the points not in done, grouped
 * by sweep point (everything of the key but the variant: those variants
 * take turns, interleave.h), each group's variants in grid order; the
 * groups in grid order, or with shuffle in a random order drawn from
 * seed (the same seed, grid and done set: the same order). Group g is
 * idx[start[g] .. start[g+1]-1], indices into pts. */
typedef struct {
    size_t *idx, n;
    size_t *start, ngroups;
} rb_sweep_sched;
void rb_sweep_schedule(const rb_sweep_point *pts, size_t npts, const rb_strset *done, uint64_t seed,
                       int shuffle, rb_sweep_sched *out);
void rb_sweep_sched_free(rb_sweep_sched *s);

typedef struct {
    size_t done;              /* points in results.csv, any run */
    size_t ok, skipped, errors; /* of this run */
    double seconds;           /* this run's wall time */
    /* why this run skipped points: the first RB_SWEEP_MAXREASONS distinct
     * statuses (without "skipped: "), with their counts, for the summary */
    int nreasons;
    struct { char why[200]; size_t n; } reasons[RB_SWEEP_MAXREASONS];
} rb_sweep_tally;

/* Runs every point whose key is not in done (adding it), appending to csv
 * (path: for messages); est_left: the rough seconds of those points.
 * Stops early when a signal asks (rb_sweep_stop_signal). */
void rb_sweep_loop(const rb_sweep_point *pts, size_t npts, rb_strset *done, FILE *csv, const char *path,
                   const rb_sysinfo *si, const rb_sweep_timing *tm, double est_left, rb_sweep_tally *tally);

/* "12 s", "3.4 min", "2.1 hours" ("?" when unknown). */
void rb_fmt_duration(double s, char *buf, size_t n);

#endif
