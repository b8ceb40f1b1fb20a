/*
 * provenance.c: the command line, commit, date and environment of a run
 * (provenance.h).
 */
#include "provenance.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

extern char **environ;

static int saved_argc;
static char **saved_argv;

void rb_provenance_set_argv(int argc, char **argv)
{
    saved_argc = argc;
    saved_argv = argv;
}

int rb_provenance_argv(char ***argv)
{
    *argv = saved_argv;
    return saved_argc;
}

void rb_iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* One line of a command's stdout (no newline), or "" on failure. */
static void popen_line(const char *cmd, char *out, size_t n)
{
    out[0] = '\0';
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (!fgets(out, (int)n, p)) out[0] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    pclose(p);
}

void rb_git_info(char *commit, size_t n, int *dirty)
{
    char exe[PATH_MAX], cmd[PATH_MAX * 2 + 200], q[PATH_MAX * 2];
    commit[0] = '\0';
    *dirty = -1;
    if (!realpath("/proc/self/exe", exe)) return;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    size_t k = 0; /* single-quote for the shell */
    for (const char *c = exe; *c && k + 5 < sizeof q; c++) {
        if (*c == '\'') {
            memcpy(q + k, "'\\''", 4);
            k += 4;
        } else {
            q[k++] = *c;
        }
    }
    q[k] = '\0';
    snprintf(cmd, sizeof cmd, "git -C '%s' rev-parse HEAD 2>/dev/null", q);
    popen_line(cmd, commit, n);
    if (strlen(commit) != 40) {
        commit[0] = '\0';
        return;
    }
    char line[512];
    snprintf(cmd, sizeof cmd,
             "git --no-optional-locks -C '%s' status --porcelain --untracked-files=no 2>/dev/null | head -1", q);
    popen_line(cmd, line, sizeof line);
    *dirty = line[0] != '\0';
}

static int env_wanted(const char *kv)
{
    static const char *const prefixes[] = {"OMP_", "GOMP_", "KMP_", "RNNBENCH_", "DNNL_",
                                           "ONEDNN_", "OPENBLAS_", "MKL_"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

void rb_env_json(FILE *f, int indent)
{
    int k = 0;
    fputc('{', f);
    for (char **e = environ; *e; e++) {
        if (!env_wanted(*e)) continue;
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        fprintf(f, "%s\n%*s", k++ ? "," : "", indent + 2, "");
        rb_json_string(f, name);
        fputs(": ", f);
        rb_json_string(f, eq + 1);
    }
    if (k) fprintf(f, "\n%*s", indent, "");
    fputc('}', f);
}
