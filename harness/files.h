/*
 * files.h: the two file-system chores several commands share: reading a
 * whole file, and making a directory with its parents.
 */
#ifndef RB_FILES_H
#define RB_FILES_H

#include <stddef.h>

/* The whole file as a malloc'ed NUL-terminated string, its length (without
 * the NUL) in *len when len is given; NULL with errno set when it cannot
 * be opened (fopen's errno), read (EIO) or held in memory (ENOMEM). */
char *rb_read_file(const char *path, size_t *len);

/* mkdir -p: path and each missing parent; 0, or -1 with errno set. */
int rb_make_dirs(const char *path);

#endif
