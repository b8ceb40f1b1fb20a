/*
 * cmd_merge.c: `rnnbench merge OUT DIR...`: one results directory out of
 * several: the shards of a Slurm array (rnnbench slurm) or sweeps run on
 * different machines.
 *
 *   OUT/results.csv  the header, then every input's rows, inputs in the
 *                    order given, rows in file order
 *   OUT/meta.json    a summary plots.sh and compare.sh read (hostname,
 *                    cpu_model, peaks: see write_meta), then "machines":
 *                    each input's meta.json embedded verbatim, with the
 *                    meta-resume-K.json files of its resumed runs
 *
 * Inputs from before the network columns (layers,dir,lengths,tokens) merge
 * with current ones: their rows are one layer, l2r, full length and gain
 * those values.
 *
 * Refused, with one line and exit 2: inputs whose header lines differ
 * otherwise (different columns: another rnnbench version), a point (the sweep's
 * resume key variant,cell,pass,T,N,I,H,threads,layers,dir,lengths) in two
 * rows, an input
 * without results.csv or meta.json, and an OUT that exists and is not an
 * empty directory. A last line cut short (a sweep killed mid-write, never
 * resumed) and rows of the wrong width are dropped with a note, as resume
 * drops them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "files.h"
#include "json.h"
#include "results_csv.h"
#include "strset.h"
#include "sweep.h"

/* The columns of a point's key, in rb_sweep_key's order. The network
 * ones are absent from files of before them, whose rows are one layer,
 * l2r, full length: those values stand in (key_default). */
static const char *const key_cols[] = {"variant", "cell", "pass", "T", "N", "I", "H", "threads",
                                       "layers", "dir", "lengths"};
static const char *const key_default[] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "1", "l2r", "full"};
#define NKEY 11

typedef struct {
    const char *dir;
    char *csv, *meta;   /* whole files */
    char *header;       /* points into csv */
    long rows, dropped;
    int v1;             /* the columns of before the network ones */
} input;

typedef struct {
    int in;          /* input index */
    long line;       /* line number in its results.csv */
    char *text;      /* the row as written (no newline); points into csv */
    char *key;       /* malloc'ed */
    char net[48];    /* for a row of before the network columns: what they
                      * hold for it (",1,l2r,full,N*T"), appended when the
                      * merge has them */
} row;

/* The first member named key, depth first in document order. */
static const rb_json *json_find(const rb_json *v, const char *key)
{
    for (const rb_json *c = v && (v->type == RB_JSON_OBJECT || v->type == RB_JSON_ARRAY) ? v->child : NULL; c;
         c = c->next) {
        if (c->key && strcmp(c->key, key) == 0) return c;
        const rb_json *r = json_find(c, key);
        if (r) return r;
    }
    return NULL;
}

/* The first "key": value of a meta.json, as text (what
 * scripts/lib-results.sh reads): a string or a number as written, or ""
 * for null, absent, or a file the strict reader refuses. */
static void json_first(const char *text, const char *key, char *out, size_t n)
{
    char err[256];
    out[0] = '\0';
    rb_json *doc = rb_json_parse(text, strlen(text), err, sizeof err);
    const rb_json *v = json_find(doc, key);
    if (v && (v->type == RB_JSON_STRING || v->type == RB_JSON_NUMBER)) snprintf(out, n, "%s", v->str);
    rb_json_free(doc);
}

/* Appends s to the " + "-joined list unless it is there. */
static void add_distinct(char *list, size_t n, const char *s)
{
    if (!s[0]) return;
    for (const char *p = list; (p = strstr(p, s)); p++) {
        size_t l = strlen(s);
        if ((p == list || strncmp(p - 3, " + ", 3) == 0) && (p[l] == '\0' || strncmp(p + l, " + ", 3) == 0))
            return;
    }
    if (list[0]) strncat(list, " + ", n - strlen(list) - 1);
    strncat(list, s, n - strlen(list) - 1);
}

/* OUT must be new or an empty directory: never mix a merge into results. */
static void check_out(const char *out)
{
    struct stat st;
    if (stat(out, &st) != 0) {
        if (errno != ENOENT) rb_die("merge: cannot use %s: %s", out, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) rb_die("merge: %s exists and is not a directory", out);
    DIR *d = opendir(out);
    if (!d) rb_die("merge: cannot read %s: %s", out, strerror(errno));
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            closedir(d);
            rb_die("merge: %s is not empty; the merged results go to a new or empty directory", out);
        }
    closedir(d);
}

