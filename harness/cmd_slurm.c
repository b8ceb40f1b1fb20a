/*
 * cmd_slurm.c: `rnnbench slurm [sweep options] --array N --out DIR`: a
 * sweep as a Slurm job array. Writes
 *
 *   DIR/job.sbatch    N array tasks; task K runs `rnnbench sweep <options>
 *                     --shard K/N --out DIR/shard-K` alone on a node
 *                     (--exclusive: no two measurements share a node), or
 *                     `rnnbench sweep --resume DIR/shard-K` when that shard
 *                     has started before: a requeued or preempted task, or
 *                     the same script submitted again, finishes its shard.
 *                     Slurm sends SIGTERM --warn seconds before the time
 *                     limit (--signal=B:TERM@S, to the batch step, which is
 *                     rnnbench itself: the script execs it); the sweep then
 *                     finishes the point under way, saves and exits 143.
 *   DIR/merge.sbatch  `rnnbench merge DIR/merged DIR/shard-*`, a check that
 *                     every shard holds all its points, and the plots when
 *                     gnuplot is there; submitted with
 *                     --dependency=afterany:<array job>.
 *
 * With --submit both are submitted (sbatch --parsable) and the job ids
 * printed; without, the commands to submit them. The sweep options are
 * checked first, by `rnnbench sweep <options> --dry-run` (which also says
 * how many points the grid has here; the compute nodes, if they have
 * another core count or ISA, may build another grid: every task builds its
 * own, and they agree when the nodes are alike).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "affinity.h"
#include "cli.h"
#include "shard.h"

#define MAX_ARGS 256

/* s single-quoted for the shell: every character literal. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

/* #SBATCH lines are not read by a shell and a '%' in --output is a file
 * name pattern: what goes there must be plain. */
static void check_plain(const char *s, const char *what)
{
    for (const char *c = s; *c; c++)
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r' || *c == '\'' || *c == '"' ||
            *c == '\\' || *c == '%' || *c == '$' || *c == '`')
            rb_die("slurm: %s '%s' holds a character (space, quote, %%, $, backslash) that an "
                   "#SBATCH line cannot carry", what, s);
    if (!s[0]) rb_die("slurm: %s is empty", what);
}

/* Runs argv with stdout captured into out (its last n/2 to n-1 bytes when
 * longer); stderr passes through. Returns the exit status, or 128 +
 * signal. */
static int run_capture(char *const argv[], char *out, size_t n)
{
    int pfd[2];
    if (pipe(pfd) != 0) rb_die("slurm: pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) rb_die("slurm: fork: %s", strerror(errno));
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], STDOUT_FILENO);
        close(pfd[1]);
        rb_affinity_forget_default();
        execvp(argv[0], argv);
        fprintf(stderr, "rnnbench: slurm: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    size_t k = 0;
    for (ssize_t r;;) {
        if (k + 1 >= n) { /* keep the tail: the summary is the last line */
            memmove(out, out + k - n / 2, n / 2);
            k = n / 2;
        }
        r = read(pfd[0], out + k, n - 1 - k);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        k += (size_t)r;
    }
    out[k] = '\0';
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) rb_die("slurm: waitpid: %s", strerror(errno));
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static FILE *create_script(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) rb_die("slurm: cannot write %s: %s", path, strerror(errno));
    return f;
}

static void close_script(FILE *f, const char *path)
{
    if (fclose(f) != 0) rb_die("slurm: cannot write %s: %s", path, strerror(errno));
    if (chmod(path, 0755) != 0) rb_die("slurm: cannot chmod %s: %s", path, strerror(errno));
}

typedef struct {
    const char *partition, *time, *extra[16];
    int nextra, array, warn;
} job_opts;

static void sbatch_common(FILE *f, const job_opts *o)
{
    if (o->partition) fprintf(f, "#SBATCH --partition=%s\n", o->partition);
    for (int i = 0; i < o->nextra; i++) fprintf(f, "#SBATCH %s\n", o->extra[i]);
}

