/*
 * sweep_dir.h: the results directory of a sweep and its lock.
 */
#ifndef RB_SWEEP_DIR_H
#define RB_SWEEP_DIR_H

#include <stddef.h>

/* Takes the lock of dir (DIR/.lock, flock) for the life of the process,
 * or dies: one sweep at a time per directory. */
void rb_sweep_dir_lock(const char *dir);

/* Makes the directory of a new sweep, locked, its path in dir[n]: out
 * when given (refused if it already holds a sweep), else a fresh
 * results/<host>-<YYYYmmdd-HHMMSS>[-K]. Dies with the reason. */
void rb_sweep_dir_new(char *dir, size_t n, const char *out, const char *hostname);

#endif