/* Splits input `in`'s results.csv into rows; appends to *rows. */
static void read_rows(input *in, int idx, const char *first_header, const char *first_dir, row **rows,
                      size_t *nrows, size_t *cap)
{
    char *nl = strchr(in->csv, '\n');
    if (!nl) rb_die("merge: %s/results.csv has no header line", in->dir);
    *nl = '\0';
    in->header = in->csv;
    in->v1 = strcmp(in->header, RB_SWEEP_CSV_HEADER_V1) == 0;
    /* the columns of before the network ones merge with the current ones
     * (their rows are one layer, l2r, full length); other columns do not */
    const int v1_and_now = first_header && ((in->v1 && strcmp(first_header, RB_SWEEP_CSV_HEADER) == 0) ||
                                            (strcmp(first_header, RB_SWEEP_CSV_HEADER_V1) == 0 &&
                                             strcmp(in->header, RB_SWEEP_CSV_HEADER) == 0));
    if (first_header && strcmp(in->header, first_header) != 0 && !v1_and_now)
        rb_die("merge: %s/results.csv and %s/results.csv have different columns (header lines differ: "
               "sweeps of different rnnbench versions?)", in->dir, first_dir);
    /* where the key columns are */
    char *hcopy = strdup(in->header), *hf[256];
    if (!hcopy) rb_die("merge: out of memory");
    int ncols = rb_csv_split(hcopy, hf, 255), col[NKEY];
    if (ncols < 1 || ncols > 255) rb_die("merge: %s/results.csv: unreadable header", in->dir);
    for (int k = 0; k < NKEY; k++) {
        col[k] = -1;
        for (int c = 0; c < ncols; c++)
            if (strcmp(hf[c], key_cols[k]) == 0) col[k] = c;
        if (col[k] < 0 && !key_default[k])
            rb_die("merge: %s/results.csv has no column '%s' (not a sweep's results)", in->dir, key_cols[k]);
    }
    free(hcopy);

    long lineno = 1;
    for (char *line = nl + 1; *line;) {
        lineno++;
        nl = strchr(line, '\n');
        if (!nl) { /* cut short: the sweep was killed while writing it */
            fprintf(stderr, "merge: %s/results.csv: dropped the last line, cut short (line %ld)\n", in->dir,
                    lineno);
            in->dropped++;
            break;
        }
        *nl = '\0';
        if (!line[0]) {
            line = nl + 1;
            continue;
        }
        char *copy = strdup(line), *f[257];
        if (!copy) rb_die("merge: out of memory");
        int nf = rb_csv_split(copy, f, 256);
        if (nf != ncols) {
            fprintf(stderr, "merge: %s/results.csv: dropped line %ld (%d fields, not %d)\n", in->dir, lineno,
                    nf, ncols);
            in->dropped++;
            free(copy);
            line = nl + 1;
            continue;
        }
        size_t klen = NKEY;
        for (int k = 0; k < NKEY; k++) klen += strlen(col[k] < 0 ? key_default[k] : f[col[k]]);
        char *key = malloc(klen + 1);
        if (!key) rb_die("merge: out of memory");
        key[0] = '\0';
        for (int k = 0; k < NKEY; k++) {
            if (k) strcat(key, ",");
            strcat(key, col[k] < 0 ? key_default[k] : f[col[k]]);
        }
        row r = {idx, lineno, line, key, ""};
        if (in->v1) /* T and N are fields 7 and 8 of RB_SWEEP_CSV_HEADER_V1; the
                     * measurement columns empty, then the network ones */
            snprintf(r.net, sizeof r.net, RB_SWEEP_V1_MEASURE_FILL ",1,l2r,full,%lld", atoll(f[7]) * atoll(f[8]));
        free(copy);
        if (*nrows == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            row *nr = realloc(*rows, *cap * sizeof **rows);
            if (!nr) rb_die("merge: out of memory");
            *rows = nr;
        }
        (*rows)[(*nrows)++] = r;
        in->rows++;
        line = nl + 1;
    }
}