static void write_job(const char *path_dir, const char *bin, const job_opts *o, int nsw, char **sw,
                      int argc, char **argv)
{
    char path[PATH_MAX + 64];
    FILE *f = create_script(path_dir, "job.sbatch", path, sizeof path);
    fprintf(f, "#!/bin/bash\n# Written by:");
    for (int i = -2; i < argc; i++) {
        fputc(' ', f);
        for (const char *c = argv[i]; *c; c++) fputc(*c == '\n' ? ' ' : *c, f);
    }
    fprintf(f, "\n"
               "# Array task K runs shard K of %d of the sweep into %s/shard-K, alone on\n"
               "# a node. Stopped by SIGTERM (the time-limit warning below, preemption,\n"
               "# scancel --full --signal=TERM) it finishes the point under way and saves;\n"
               "# requeued (scontrol requeue JOBID_K) or submitted again, it resumes.\n",
            o->array, path_dir);
    fprintf(f, "#SBATCH --job-name=rnnbench-sweep\n#SBATCH --array=1-%d\n#SBATCH --nodes=1\n"
               "#SBATCH --ntasks=1\n#SBATCH --exclusive\n#SBATCH --mem=0\n#SBATCH --requeue\n"
               "#SBATCH --signal=B:TERM@%d\n#SBATCH --open-mode=append\n"
               "#SBATCH --output=%s/slurm-%%A_%%a.out\n",
            o->array, o->warn, path_dir);
    if (o->time) fprintf(f, "#SBATCH --time=%s\n", o->time);
    sbatch_common(f, o);
    fprintf(f, "set -u\nrnnbench=");
    put_quoted(f, bin);
    fprintf(f, "\nshard=\"$SLURM_ARRAY_TASK_ID\"\nout=");
    put_quoted(f, path_dir);
    fprintf(f, "/shard-\"$shard\"\n"
               "echo \"rnnbench slurm: job ${SLURM_JOB_ID:-?} (array ${SLURM_ARRAY_JOB_ID:-?} task $shard) "
               "on $(hostname), restart ${SLURM_RESTART_COUNT:-0}\"\n"
               "# exec: rnnbench is the batch step and gets Slurm's signals itself.\n"
               "if [ -f \"$out/meta.json\" ]; then\n"
               "    echo \"rnnbench slurm: resuming $out\"\n"
               "    exec \"$rnnbench\" sweep --resume \"$out\"\nfi\n"
               "exec \"$rnnbench\" sweep");
    for (int i = 0; i < nsw; i++) {
        fputc(' ', f);
        put_quoted(f, sw[i]);
    }
    fprintf(f, " --shard \"$shard/%d\" --out \"$out\"\n", o->array);
    close_script(f, path);
}

static void write_merge(const char *dir, const char *bin, const job_opts *o)
{
    char path[PATH_MAX + 64], plots[PATH_MAX + 64], bindir[PATH_MAX];
    snprintf(bindir, sizeof bindir, "%s", bin);
    char *slash = strrchr(bindir, '/');
    if (slash) *slash = '\0';
    /* scripts/plots.sh of the tree the binary was built in (build/..) */
    snprintf(plots, sizeof plots, "%s/../scripts/plots.sh", bindir);
    char *real = realpath(plots, NULL);
    FILE *f = create_script(dir, "merge.sbatch", path, sizeof path);
    fprintf(f, "#!/bin/bash\n"
               "# Merges the shards of job.sbatch into merged/ (rnnbench merge), says which\n"
               "# shards are missing points, and plots when gnuplot is there. Run it again\n"
               "# (sbatch merge.sbatch) after requeueing a shard: merged/ is replaced.\n"
               "#SBATCH --job-name=rnnbench-merge\n#SBATCH --nodes=1\n#SBATCH --ntasks=1\n"
               "#SBATCH --open-mode=append\n#SBATCH --output=%s/slurm-merge-%%j.out\n", dir);
    sbatch_common(f, o);
    fprintf(f, "set -u\nrnnbench=");
    put_quoted(f, bin);
    fprintf(f, "\ndir=");
    put_quoted(f, dir);
    fprintf(f, "\nplots=");
    put_quoted(f, real ? real : "");
    free(real);
    fprintf(f, "\nshards=() incomplete=0\n"
               "for k in $(seq 1 %d); do\n"
               "    d=\"$dir/shard-$k\"\n"
               "    if [ ! -f \"$d/results.csv\" ]; then\n"
               "        echo \"merge: shard $k of %d has no results (did task $k run?)\"; incomplete=1; continue\n"
               "    fi\n"
               "    shards+=(\"$d\")\n"
               "    want=$(grep -o '\"points\": *[0-9]*' \"$d/meta.json\" | head -1 | grep -o '[0-9]*$')\n"
               "    got=$(($(wc -l < \"$d/results.csv\") - 1))\n"
               "    if [ \"$got\" != \"$want\" ]; then\n"
               "        echo \"merge: shard $k has $got of its $want points: scontrol requeue "
               "<array job>_$k, then sbatch $dir/merge.sbatch\"; incomplete=1\n"
               "    fi\n"
               "done\n"
               "[ ${#shards[@]} -gt 0 ] || { echo \"merge: no shard has results\"; exit 1; }\n"
               "rm -rf \"$dir/merged.new\"\n"
               "\"$rnnbench\" merge \"$dir/merged.new\" \"${shards[@]}\" || exit 1\n"
               "rm -rf \"$dir/merged\" && mv \"$dir/merged.new\" \"$dir/merged\" || exit 1\n"
               "echo \"merge: $dir/merged\"\n"
               "if command -v gnuplot >/dev/null && [ -f \"$plots\" ]; then\n"
               "    bash \"$plots\" \"$dir/merged\" || echo \"merge: plots failed (the merged results are fine)\"\n"
               "else\n"
               "    echo \"merge: no plots (gnuplot or scripts/plots.sh not found); later: make plots RESULTS=$dir/merged\"\n"
               "fi\n"
               "exit $incomplete\n",
            o->array, o->array);
    close_script(f, path);
}

