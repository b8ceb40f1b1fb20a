/*
 * affinity.c: default thread binding by re-exec, and the binding report
 * (see affinity.h for the rule and when the re-exec is skipped).
 *
 * The report asks each thread of a real parallel region where it is bound,
 * instead of trusting the environment: a cpuset, taskset, or a runtime that
 * ignores OMP_PLACES all show up in what the threads say.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* setenv, sched_getaffinity, sched_getcpu, CPU_* */
#endif

#include "affinity.h"
#include "placement.h"

#include <errno.h>
#include <omp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(RB_HAVE_HWLOC) && RB_HAVE_HWLOC
#include <hwloc.h>
#define RB_AFF_HWLOC 1
#else
#define RB_AFF_HWLOC 0
#endif

/* Process-wide, written once by rb_affinity_init() before any thread. */
static char why_unbound[160] = "rb_affinity_init() not called";

static int env_is_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload");
}

void rb_affinity_init(int argc, char **argv)
{
    (void)argc;
    if (env_is_set("OMP_PLACES") || env_is_set("OMP_PROC_BIND")) {
        why_unbound[0] = '\0';
        return;
    }
    if (env_is_set("RNNBENCH_NO_REEXEC") && strcmp(getenv("RNNBENCH_NO_REEXEC"), "0") != 0) {
        snprintf(why_unbound, sizeof why_unbound, "RNNBENCH_NO_REEXEC=%s",
                 getenv("RNNBENCH_NO_REEXEC"));
        return;
    }
    /* Set only on the way into the re-exec: finding it here with the OMP
     * variables gone means something stripped them; do not loop. */
    if (env_is_set("RNNBENCH_BIND_DEFAULTED")) {
        snprintf(why_unbound, sizeof why_unbound,
                 "OMP_PLACES lost across the re-exec");
        return;
    }
    if (under_valgrind()) {
        snprintf(why_unbound, sizeof why_unbound, "running under valgrind");
        return;
    }
    if (!argv || !argv[0]) {
        snprintf(why_unbound, sizeof why_unbound, "no argv to re-exec with");
        return;
    }
#if defined(__linux__)
    /* The places of the hwloc plan (placement.h): cores by package, NUMA
     * node, core. A topology that is not this machine's (HWLOC_SYNTHETIC,
     * HWLOC_XMLFILE) gives a plan to report, never places to bind to. */
    static rb_placement plan; /* ~16 KiB: off the stack */
    static char places[8192];
    rb_placement_plan(&plan, -1);
    if (!plan.have || !plan.this_system || rb_placement_omp_places(&plan, places, sizeof places) != 0)
        snprintf(places, sizeof places, "%s", plan.have && plan.smt ? "threads" : "cores");
    setenv("OMP_PLACES", places, 1);
    setenv("OMP_PROC_BIND", "close", 1);
    setenv("RNNBENCH_BIND_DEFAULTED", "1", 1);
    fflush(NULL); /* nothing buffered may be lost or written twice */
    execv("/proc/self/exe", argv);
    /* Still here: the exec failed. Undo, so that children and our own
     * report do not claim a binding this libgomp never read. */
    int err = errno;
    unsetenv("OMP_PLACES");
    unsetenv("OMP_PROC_BIND");
    unsetenv("RNNBENCH_BIND_DEFAULTED");
    snprintf(why_unbound, sizeof why_unbound, "re-exec failed: %s",
             strerror(err));
#else
    snprintf(why_unbound, sizeof why_unbound,
             "re-exec needs /proc/self/exe (Linux only)");
#endif
}

void rb_affinity_forget_default(void)
{
    if (!env_is_set("RNNBENCH_BIND_DEFAULTED")) return;
    unsetenv("OMP_PLACES");
    unsetenv("OMP_PROC_BIND");
    unsetenv("RNNBENCH_BIND_DEFAULTED");
}

const char *rb_affinity_origin(void)
{
    if (env_is_set("OMP_PLACES") || env_is_set("OMP_PROC_BIND"))
        return env_is_set("RNNBENCH_BIND_DEFAULTED") ? "rnnbench" : "user";
    return "none";
}

const char *rb_affinity_why_unbound(void)
{
    return strcmp(rb_affinity_origin(), "none") == 0 ? why_unbound : NULL;
}

/* snprintf that appends at *len and never overruns; once full, it ends
 * the text with "..." and ignores what follows. */
static void sb_add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (n == 0 || *len >= n - 1)
        return;
    va_start(ap, fmt);
    w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    if ((size_t)w < n - *len) {
        *len += (size_t)w;
        return;
    }
    *len = n - 1;
    if (n >= 4)
        memcpy(buf + n - 4, "...", 4);
}

/* "0-3,6" from a CPU mask. */
static void cpu_list(char *out, size_t n, const cpu_set_t *m)
{
    size_t len = 0;
    out[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, m))
            continue;
        int e = c;
        while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, m))
            e++;
        if (e == c)
            sb_add(out, n, &len, "%s%d", len ? "," : "", c);
        else
            sb_add(out, n, &len, "%s%d-%d", len ? "," : "", c, e);
        c = e;
    }
}

