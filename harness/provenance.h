/*
 * provenance.h: where a result came from, for meta.json: the command line,
 * the commit of the source tree, the date, the environment that steers
 * OpenMP and the libraries.
 */
#ifndef RB_PROVENANCE_H
#define RB_PROVENANCE_H

#include <stddef.h>
#include <stdio.h>

/* main() records its argv once; the commands read it back whole (program
 * name and command included). */
void rb_provenance_set_argv(int argc, char **argv);
/* Sets *argv and returns argc; 0 (and *argv NULL) if never recorded. */
int rb_provenance_argv(char ***argv);

/* Local time as 2024-05-01T12:00:00+0200. */
void rb_iso_now(char *buf, size_t n);

/* The commit (40 hex digits) of the tree the binary was built in, or ""
 * if unknown; *dirty 1/0 for uncommitted changes to tracked files, -1 if
 * unknown. Runs git in the binary's directory, read-only. */
void rb_git_info(char *commit, size_t n, int *dirty);

/* The environment variables that steer threads and libraries (OMP_*,
 * GOMP_*, KMP_*, RNNBENCH_*, DNNL_*, ONEDNN_*, OPENBLAS_*, MKL_*) as one
 * JSON object, members one per line at indent + 2 spaces. */
void rb_env_json(FILE *f, int indent);

#endif