/* sbatch --parsable [extra] script: the job id, or die. */
static long submit(const char *script, const char *dependency)
{
    char dep[64], out[256];
    char *argv[] = {"sbatch", "--parsable", dep, (char *)script, NULL};
    if (dependency) snprintf(dep, sizeof dep, "--dependency=afterany:%s", dependency);
    else {
        argv[2] = (char *)script;
        argv[3] = NULL;
    }
    int st = run_capture(argv, out, sizeof out);
    char *end;
    long id = strtol(out, &end, 10);
    if (st != 0 || id <= 0 || (*end && *end != ';' && *end != '\n'))
        rb_die("slurm: sbatch %s failed (exit %d%s%s)", script, st, out[0] ? ": " : "",
               strtok(out, "\n") ? out : "");
    return id;
}

int rb_cmd_slurm(int argc, char **argv)
{
    static const char help[] =
        "usage: rnnbench slurm [sweep options] --array N --out DIR [--partition P] [--time T]\n"
        "                      [--warn S] [--sbatch OPT]... [--submit]\n\n"
        "Writes DIR/job.sbatch, a Slurm array of N tasks: task K runs shard K/N of the sweep\n"
        "(rnnbench sweep <sweep options> --shard K/N) into DIR/shard-K on a node of its own,\n"
        "and resumes it when requeued; and DIR/merge.sbatch, which merges the shards into\n"
        "DIR/merged and plots them. Sweep options: see rnnbench sweep --help (not --out,\n"
        "--resume, --shard, --dry-run).\n\nslurm options:\n"
        "  --array N              tasks (shards), 1 to 1000\n"
        "  --out DIR              where the scripts, logs, shards and merged results go\n"
        "  --partition P          #SBATCH --partition\n"
        "  --time T               #SBATCH --time (time limit of each task, Slurm's format)\n"
        "  --warn S               SIGTERM this many seconds before the time limit (default 120):\n"
        "                         more than the longest point takes\n"
        "  --sbatch OPT           another #SBATCH line, e.g. --sbatch --account=proj (repeatable)\n"
        "  --submit               submit both (sbatch) and print the job ids\n"
        "  --help                 this text\n";
    job_opts o = {.warn = 120};
    const char *out = NULL;
    int submit_now = 0;
    char *sw[MAX_ARGS];
    int nsw = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help, stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0) rb_die("slurm: unexpected argument '%s' (see rnnbench slurm --help)", a);
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        /* the value: after '=', else the next word unless it is an option */
        const char *val = eq ? eq + 1 : (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 ? argv[i + 1] : NULL);
        int took = !eq && val;
