/*
 * main.c: `rnnbench <command>`: dispatch to the subcommands in cmd_*.c.
 * Every command ends in rb_exit, which fails the run when its output could
 * not be written.
 */
#include <stdio.h>
#include <string.h>

#include "affinity.h"
#include "cli.h"
#include "provenance.h"

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} command;

static const command commands[] = {
    {"list", rb_cmd_list, "every variant, its cells and ISA, and whether this CPU can run it"},
    {"check", rb_cmd_check, "prove every runnable variant agrees with the double reference"},
    {"run", rb_cmd_run, "time one variant on one cell and shape; optionally save/load .npy tensors"},
    {"info", rb_cmd_info, "machine: CPU, topology, ISA, compiler, OpenMP, measured peak"},
    {"sweep", rb_cmd_sweep, "time a grid or preset (quick, deepbench, full) into results/<host>-<date>/"},
    {"gradnorm", rb_cmd_gradnorm, "gradient norms back through time per cell and recurrent scale (CSV)"},
    {"merge", rb_cmd_merge, "one results directory out of several sweeps (shards, machines)"},
    {"slurm", rb_cmd_slurm, "a sweep as a Slurm job array of shards, then a merge job"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: rnnbench <command> [options]   (rnnbench <command> --help)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        rb_exit(0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            rb_affinity_init(argc, argv);
            rb_provenance_set_argv(argc, argv); /* the whole line, for meta.json */
            rb_exit(commands[i].fn(argc - 2, argv + 2));
        }
    char names[256] = "";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        strncat(names, " ", sizeof names - strlen(names) - 1);
        strncat(names, commands[i].name, sizeof names - strlen(names) - 1);
    }
    rb_die("unknown command '%s' (commands:%s; see rnnbench --help)", argv[1], names);
}