static FILE *create(const char *tmp)
{
    FILE *f = fopen(tmp, "w");
    if (!f) rb_die("merge: cannot write %s: %s", tmp, strerror(errno));
    return f;
}

static void finish(FILE *f, const char *tmp, const char *path)
{
    if (rb_commit_file(f, tmp, path) != 0) rb_die("merge: cannot write %s: %s", path, strerror(errno));
}

/* Each input's meta.json and its resumed runs' meta-resume-K.json,
 * verbatim (trailing blank space trimmed). */
static void embed(FILE *f, const char *dir, const char *text, const char *name)
{
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\r' || text[n - 1] == '\t')) n--;
    const char *s = text;
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
    if (*s != '{' || n == 0 || text[n - 1] != '}')
        rb_die("merge: %s/%s is not a JSON object (not written by rnnbench sweep?)", dir, name);
    fwrite(s, 1, (size_t)(text + n - s), f);
}

static void write_meta(const char *out, input *in, int nin, const char *header, size_t npoints, int argc,
                       char **argv)
{
    char hosts[1024] = "", cpus[1024] = "", v[512], first_cpu[512] = "", date[64];
    int same_cpu = 1;
    for (int i = 0; i < nin; i++) {
        json_first(in[i].meta, "host", v, sizeof v);
        if (!v[0]) json_first(in[i].meta, "hostname", v, sizeof v);
        add_distinct(hosts, sizeof hosts, v);
        json_first(in[i].meta, "cpu_model", v, sizeof v);
        add_distinct(cpus, sizeof cpus, v);
        if (i == 0) snprintf(first_cpu, sizeof first_cpu, "%s", v);
        else same_cpu &= strcmp(v, first_cpu) == 0;
    }
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", &tm);

    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/meta.json", out);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = create(tmp);
    fputs("{\n  \"tool\": \"rnnbench merge\",\n  \"date\": ", f);
    rb_json_string(f, date);
    /* The keys scripts/lib-results.sh reads (the first occurrence of
     * each), before the machines: */
    fputs(",\n  \"hostname\": ", f);
    rb_json_string(f, hosts);
    fputs(",\n  \"cpu_model\": ", f);
    rb_json_string(f, cpus);
    static const char *const peaks[] = {"peak_gflops_core", "peak_gflops_all", "bandwidth_gbs"};
    for (int k = 0; k < 3; k++) {
        json_first(in[0].meta, peaks[k], v, sizeof v);
        fprintf(f, ",\n  \"%s\": %s", peaks[k], same_cpu && v[0] ? v : "null");
    }
    fputs(",\n  \"summary_rule\": \"hostname and cpu_model: the distinct values of the machines, "
          "joined by ' + '; the peaks and bandwidth: the first machine's when every machine has the "
          "same cpu_model, else null (no single ceiling); each row's pct_peak is its own machine's\"",
          f);
    fputs(",\n  \"argv\": [", f);
    for (int i = 0; i < argc; i++) {
        if (i) fputs(", ", f);
        rb_json_string(f, argv[i]);
    }
    fputs("],\n  \"columns\": ", f);
    rb_json_string(f, header);
    fprintf(f, ",\n  \"points\": %zu,\n  \"inputs\": [", npoints);
    for (int i = 0; i < nin; i++) {
        fprintf(f, "%s\n    {\"dir\": ", i ? "," : "");
        rb_json_string(f, in[i].dir);
        fprintf(f, ", \"rows\": %ld, \"dropped_lines\": %ld}", in[i].rows, in[i].dropped);
    }
    fputs("\n  ],\n  \"machines\": [", f);
    for (int i = 0; i < nin; i++) {
        fprintf(f, "%s\n{\"dir\": ", i ? "," : "");
        rb_json_string(f, in[i].dir);
        fputs(", \"meta\": ", f);
        embed(f, in[i].dir, in[i].meta, "meta.json");
        fputs(", \"resumes\": [", f);
        for (int k = 1, n = 0; k < 1000; k++) {
            char name[64], p[4200];
            snprintf(name, sizeof name, "meta-resume-%d.json", k);
            snprintf(p, sizeof p, "%s/%s", in[i].dir, name);
            char *r = rb_read_file(p, NULL);
            if (!r) break;
            fputs(n++ ? ",\n" : "\n", f);
            embed(f, in[i].dir, r, name);
            free(r);
        }
        fputs("]}", f);
    }
    fputs("\n]\n}\n", f);
    finish(f, tmp, path);
}

