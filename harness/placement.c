/*
 * placement.c: the thread placement plan from hwloc (see placement.h).
 *
 * Cores are sorted by (package, NUMA node, core) logical indices rather
 * than taken in OS numbering: on many two-socket machines the OS numbers
 * alternate between sockets (cpu0 on socket 0, cpu1 on socket 1, ...), and
 * OMP_PLACES=cores in OS order would then spread a team of 2 over both
 * sockets.
 */
#include "placement.h"
#include "affinity.h"
#include "json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#if defined(RB_HAVE_HWLOC) && RB_HAVE_HWLOC
#include <hwloc.h>
#define RB_PL_HWLOC 1
#else
#define RB_PL_HWLOC 0
#endif

static int smt_from_env(void)
{
    const char *v = getenv("RNNBENCH_SMT");
    return v && *v && strcmp(v, "0") != 0;
}

#if RB_PL_HWLOC
typedef struct {
    int package, numa, core;
    hwloc_obj_t obj;
} core_key;

static int cmp_core(const void *a, const void *b)
{
    const core_key *x = a, *y = b;
    if (x->package != y->package) return x->package < y->package ? -1 : 1;
    if (x->numa != y->numa) return x->numa < y->numa ? -1 : 1;
    return (x->core > y->core) - (x->core < y->core);
}

/* The first NUMA node whose CPUs include all of cpuset, or -1. */
static int numa_of(hwloc_topology_t t, hwloc_const_cpuset_t cpuset)
{
    const int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < n; i++) {
        hwloc_obj_t node = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, i);
        if (node && node->cpuset && hwloc_bitmap_isincluded(cpuset, node->cpuset))
            return (int)node->logical_index;
    }
    return -1;
}

static void plan_from(rb_placement *pl, hwloc_topology_t t, int smt)
{
    pl->have = 1;
    pl->this_system = hwloc_topology_is_thissystem(t);
    pl->packages = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE);
    pl->numa_nodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    pl->pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    /* Some VMs expose no cores: each PU is then its own core. */
    hwloc_obj_type_t ctype = HWLOC_OBJ_CORE;
    int nc = hwloc_get_nbobjs_by_type(t, ctype);
    if (nc <= 0) {
        ctype = HWLOC_OBJ_PU;
        nc = pl->pus;
    }
    pl->cores = nc;
    if (nc <= 0) return;
    core_key *k = calloc((size_t)nc, sizeof *k);
    if (!k) return;
    for (int i = 0; i < nc; i++) {
        hwloc_obj_t c = hwloc_get_obj_by_type(t, ctype, i);
        hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_PACKAGE, c);
        k[i].obj = c;
        k[i].core = (int)c->logical_index;
        k[i].package = pkg ? (int)pkg->logical_index : -1;
        k[i].numa = numa_of(t, c->cpuset);
    }
    qsort(k, (size_t)nc, sizeof *k, cmp_core);
    for (int i = 0; i < nc; i++) {
        pl->node_cores += k[i].package == k[0].package && k[i].numa == k[0].numa;
        pl->package_cores += k[i].package == k[0].package;
    }
    /* Round r takes the r-th PU of every core; without SMT, one round. */
    for (int r = 0;; r++) {
        int any = 0;
        for (int i = 0; i < nc; i++) {
            hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(t, k[i].obj->cpuset, HWLOC_OBJ_PU, (unsigned)r);
            if (!pu) continue;
            any = 1;
            if (pl->n < RB_PLACE_MAX) {
                rb_place *e = &pl->t[pl->n++];
                e->pu = (int)pu->os_index;
                e->core = k[i].core;
                e->numa = k[i].numa;
                e->package = k[i].package;
            }
            pl->total++;
        }
        if (!any || !smt) break;
    }
    free(k);
}
#endif