#define IS(name) (len == strlen(name) && strncmp(a, name, len) == 0)
        if (IS("--submit")) {
            if (eq) rb_die("slurm: --submit takes no value");
            submit_now = 1;
            continue;
        }
        if (IS("--out") || IS("--array") || IS("--partition") || IS("--time") || IS("--warn") || IS("--sbatch")) {
            if (!eq && i + 1 < argc && IS("--sbatch")) val = argv[i + 1], took = 1; /* its value is an option */
            if (!val) rb_die("slurm: option %.*s needs a value", (int)len, a);
            if (IS("--out")) out = val;
            else if (IS("--array")) o.array = (int)rb_parse_long(val, "--array", 1, 1000);
            else if (IS("--warn")) o.warn = (int)rb_parse_long(val, "--warn", 1, 86400);
            else if (IS("--partition")) check_plain(o.partition = val, "--partition");
            else if (IS("--time")) check_plain(o.time = val, "--time");
            else {
                if (o.nextra == 16) rb_die("slurm: more than 16 --sbatch options");
                check_plain(o.extra[o.nextra++] = val, "--sbatch");
                if (strncmp(val, "--", 2) != 0) rb_die("slurm: --sbatch '%s': give an sbatch option, e.g. --account=proj", val);
            }
            i += took;
            continue;
        }
        if (IS("--shard") || IS("--resume") || IS("--dry-run"))
            rb_die("slurm: %.*s is the job's to set; give the sweep's grid options only", (int)len, a);
#undef IS
        if (nsw + 2 >= MAX_ARGS - 8) rb_die("slurm: too many sweep options");
        sw[nsw++] = (char *)a;
        if (took) sw[nsw++] = argv[++i];
    }
    if (!o.array) rb_die("slurm: --array N is required (the number of tasks, one shard each)");
    if (!out) rb_die("slurm: --out DIR is required (scripts, logs, shards and merged results go there)");

    char bin[PATH_MAX];
    if (!realpath("/proc/self/exe", bin)) rb_die("slurm: cannot find this binary's path: %s", strerror(errno));

    /* The sweep options, checked by the sweep itself. */
    char *dry[MAX_ARGS];
    int nd = 0;
    dry[nd++] = bin;
    dry[nd++] = "sweep";
    for (int i = 0; i < nsw; i++) dry[nd++] = sw[i];
    dry[nd++] = "--dry-run";
    dry[nd] = NULL;
    static char listing[1 << 20];
    int st = run_capture(dry, listing, sizeof listing);
    if (st != 0) exit(2); /* the sweep said why, in one line */
    char *last = listing + strlen(listing);
    while (last > listing && last[-1] == '\n') *--last = '\0';
    while (last > listing && last[-1] != '\n') last--;

    /* DIR, absolute: the scripts run from anywhere */
    struct stat stt;
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/job.sbatch", out);
    if (stat(probe, &stt) == 0)
        rb_die("slurm: %s already holds a job.sbatch (to resume it: sbatch %s; or pick another --out)", out, probe);
    check_plain(out, "--out");
    char cmd_dir[PATH_MAX];
    snprintf(cmd_dir, sizeof cmd_dir, "%s", out);
    for (char *p = cmd_dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(cmd_dir, 0777) != 0 && errno != EEXIST) rb_die("slurm: cannot create %s: %s", cmd_dir, strerror(errno));
            *p = '/';
        }
    if (mkdir(cmd_dir, 0777) != 0 && errno != EEXIST) rb_die("slurm: cannot create %s: %s", out, strerror(errno));
    char dir[PATH_MAX];
    if (!realpath(out, dir)) rb_die("slurm: %s: %s", out, strerror(errno));
    check_plain(dir, "--out (absolute)");

    write_job(dir, bin, &o, nsw, sw, argc, argv);
    write_merge(dir, bin, &o);
    printf("slurm: %s/job.sbatch (%d tasks; grid here: %s)\nslurm: %s/merge.sbatch\n", dir, o.array, last, dir);

    char job[PATH_MAX + 32], merge[PATH_MAX + 32];
    snprintf(job, sizeof job, "%s/job.sbatch", dir);
    snprintf(merge, sizeof merge, "%s/merge.sbatch", dir);
    if (!submit_now) {
        printf("submit with:\n  jid=$(sbatch --parsable %s) && sbatch --dependency=afterany:$jid %s\n", job, merge);
        return 0;
    }
    long jid = submit(job, NULL);
    char jids[32];
    snprintf(jids, sizeof jids, "%ld", jid);
    long mid = submit(merge, jids);
    printf("submitted: array job %ld (tasks %ld_1 .. %ld_%d), merge job %ld (afterany:%ld)\n"
           "merged results will be in %s/merged; logs: %s/slurm-*.out\n",
           jid, jid, jid, o.array, mid, jid, dir, dir);
    return 0;
}