int rb_cmd_merge(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: rnnbench merge OUT DIR...\n\n"
                   "One results directory OUT (new or empty) out of the sweep directories DIR...\n"
                   "(the shards of `rnnbench slurm`, or sweeps of several machines): the union of\n"
                   "their results.csv rows, and a meta.json with every input's meta.json under\n"
                   "\"machines\". Refuses inputs with different columns and a point in two rows.\n"
                   "Then: make plots RESULTS=OUT\n");
            return 0;
        }
    for (int i = 0; i < argc; i++)
        if (strncmp(argv[i], "--", 2) == 0)
            rb_die("merge: unknown option '%s' (usage: rnnbench merge OUT DIR...)", argv[i]);
    if (argc < 2) rb_die("merge: needs OUT and at least one input directory (usage: rnnbench merge OUT DIR...)");
    const char *out = argv[0];
    const int nin = argc - 1;
    check_out(out);

    input *in = calloc((size_t)nin, sizeof *in);
    if (!in) rb_die("merge: out of memory");
    row *rows = NULL;
    size_t nrows = 0, cap = 0;
    rb_strset *seen = rb_strset_new();
    if (!seen) rb_die("merge: out of memory");
    for (int i = 0; i < nin; i++) {
        char p[4200];
        in[i].dir = argv[i + 1];
        for (int j = 0; j < i; j++)
            if (strcmp(in[j].dir, in[i].dir) == 0) rb_die("merge: %s is given twice", in[i].dir);
        snprintf(p, sizeof p, "%s/results.csv", in[i].dir);
        in[i].csv = rb_read_file(p, NULL);
        if (!in[i].csv) rb_die("merge: cannot read %s: %s (not a sweep directory?)", p, strerror(errno));
        snprintf(p, sizeof p, "%s/meta.json", in[i].dir);
        in[i].meta = rb_read_file(p, NULL);
        if (!in[i].meta) rb_die("merge: cannot read %s: %s (not a sweep directory?)", p, strerror(errno));
        size_t before = nrows;
        read_rows(&in[i], i, i ? in[0].header : NULL, in[0].dir, &rows, &nrows, &cap);
        for (size_t r = before; r < nrows; r++) {
            if (rb_strset_add(seen, rows[r].key)) continue;
            for (size_t q = 0; q < r; q++)
                if (strcmp(rows[q].key, rows[r].key) == 0)
                    rb_die("merge: point %s is in %s/results.csv line %ld and %s/results.csv line %ld "
                           "(overlapping shards or sweeps; merge each point once)", rows[r].key,
                           in[rows[q].in].dir, rows[q].line, in[i].dir, rows[r].line);
        }
    }

    if (rb_make_dirs(out) != 0) rb_die("merge: cannot create %s: %s", out, strerror(errno));
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/results.csv", out);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* the current columns when any input has them: the rows of older
     * inputs gain their network values */
    const char *header = in[0].header;
    for (int i = 0; i < nin; i++)
        if (!in[i].v1) header = in[i].header;
    const int upgrade = strcmp(header, RB_SWEEP_CSV_HEADER) == 0;
    FILE *f = create(tmp);
    fprintf(f, "%s\n", header);
    for (size_t r = 0; r < nrows; r++) fprintf(f, "%s%s\n", rows[r].text, upgrade ? rows[r].net : "");
    finish(f, tmp, path);
    write_meta(out, in, nin, header, nrows, argc + 2, argv - 2);

    long dropped = 0;
    for (int i = 0; i < nin; i++) dropped += in[i].dropped;
    printf("merge: %zu points from %d director%s into %s/results.csv", nrows, nin, nin == 1 ? "y" : "ies", out);
    if (dropped) printf(" (%ld cut-short or malformed line%s dropped)", dropped, dropped == 1 ? "" : "s");
    printf("\n");

    for (size_t r = 0; r < nrows; r++) free(rows[r].key);
    free(rows);
    for (int i = 0; i < nin; i++) {
        free(in[i].csv);
        free(in[i].meta);
    }
    free(in);
    rb_strset_free(seen);
    return 0;
}