/* Where the calling thread may run, from the kernel alone. */
static void self_sched(char *out, size_t n)
{
    cpu_set_t m;
    CPU_ZERO(&m);
    if (sched_getaffinity(0, sizeof m, &m) != 0) {
        snprintf(out, n, "?");
        return;
    }
    if (CPU_COUNT(&m) == 1) {
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &m)) {
                snprintf(out, n, "cpu%d", c);
                return;
            }
    }
    char list[256];
    cpu_list(list, sizeof list, &m);
    snprintf(out, n, "cpus{%s}@cpu%d", list, sched_getcpu());
}

#if RB_AFF_HWLOC
/* Where the calling thread may run, in cores and PUs. */
static void self_hwloc(hwloc_topology_t topo, char *out, size_t n)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc(), last = hwloc_bitmap_alloc();
    size_t len = 0;
    int lastpu = -1;

    out[0] = '\0';
    if (!set || !last || hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_THREAD) != 0) {
        snprintf(out, n, "?");
        goto done;
    }
    if (hwloc_get_last_cpu_location(topo, last, HWLOC_CPUBIND_THREAD) == 0)
        lastpu = hwloc_bitmap_first(last);

    hwloc_obj_t obj = hwloc_get_obj_covering_cpuset(topo, set);
    hwloc_obj_t core = NULL;
    if (obj)
        core = obj->type == HWLOC_OBJ_CORE
                   ? obj
                   : hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, obj);
    if (core) {
        unsigned pu;
        int first = 1;
        sb_add(out, n, &len, "core%u{", core->logical_index);
        hwloc_bitmap_foreach_begin(pu, set)
            sb_add(out, n, &len, "%spu%u", first ? "" : ",", pu);
            first = 0;
        hwloc_bitmap_foreach_end();
        sb_add(out, n, &len, "}");
    } else {
        char list[256];
        int all = hwloc_bitmap_isincluded(hwloc_topology_get_allowed_cpuset(topo), set);
        hwloc_bitmap_list_snprintf(list, sizeof list, set);
        sb_add(out, n, &len, "%s{%s}@pu%d", all ? "unbound" : "pus", list, lastpu);
    }
done:
    hwloc_bitmap_free(set);
    hwloc_bitmap_free(last);
}
#endif

enum { SLOT = 128 }; /* one thread's text: "core12{pu12,pu76}" fits easily */

int rb_affinity_describe(char *buf, size_t n, int threads)
{
    const char *pl = getenv("OMP_PLACES"), *pb = getenv("OMP_PROC_BIND");
    const char *origin = rb_affinity_origin();
    size_t len = 0;
    int team = 0, use_hwloc = RB_AFF_HWLOC;
    char *slots;

    if (n)
        buf[0] = '\0';
    if (threads <= 0)
        threads = omp_get_max_threads();
    slots = calloc((size_t)threads, SLOT);
    if (!slots) {
        sb_add(buf, n, &len, "(out of memory)");
        return 0;
    }

#if RB_AFF_HWLOC
    hwloc_topology_t topo = NULL;
    int foreign = 0; /* a synthetic or XML topology: its PUs are not ours */
    if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0 ||
        (foreign = !hwloc_topology_is_thissystem(topo))) {
        if (topo)
            hwloc_topology_destroy(topo);
        topo = NULL;
        use_hwloc = 0;
    }
#endif

#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num();
        if (t == 0)
            team = omp_get_num_threads();
#if RB_AFF_HWLOC
        if (use_hwloc)
            self_hwloc(topo, slots + (size_t)t * SLOT, SLOT);
        else
#endif
            self_sched(slots + (size_t)t * SLOT, SLOT);
    }

    sb_add(buf, n, &len, "OMP_PLACES=%s OMP_PROC_BIND=%s (",
           pl && *pl ? pl : "unset", pb && *pb ? pb : "unset");
    if (strcmp(origin, "none") == 0)
        sb_add(buf, n, &len, "not bound: %s", why_unbound);
    else
        sb_add(buf, n, &len, "set by %s", origin);
    if (strcmp(origin, "none") != 0 && omp_get_proc_bind() == omp_proc_bind_false)
        sb_add(buf, n, &len, ", binding off");
    sb_add(buf, n, &len, ") threads=%d:", team);
    for (int t = 0; t < team; t++)
        sb_add(buf, n, &len, " t%d->%s", t, slots + (size_t)t * SLOT);
#if RB_AFF_HWLOC
    if (foreign)
        sb_add(buf, n, &len, " (hwloc topology is not this machine's: cpus from sched_getaffinity)");
    else
#endif
    if (!use_hwloc)
        sb_add(buf, n, &len, " (hwloc not available: cpus from sched_getaffinity)");

#if RB_AFF_HWLOC
    if (topo)
        hwloc_topology_destroy(topo);
#endif
    free(slots);
    return team;
}
