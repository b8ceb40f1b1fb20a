/*
 * sweep_meta.h: DIR/meta.json of a sweep: the machine, the build, the
 * command, the environment and the definition of every column; and the
 * saved command read back by --resume.
 */
#ifndef RB_SWEEP_META_H
#define RB_SWEEP_META_H

#include <stddef.h>

#include "sweep.h"
#include "sysinfo.h"

typedef struct {
    const rb_sysinfo *si;
    const rb_sweep_grid *grid;
    size_t points;
    int argc;                 /* the whole command line, program name first */
    char **argv;
    const char *resume_of;    /* the directory resumed, or NULL */
    int shard_k, shard_n;     /* --shard K/N, or shard_n == 0 */
    int reps, warmup;
    unsigned long long seed;
    double estimated_s;
    int shuffle;              /* the order of the points: random or grid */
    unsigned long long order_seed;
} rb_sweep_meta;

/* The "order" seed a sweep recorded in DIR/meta.json (for --resume), or
 * die with one line saying what is wrong. */
unsigned long long rb_sweep_meta_read_order_seed(const char *dir);

/* Writes path through path.tmp (fsync, rename); the temporary file is
 * removed and the process dies with the reason if that fails. */
void rb_sweep_meta_write(const char *path, const rb_sweep_meta *m);

/* The "argv" array of DIR/meta.json (read with the strict JSON reader),
 * or die with one line saying what is wrong. */
typedef struct {
    char **argv;
    int argc;
} rb_saved_argv;
rb_saved_argv rb_sweep_meta_read_argv(const char *dir);
void rb_saved_argv_free(rb_saved_argv *a);

#endif
