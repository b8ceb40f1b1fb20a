/*
 * cli.h: what every subcommand shares: one-line errors, a small option
 * parser that prints --help from the option table, strict number parsing.
 *
 * Bad input never crashes: it ends in rb_die(), one line on stderr
 * ("rnnbench: ...") and exit status 2.
 */
#ifndef RB_CLI_H
#define RB_CLI_H

#include <stdint.h>

#include "../kernels/rnn.h"

typedef struct {
    const char *name;   /* without the leading "--" */
    const char *arg;    /* metavariable, or NULL for a flag */
    const char *help;
    const char *value;  /* set by the parser; the default before parsing */
    int seen;
} rb_opt;

_Noreturn void rb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exit with status after flushing and closing stdout; if the output could
 * not be written (full disk, closed pipe), say so in one line on stderr and
 * exit 1 instead of 0. Every command ends here. */
_Noreturn void rb_exit(int status);

/* Parses argv (after the subcommand) into opts; --help prints usage built
 * from the table and exits 0. Unknown options and missing values die. */
void rb_opts_parse(const char *cmd, const char *synopsis, int argc, char **argv,
                   rb_opt *opts, int nopts);
rb_opt *rb_opt_get(rb_opt *opts, int nopts, const char *name);

/* Strict integer parse: the whole string, within [lo, hi], or die naming
 * the option. */
long rb_parse_long(const char *s, const char *what, long lo, long hi);
uint64_t rb_parse_u64(const char *s, const char *what);
/* Splits a comma list into items (pointing into buf, a copy of s of cap
 * bytes), at most max; dies naming `what` on an empty list, an empty element
 * ("a,,b", "a,") or more than max. Returns the count. */
/* Every cell name, space separated, in rb_cell order (from the cell
 * table): for help texts and errors, so a new cell needs no edit here. */
const char *rb_cell_names_text(void);
/* The names of the cells in mask, joined by sep, into buf (n bytes,
 * always terminated); returns the length the whole text needs. */
size_t rb_cells_text(unsigned mask, const char *sep, char *buf, size_t n);
int rb_split_list(const char *s, const char *what, char *buf, size_t cap, char **items, int max);
/* Splits a comma list of integers into out (at most max); returns count. */
int rb_parse_int_list(const char *s, const char *what, long lo, long hi, int *out, int max);

/* The rows --T --N --I --H of an option table, with their defaults (strings),
 * for rb_parse_shape_opts. */
#define RB_SHAPE_OPTS(T, N, I, H)                  \
    {"T", "T", "sequence length", T, 0},           \
    {"N", "N", "batch", N, 0},                     \
    {"I", "I", "input size", I, 0},                \
    {"H", "H", "hidden size", H, 0}

/* The rows --layers --dir --lengths of an option table (a network:
 * EQUATIONS.md "Networks"), with their defaults, for rb_parse_net_opts and
 * rb_lengths_make (lengths.h). */
#define RB_NET_OPTS(L, DIR, LENGTHS)                                                              \
    {"layers", "L", "stacked layers", L, 0},                                                     \
    {"dir", "D", "direction mode of every layer: l2r | r2l | bi_concat | bi_sum", DIR, 0},      \
    {"lengths", "SPEC", "per-sequence lengths: N comma-separated values in [1, T] | "            \
                        "random[:MIN] (uniform in [MIN, T] from the seed) | full", LENGTHS, 0}

/* The most layers a network may have. */
#define RB_MAX_LAYERS 1024

/* --layers and --dir of a command (each must be in opts) into s->layers
 * and s->dir; dies naming cmd. --lengths is parsed by rb_lengths_make once
 * T, N and the seed are known. */
void rb_parse_net_opts(rb_opt *opts, int nopts, const char *cmd, rb_shape *s);

/* The options --T --N --I --H of a command (each must be in opts), parsed
 * strictly into s->T N I H in [1, RB_MAX_DIM]; given[i] is the value when
 * the option was on the command line, else 0 (NULL: not wanted). */
void rb_parse_shape_opts(rb_opt *opts, int nopts, const char *cmd, rb_shape *s, int given[4]);

/* Splits a comma list of cell names ("all" for every cell) into out, in the
 * order given (at most max); dies naming cmd on an unknown or empty list. */
int rb_parse_cells(const char *s, const char *cmd, rb_cell *out, int max);
/* The same as a mask of RB_CELL_BIT(c). */
unsigned rb_parse_cell_mask(const char *s, const char *cmd);

/* --grid BxS of run and sweep: B batch groups x S hidden slices, both
 * >= 1; dies naming cmd on any other form. */
void rb_parse_grid_opt(const char *s, const char *cmd, int *B, int *S);

double rb_now_sec(void);

int rb_cmd_list(int argc, char **argv);
int rb_cmd_check(int argc, char **argv);
int rb_cmd_run(int argc, char **argv);
int rb_cmd_info(int argc, char **argv);
int rb_cmd_sweep(int argc, char **argv); /* cmd_sweep.c */
int rb_cmd_gradnorm(int argc, char **argv);
int rb_cmd_merge(int argc, char **argv); /* cmd_merge.c */
int rb_cmd_slurm(int argc, char **argv); /* cmd_slurm.c */

#endif