static void plan_init(rb_placement *pl, int smt)
{
    memset(pl, 0, sizeof *pl);
    pl->smt = smt < 0 ? smt_from_env() : smt != 0;
    pl->packages = pl->numa_nodes = pl->cores = pl->pus = -1;
}

void rb_placement_plan(rb_placement *pl, int smt)
{
    plan_init(pl, smt);
#if RB_PL_HWLOC
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0) return;
    if (hwloc_topology_load(t) == 0) {
        static int warned; /* once per process, and not again after the re-exec */
        const char *syn = getenv("HWLOC_SYNTHETIC");
        if (syn && *syn && hwloc_topology_is_thissystem(t) && !getenv("RNNBENCH_BIND_DEFAULTED") && !warned++)
            fprintf(stderr, "rnnbench: warning: hwloc did not take HWLOC_SYNTHETIC='%s' (a synthetic "
                            "string ends with a pu level); this machine's topology is used\n", syn);
        /* Only the CPUs this process may run on (taskset, a cpuset, or a
         * parent's bound thread): places outside them would make libgomp
         * drop places and warn. */
        hwloc_bitmap_t allowed = hwloc_bitmap_alloc();
        if (allowed && hwloc_topology_is_thissystem(t) &&
            hwloc_get_cpubind(t, allowed, HWLOC_CPUBIND_PROCESS) == 0 && !hwloc_bitmap_iszero(allowed))
            hwloc_topology_restrict(t, allowed, 0);
        hwloc_bitmap_free(allowed);
        plan_from(pl, t, pl->smt);
    }
    hwloc_topology_destroy(t);
#endif
}

int rb_placement_plan_synthetic(rb_placement *pl, const char *desc, int smt)
{
    plan_init(pl, smt);
#if RB_PL_HWLOC
    hwloc_topology_t t;
    int rc = -1;
    if (hwloc_topology_init(&t) != 0) return -1;
    if (hwloc_topology_set_synthetic(t, desc) == 0 && hwloc_topology_load(t) == 0) {
        plan_from(pl, t, pl->smt);
        rc = 0;
    }
    hwloc_topology_destroy(t);
    return rc;
#else
    (void)desc;
    return -1;
#endif
}

/* snprintf appending at *len; returns -1 once the text does not fit. */
static int add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    va_list ap;
    if (*len >= n) return -1;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= n - *len) {
        *len = n;
        return -1;
    }
    *len += (size_t)w;
    return 0;
}

int rb_placement_omp_places(const rb_placement *pl, char *buf, size_t n)
{
    size_t len = 0;
    if (n) buf[0] = '\0';
    if (pl->n == 0 || pl->n < pl->total) return -1;
    for (int i = 0; i < pl->n;) {
        int run = 1, stride = 0;
        if (i + 1 < pl->n && pl->t[i + 1].pu > pl->t[i].pu) {
            stride = pl->t[i + 1].pu - pl->t[i].pu;
            while (i + run < pl->n && pl->t[i + run].pu - pl->t[i + run - 1].pu == stride) run++;
        }
        int rc = run >= 3 ? add(buf, n, &len, "%s{%d}:%d:%d", i ? "," : "", pl->t[i].pu, run, stride)
                          : add(buf, n, &len, "%s{%d}", i ? "," : "", pl->t[i].pu);
        if (rc != 0) return -1;
        i += run >= 3 ? run : 1;
    }
    return 0;
}

void rb_placement_describe(const rb_placement *pl, char *buf, size_t n)
{
    size_t len = 0;
    if (n) buf[0] = '\0';
    for (int i = 0; i < pl->n; i++)
        if (add(buf, n, &len, "%st%d->pu%d/core%d/numa%d/pack%d", i ? " " : "", i, pl->t[i].pu, pl->t[i].core,
                pl->t[i].numa, pl->t[i].package) != 0) {
            if (n >= 4) memcpy(buf + n - 4, "...", 4);
            return;
        }
}

