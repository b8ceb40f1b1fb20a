/*
 * files.h: the file-system chores several commands share: reading a
 * whole file, making a directory with its parents, and putting a file
 * written under a temporary name in place.
 */
#ifndef RB_FILES_H
#define RB_FILES_H

#include <stddef.h>
#include <stdio.h>

/* The whole file as a malloc'ed NUL-terminated string, its length (without
 * the NUL) in *len when len is given; NULL with errno set when it cannot
 * be opened (fopen's errno), read (EIO) or held in memory (ENOMEM). */
char *rb_read_file(const char *path, size_t *len);

/* mkdir -p: path and each missing parent; 0, or -1 with errno set. */
int rb_make_dirs(const char *path);

/* Finishes f, written to tmp, and renames tmp over path: flush, check the
 * stream's error flag, fsync, close, rename. 0, or -1 with errno set and
 * tmp removed (a full disk leaves no half-written file behind). f is
 * closed either way. */
int rb_commit_file(FILE *f, const char *tmp, const char *path);

#endif