static const char *applied(const rb_placement *pl)
{
    if (!pl->have) return "no plan: hwloc not available";
    if (!pl->this_system)
        return "not this machine's topology (HWLOC_SYNTHETIC or HWLOC_XMLFILE): plan only, binding to its PUs skipped";
    const char *origin = rb_affinity_origin();
    if (strcmp(origin, "rnnbench") == 0) return "applied: OMP_PLACES set by rnnbench from this plan";
    if (strcmp(origin, "user") == 0) return "not applied: the user set OMP_PLACES or OMP_PROC_BIND";
    return "not applied: threads not bound (see binding)";
}

void rb_placement_print_text(const rb_placement *pl, FILE *f)
{
    static char line[16384];
    fprintf(f, "Placement:  %s", applied(pl));
    if (!pl->have) {
        fprintf(f, "\n");
        return;
    }
    fprintf(f, "; %s; %d places, NUMA node %d cores, package %d cores\n",
            pl->smt ? "every PU (RNNBENCH_SMT=1)" : "one thread per core (RNNBENCH_SMT=1 adds siblings)", pl->total,
            pl->node_cores, pl->package_cores);
    rb_placement_describe(pl, line, sizeof line);
    fprintf(f, "            %s\n", line);
}

static void nl(FILE *f, int indent, int depth)
{
    if (indent < 0) {
        fputc(' ', f);
        return;
    }
    fputc('\n', f);
    for (int i = 0; i < indent + 2 * depth; i++) fputc(' ', f);
}

void rb_placement_print_json(const rb_placement *pl, FILE *f, int indent)
{
    static char places[8192];
    rb_jw w;
    rb_jw_begin(&w, f, indent);
    rb_jw_str(&w, "source", pl->have ? "hwloc" : NULL);
    rb_jw_key(&w, "this_system");
    fputs(pl->have && pl->this_system ? "true" : "false", f);
    rb_jw_str(&w, "applied", applied(pl));
    rb_jw_key(&w, "smt");
    fputs(pl->smt ? "true" : "false", f);
    rb_jw_str(&w, "order", pl->smt ? "package, NUMA node, core; then the next PU of each core"
                                   : "package, NUMA node, core");
    rb_jw_int(&w, "node_cores", pl->node_cores);
    rb_jw_int(&w, "package_cores", pl->package_cores);
    rb_jw_int(&w, "places", pl->total);
    rb_jw_str(&w, "omp_places", rb_placement_omp_places(pl, places, sizeof places) == 0 ? places : NULL);
    /* One thread per line (or all on one): small integers only. */
    rb_jw_key(&w, "threads");
    fputc('[', f);
    for (int i = 0; i < pl->n; i++) {
        nl(f, indent, 2);
        fprintf(f, "{\"thread\": %d, \"pu\": %d, \"core\": %d, \"numa\": %d, \"package\": %d}%s", i, pl->t[i].pu,
                pl->t[i].core, pl->t[i].numa, pl->t[i].package, i + 1 < pl->n ? "," : "");
    }
    if (pl->n) nl(f, indent, 1);
    fputc(']', f);
    rb_jw_close(&w);
}

static int cmp_int(const void *a, const void *b)
{
    const int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int rb_threads_axis(int cores, const rb_placement *pl, int *out, int max)
{
    int v[64], n = 0;
    if (cores < 1) cores = 1;
    for (int t = 1; t < cores && n < 60; t *= 2) v[n++] = t;
    v[n++] = cores;
    if (pl && pl->have) {
        if (pl->node_cores > 0 && pl->node_cores < cores) v[n++] = pl->node_cores;
        if (pl->package_cores > 0 && pl->package_cores < cores) v[n++] = pl->package_cores;
    }
    qsort(v, (size_t)n, sizeof v[0], cmp_int);
    int m = 0;
    for (int i = 0; i < n && m < max; i++)
        if (m == 0 || out[m - 1] != v[i]) out[m++] = v[i];
    return m;
}
