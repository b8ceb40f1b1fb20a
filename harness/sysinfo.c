/*
 * sysinfo.c: collect and print the machine description and the measured
 * ceilings (see sysinfo.h).
 *
 * Peak: the register-only FMA probe of kernels/peak.h for the best ISA
 * rnnbench may use (after RNNBENCH_ISA), timed here: calibrated to about
 * `seconds` a run, best of `runs`; on all cores, every thread runs the
 * same count between two barriers and the wall time of the slowest counts.
 * Bandwidth: harness/bandwidth.c. Both run one thread per physical core:
 * SMT siblings share the FMA pipes, and that is also how rnnbench binds.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* gethostname, sysconf's _SC_LEVEL*_CACHE_SIZE */
#endif

#include "sysinfo.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../kernels/peak.h"
#include "affinity.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(RB_HAVE_HWLOC) && RB_HAVE_HWLOC
#include <hwloc.h>
#define RB_SI_HWLOC 1
#else
#define RB_SI_HWLOC 0
#endif

#ifndef RB_COMPILER_FLAGS
#define RB_COMPILER_FLAGS "unknown"
#endif

/* ---------------------------------------------------------------- probes */

/* Written, never read: the result the scalar loop must produce. */
static volatile float scalar_sink;

/* The no-ISA-flags baseline (peak.h). acc = acc*x + y, not acc + x*y:
 * without FMA, x*y would be hoisted out of the loop and only the adds
 * would remain. x < 1 keeps every chain converging to y/(1-x) = 0.1, far
 * from overflow and subnormals. 8 chains cover add latency on any core. */
double rb_peak_fma_flops__scalar(long iters)
{
    static volatile float xv = 0.999f, yv = 1.0e-4f;
    const float x = xv, y = yv;
    float c0 = 0, c1 = 1, c2 = 2, c3 = 3, c4 = 4, c5 = 5, c6 = 6, c7 = 7;

    for (long i = 0; i < iters; i++) {
        c0 = c0 * x + y; c1 = c1 * x + y; c2 = c2 * x + y; c3 = c3 * x + y;
        c4 = c4 * x + y; c5 = c5 * x + y; c6 = c6 * x + y; c7 = c7 * x + y;
    }
    scalar_sink = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
    return (double)iters * 8 * 2;
}

typedef double (*peak_fn)(long iters);

static peak_fn probe_for(rb_isa isa)
{
    if (!rb_cpu_has_hw(isa))
        return NULL;
    switch (isa) {
    case RB_ISA_SCALAR: return rb_peak_fma_flops__scalar;
#if defined(__x86_64__)
    case RB_ISA_AVX2: return rb_peak_fma_flops__avx2;
    case RB_ISA_AVX512: return rb_peak_fma_flops__avx512;
#endif
#if defined(__aarch64__)
    case RB_ISA_NEON: return rb_peak_fma_flops__neon;
#endif
    default: return NULL;
    }
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One timed run on `threads` threads; returns wall seconds, sets *flops
 * and *share: the smallest fraction of that wall time any thread spent on
 * a CPU (1.0 on an idle machine; 0.5 when another process shares a core). */
static double probe_once(peak_fn fn, long iters, int threads, double *flops,
                         double *share)
{
    double t0 = 0.0, t1 = 0.0, sum = 0.0, cpu_min = 1e300;

#pragma omp parallel num_threads(threads) reduction(+ : sum) reduction(min : cpu_min)
    {
        /* Start together and stop when the last thread is done. */
#pragma omp barrier
#pragma omp master
        t0 = omp_get_wtime();
#pragma omp barrier
        const double c0 = thread_cpu_seconds();
        sum += fn(iters);
        cpu_min = thread_cpu_seconds() - c0;
#pragma omp barrier
#pragma omp master
        t1 = omp_get_wtime();
    }
    *flops = sum;
    *share = t1 > t0 ? cpu_min / (t1 - t0) : 0.0;
    return t1 - t0;
}

double rb_measure_peak_gflops(rb_isa isa, int threads, double seconds, int runs,
                              double *cpu_share)
{
    peak_fn fn = probe_for(isa);
    double flops, t, share, best = 0.0, best_share = 0.0;
    long iters = 1024;

    if (cpu_share)
        *cpu_share = 0.0;
    if (!fn)
        return 0.0;
    if (threads < 1)
        threads = 1;
    if (runs < 1)
        runs = 1;
    if (!(seconds > 0.0))
        seconds = 0.05;

    /* Calibrate on one thread, free of barriers and thread start-up: double
     * until the faster of two runs takes a tenth of the target, then scale
     * to the target. Taking the faster of two keeps one preempted run from
     * stopping the doubling early (it once left runs so short that barrier
     * waits on a busy machine were all that was timed). Every thread then
     * does the same count. */
    for (;;) {
        double ta = probe_once(fn, iters, 1, &flops, &share);
        double tb = probe_once(fn, iters, 1, &flops, &share);
        t = ta < tb ? ta : tb;
        if (t >= seconds * 0.1 || iters > (1L << 40))
            break;
        iters *= 2;
    }
    if (t > 0.0)
        iters = (long)((double)iters * seconds / t) + 1;

    for (int r = 0; r < runs; r++) {
        t = probe_once(fn, iters, threads, &flops, &share);
        if (t > 0.0 && flops / t * 1e-9 > best) {
            best = flops / t * 1e-9;
            best_share = share;
        }
    }
    if (cpu_share)
        *cpu_share = best_share;
    return best;
}

/* -------------------------------------------------------------- identity */

static void trim(char *s)
{
    size_t len = strlen(s), start = 0;
    while (len && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    while (isspace((unsigned char)s[start]))
        start++;
    memmove(s, s + start, len - start + 1);
}

/* Value of the first "key<spaces>: value" line of /proc/cpuinfo. */
static int cpuinfo_value(const char *key, char *out, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        size_t k = strlen(key);
        char *colon = strchr(line, ':');
        if (strncmp(line, key, k) != 0 || !colon)
            continue;
        for (char *p = line + k; p < colon; p++)
            if (!isspace((unsigned char)*p))
                goto next; /* a longer key that starts like this one */
        snprintf(out, n, "%s", colon + 1);
        trim(out);
        found = 1;
    next:;
    }
    fclose(f);
    return found;
}

static void cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown");
#if defined(__x86_64__)
    unsigned r[12];
    if (__get_cpuid_max(0x80000000, NULL) >= 0x80000004) {
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1],
                        &r[4 * i + 2], &r[4 * i + 3]);
        char brand[49];
        memcpy(brand, r, 48);
        brand[48] = '\0';
        trim(brand);
        if (brand[0]) {
            snprintf(out, n, "%s", brand);
            return;
        }
    }
#endif
    if (cpuinfo_value("model name", out, n))
        return;
    /* aarch64 Linux has no model name: give the MIDR fields. */
    char impl[32], part[32];
    if (cpuinfo_value("CPU implementer", impl, sizeof impl) &&
        cpuinfo_value("CPU part", part, sizeof part))
        snprintf(out, n, "implementer %s part %s", impl, part);
}

static void compiler_name(char *out, size_t n)
{
#if defined(__clang__)
    snprintf(out, n, "%s", __VERSION__); /* "Clang 15.0.7 ..." already */
#elif defined(__GNUC__)
    snprintf(out, n, "gcc %s", __VERSION__);
#elif defined(__VERSION__)
    snprintf(out, n, "%s", __VERSION__);
#else
    snprintf(out, n, "unknown");
#endif
}

/* ---------------------------------------------------------------- topology */

static int read_int_file(const char *path, int *v)
{
    FILE *f = fopen(path, "r");
    int ok;
    if (!f)
        return 0;
    ok = fscanf(f, "%d", v) == 1;
    fclose(f);
    return ok;
}

/* Caches of one level ("Data"/"Unified"; L1 instruction is skipped) from
 * /sys/devices/system/cpu/cpuN/cache: the size seen by the first online
 * CPU, and the number of instances (distinct shared_cpu_list strings).
 * Returns 0 if sysfs does not describe that level. */
static int cache_sysfs(int level, long conf, long *kib, int *instances)
{
    enum { MAXINST = 1024 };
    static char seen[MAXINST][64]; /* only touched here, serially */
    int nseen = 0;
    char path[128], buf[64];

    *kib = -1;
    for (long c = 0; c < conf; c++) {
        for (int idx = 0; idx < 8; idx++) {
            int lvl;
            snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/cache/index%d/level",
                     c, idx);
            if (!read_int_file(path, &lvl))
                break;
            if (lvl != level)
                continue;
            snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/cache/index%d/type",
                     c, idx);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            int is_icache = fgets(buf, sizeof buf, f) && strncmp(buf, "Instruction", 11) == 0;
            fclose(f);
            if (is_icache)
                continue;
            if (*kib < 0) {
                int size; /* "48K" */
                snprintf(path, sizeof path,
                         "/sys/devices/system/cpu/cpu%ld/cache/index%d/size", c, idx);
                if (read_int_file(path, &size))
                    *kib = size;
            }
            snprintf(path, sizeof path,
                     "/sys/devices/system/cpu/cpu%ld/cache/index%d/shared_cpu_list", c, idx);
            if (!(f = fopen(path, "r")))
                continue;
            if (fgets(buf, sizeof buf, f)) {
                trim(buf);
                int dup = 0;
                for (int i = 0; i < nseen && !dup; i++)
                    dup = strcmp(seen[i], buf) == 0;
                if (!dup && nseen < MAXINST)
                    snprintf(seen[nseen++], sizeof seen[0], "%s", buf);
            }
            fclose(f);
        }
    }
    *instances = nseen > 0 ? nseen : -1;
    return *kib >= 0;
}

/* Without hwloc: distinct (package, core) pairs and packages from sysfs,
 * NUMA nodes from /sys/devices/system/node, caches from sysfs, else from
 * glibc's sysconf (which can be far off: under KVM on Zen 5 it gave 384 MiB
 * of L3 where sysfs and hwloc say 32). */
static void topology_sysfs(rb_sysinfo *si)
{
    enum { MAXCPU = 4096 };
    static int pkg[MAXCPU], core[MAXCPU]; /* only touched here, serially */
    int ncpu = 0, ncore = 0, npkg = 0;
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    char path[128];

    if (conf > MAXCPU)
        conf = MAXCPU;
    for (long c = 0; c < conf; c++) {
        int p, k;
        snprintf(path, sizeof path,
                 "/sys/devices/system/cpu/cpu%ld/topology/physical_package_id", c);
        if (!read_int_file(path, &p))
            continue; /* offline CPUs have no topology */
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%ld/topology/core_id", c);
        if (!read_int_file(path, &k))
            continue;
        int new_core = 1, new_pkg = 1;
        for (int i = 0; i < ncpu; i++) {
            if (pkg[i] == p && core[i] == k)
                new_core = 0;
            if (pkg[i] == p)
                new_pkg = 0;
        }
        ncore += new_core;
        npkg += new_pkg;
        pkg[ncpu] = p, core[ncpu] = k, ncpu++;
    }
    si->cores = ncore > 0 ? ncore : -1;
    si->packages = npkg > 0 ? npkg : -1;
    si->pus = si->logical_cpus;

    DIR *d = opendir("/sys/devices/system/node");
    if (d) {
        struct dirent *e;
        int nodes = 0;
        while ((e = readdir(d)))
            if (strncmp(e->d_name, "node", 4) == 0 && isdigit((unsigned char)e->d_name[4]))
                nodes++;
        closedir(d);
        si->numa_nodes = nodes > 0 ? nodes : -1;
    }

    int l1_instances;
    int have = cache_sysfs(1, conf, &si->l1d_kib, &l1_instances);
    have |= cache_sysfs(2, conf, &si->l2_kib, &si->l2_instances);
    have |= cache_sysfs(3, conf, &si->l3_kib, &si->l3_instances);
    if (have)
        return;
#ifdef _SC_LEVEL1_DCACHE_SIZE
    long v = sysconf(_SC_LEVEL1_DCACHE_SIZE);
    if (v > 0) si->l1d_kib = v / 1024;
    v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (v > 0) si->l2_kib = v / 1024;
    v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (v > 0) si->l3_kib = v / 1024;
#endif
}

#if RB_SI_HWLOC
static void topology_hwloc(rb_sysinfo *si)
{
    hwloc_topology_t t;
    hwloc_obj_t o;

    if (hwloc_topology_init(&t) != 0)
        return;
    if (hwloc_topology_load(t) != 0) {
        hwloc_topology_destroy(t);
        return;
    }
    si->topo_hwloc = 1;
    si->packages = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE);
    si->numa_nodes = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    si->cores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
    si->pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
    if (si->cores <= 0) /* some VMs expose no cores: treat PUs as cores */
        si->cores = si->pus;
    if ((o = hwloc_get_obj_by_type(t, HWLOC_OBJ_L1CACHE, 0)))
        si->l1d_kib = (long)(o->attr->cache.size / 1024);
    if ((o = hwloc_get_obj_by_type(t, HWLOC_OBJ_L2CACHE, 0)))
        si->l2_kib = (long)(o->attr->cache.size / 1024);
    if ((o = hwloc_get_obj_by_type(t, HWLOC_OBJ_L3CACHE, 0)))
        si->l3_kib = (long)(o->attr->cache.size / 1024);
    si->l2_instances = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_L2CACHE);
    si->l3_instances = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_L3CACHE);
    hwloc_topology_destroy(t);
}
#endif

static void copy_env(const char *name, char *out, size_t n, int *set)
{
    const char *v = getenv(name);
    *set = v != NULL;
    snprintf(out, n, "%s", v ? v : "");
}

/* ---------------------------------------------------------------- collect */

void rb_sysinfo_collect(rb_sysinfo *si, int measure)
{
    memset(si, 0, sizeof *si);
    cpu_model(si->cpu_model, sizeof si->cpu_model);
    snprintf(si->arch, sizeof si->arch, "%s", rb_cpu_arch());
    if (gethostname(si->hostname, sizeof si->hostname - 1) != 0)
        snprintf(si->hostname, sizeof si->hostname, "unknown");

    rb_cpu_isa_flags(si->isa_flags, sizeof si->isa_flags);
    si->best_isa = rb_cpu_best_isa();
    const char *cap = rb_cpu_isa_cap();
    snprintf(si->isa_cap, sizeof si->isa_cap, "%s", cap ? cap : "");

    si->logical_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    si->usable_cpus = omp_get_num_procs();
    si->packages = si->numa_nodes = si->cores = si->pus = -1;
    si->l1d_kib = si->l2_kib = si->l3_kib = -1;
    si->l2_instances = si->l3_instances = -1;
#if RB_SI_HWLOC
    topology_hwloc(si);
#endif
    if (!si->topo_hwloc)
        topology_sysfs(si);

    compiler_name(si->compiler, sizeof si->compiler);
    snprintf(si->cflags, sizeof si->cflags, "%s", RB_COMPILER_FLAGS);

#ifdef _OPENMP
    si->omp_version = _OPENMP;
#endif
    si->omp_max_threads = omp_get_max_threads();
    si->omp_proc_bind = (int)omp_get_proc_bind();
    si->omp_num_places = omp_get_num_places();
    copy_env("OMP_PLACES", si->omp_places, sizeof si->omp_places, &si->omp_places_set);
    copy_env("OMP_PROC_BIND", si->omp_proc_bind_env, sizeof si->omp_proc_bind_env,
             &si->omp_proc_bind_set);
    copy_env("OMP_NUM_THREADS", si->omp_num_threads, sizeof si->omp_num_threads,
             &si->omp_num_threads_set);
    rb_affinity_describe(si->binding, sizeof si->binding, si->omp_max_threads);
    rb_placement_plan(&si->placement, -1);

    si->peak_gflops_core = si->peak_gflops_all = si->bandwidth_gbs = NAN;
    si->bandwidth_mib = si->cpu_share = NAN;
    si->peak_isa = si->best_isa;
    if (measure != RB_SYSINFO_MEASURE_FULL && measure != RB_SYSINFO_MEASURE_QUICK)
        return;

    const int quick = measure == RB_SYSINFO_MEASURE_QUICK;
    /* Many short runs rather than a few long ones: on a shared machine a
     * 20 ms run has a fair chance to fall in a quiet window, a 50 ms one
     * rarely does; on an idle machine they measure the same. */
    const double seconds = quick ? 0.005 : 0.02;
    const int runs = quick ? 5 : 10;
    /* One thread per physical core, within what this process may use. */
    int threads = si->cores > 0 ? si->cores : si->usable_cpus;
    if (threads > si->usable_cpus)
        threads = si->usable_cpus;
    if (threads < 1)
        threads = 1;

    si->measured = 1;
    si->peak_threads = threads;
    double share_core, share_all, share_bw;
    si->peak_gflops_core = rb_measure_peak_gflops(si->peak_isa, 1, seconds, runs,
                                                  &share_core);
    share_all = share_core;
    si->peak_gflops_all = threads == 1
        ? si->peak_gflops_core
        : rb_measure_peak_gflops(si->peak_isa, threads, seconds, runs, &share_all);

    /* 3 x 64 MiB: beyond any LLC of a 2-socket server of today save the
     * largest V-cache parts, whose L3 slices are per CCD anyway. */
    const size_t n = (size_t)64 << 20 >> 2;
    si->bandwidth_threads = threads;
    si->bandwidth_mib = (double)(n * sizeof(float)) / (1 << 20);
    si->bandwidth_gbs = rb_measure_triad_gbs(n, threads, quick ? 3 : 10, &share_bw);
    si->cpu_share = share_core;
    if (share_all < si->cpu_share)
        si->cpu_share = share_all;
    if (share_bw < si->cpu_share)
        si->cpu_share = share_bw;
}

/* ---------------------------------------------------------------- text */

static const char *proc_bind_name(int b)
{
    static const char *const names[] = {"false", "true", "primary", "close", "spread"};
    return b >= 0 && b < 5 ? names[b] : "?";
}

static void print_count(FILE *f, int v, const char *what)
{
    if (v >= 0)
        fprintf(f, ", %d %s", v, what);
}

void rb_sysinfo_print_text(const rb_sysinfo *si, FILE *f)
{
    fprintf(f, "CPU:        %s (%s)\n", si->cpu_model, si->arch);
    fprintf(f, "Host:       %s\n", si->hostname);
    fprintf(f, "CPUs:       %d online, %d usable", si->logical_cpus, si->usable_cpus);
    print_count(f, si->cores, "cores");
    print_count(f, si->packages, "packages");
    print_count(f, si->numa_nodes, "NUMA nodes");
    fprintf(f, " (%s)\n", si->topo_hwloc ? "hwloc" : "sysconf/sysfs");
    if (!si->topo_hwloc)
        fprintf(f, "Topology:   hwloc not available: no topology/binding report\n");
    fprintf(f, "Caches:    ");
    if (si->l1d_kib >= 0) fprintf(f, " L1d %ld KiB", si->l1d_kib);
    if (si->l2_kib >= 0) fprintf(f, " L2 %ld KiB", si->l2_kib);
    if (si->l2_instances > 0) fprintf(f, " (x%d)", si->l2_instances);
    if (si->l3_kib >= 0) fprintf(f, " L3 %ld KiB", si->l3_kib);
    if (si->l3_instances > 0) fprintf(f, " (x%d)", si->l3_instances);
    if (si->l1d_kib < 0 && si->l2_kib < 0 && si->l3_kib < 0) fprintf(f, " unknown");
    fprintf(f, "\n");
    fprintf(f, "ISA:        best %s", rb_isa_name(si->best_isa));
    if (si->isa_cap[0])
        fprintf(f, " (capped by RNNBENCH_ISA=%s)", si->isa_cap);
    fprintf(f, "; flags: %s\n", si->isa_flags[0] ? si->isa_flags : "none");
    fprintf(f, "Compiler:   %s; flags: %s\n", si->compiler, si->cflags);
    fprintf(f, "OpenMP:     %d, max threads %d, proc_bind %s, %d places; "
               "OMP_PLACES=%s OMP_PROC_BIND=%s OMP_NUM_THREADS=%s\n",
            si->omp_version, si->omp_max_threads, proc_bind_name(si->omp_proc_bind),
            si->omp_num_places,
            si->omp_places_set ? si->omp_places : "unset",
            si->omp_proc_bind_set ? si->omp_proc_bind_env : "unset",
            si->omp_num_threads_set ? si->omp_num_threads : "unset");
    fprintf(f, "Binding:    %s\n", si->binding);
    rb_placement_print_text(&si->placement, f);
    if (!si->measured) {
        fprintf(f, "Ceilings:   not measured\n");
        return;
    }
    fprintf(f, "Peak:       %.1f GFLOP/s fp32 on 1 core, %.1f GFLOP/s on %d cores "
               "(%s FMA probe)\n",
            si->peak_gflops_core, si->peak_gflops_all, si->peak_threads,
            rb_isa_name(si->peak_isa));
    fprintf(f, "Bandwidth:  %.1f GB/s triad on %d threads, 3 x %.0f MiB "
               "(12 B/element, write-allocate not counted)\n",
            si->bandwidth_gbs, si->bandwidth_threads, si->bandwidth_mib);
    if (si->cpu_share < RB_SYSINFO_BUSY_SHARE)
        fprintf(f, "warning:    the measuring threads got only %.0f%% of their CPUs "
                   "(other load on this machine): the ceilings above are too low\n",
                100.0 * si->cpu_share);
}

/* ---------------------------------------------------------------- JSON */

typedef struct {
    FILE *f;
    int indent; /* < 0: one line */
    int depth;
    int first[8]; /* no key written yet at this depth */
} jw;

static void jw_newline(jw *w)
{
    if (w->indent < 0)
        return;
    fputc('\n', w->f);
    for (int i = 0; i < w->indent + 2 * w->depth; i++)
        fputc(' ', w->f);
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
    int len;
    unsigned min;
    unsigned cp;

    if (s[0] < 0x80) return 1;
    if ((s[0] & 0xe0) == 0xc0) len = 2, cp = s[0] & 0x1fu, min = 0x80;
    else if ((s[0] & 0xf0) == 0xe0) len = 3, cp = s[0] & 0x0fu, min = 0x800;
    else if ((s[0] & 0xf8) == 0xf0) len = 4, cp = s[0] & 0x07u, min = 0x10000;
    else return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, out of range, or a surrogate */
    return len;
}

/* A JSON string: quotes, backslashes and control characters escaped,
 * valid UTF-8 passed through, any other byte replaced by U+FFFD. */
static void json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        int len;
        switch (*p) {
        case '"': fputs("\\\"", f); p++; continue;
        case '\\': fputs("\\\\", f); p++; continue;
        case '\n': fputs("\\n", f); p++; continue;
        case '\r': fputs("\\r", f); p++; continue;
        case '\t': fputs("\\t", f); p++; continue;
        case '\b': fputs("\\b", f); p++; continue;
        case '\f': fputs("\\f", f); p++; continue;
        default: break;
        }
        if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p);
            p++;
        } else if ((len = utf8_len(p)) > 0) {
            fwrite(p, 1, (size_t)len, f);
            p += len;
        } else {
            fputs("\\ufffd", f);
            p++;
        }
    }
    fputc('"', f);
}

static void jw_key(jw *w, const char *k)
{
    if (!w->first[w->depth])
        fputc(',', w->f);
    if (w->indent < 0 && !w->first[w->depth])
        fputc(' ', w->f);
    w->first[w->depth] = 0;
    jw_newline(w);
    json_string(w->f, k);
    fputs(": ", w->f);
}

static void jw_open(jw *w, const char *k)
{
    if (k)
        jw_key(w, k);
    fputc('{', w->f);
    w->depth++;
    w->first[w->depth] = 1;
}

static void jw_close(jw *w)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (!empty)
        jw_newline(w);
    fputc('}', w->f);
}

static void jw_str(jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    if (v)
        json_string(w->f, v);
    else
        fputs("null", w->f);
}

/* Counts: negative means unknown and prints null. */
static void jw_int(jw *w, const char *k, long v)
{
    jw_key(w, k);
    if (v < 0)
        fputs("null", w->f);
    else
        fprintf(w->f, "%ld", v);
}

/* Non-finite (not measured) prints null: JSON has no NaN. */
static void jw_num(jw *w, const char *k, double v)
{
    jw_key(w, k);
    if (isfinite(v))
        fprintf(w->f, "%.6g", v);
    else
        fputs("null", w->f);
}

void rb_sysinfo_print_json(const rb_sysinfo *si, FILE *f, int indent)
{
    jw w = {.f = f, .indent = indent};

    jw_open(&w, NULL);
    jw_str(&w, "cpu_model", si->cpu_model);
    jw_str(&w, "arch", si->arch);
    jw_str(&w, "hostname", si->hostname);
    jw_str(&w, "isa_flags", si->isa_flags);
    jw_str(&w, "best_isa", rb_isa_name(si->best_isa));
    jw_str(&w, "isa_cap", si->isa_cap[0] ? si->isa_cap : NULL);
    jw_int(&w, "logical_cpus", si->logical_cpus);
    jw_int(&w, "usable_cpus", si->usable_cpus);

    jw_open(&w, "topology");
    jw_str(&w, "source", si->topo_hwloc ? "hwloc" : "sysconf");
    jw_int(&w, "packages", si->packages);
    jw_int(&w, "numa_nodes", si->numa_nodes);
    jw_int(&w, "cores", si->cores);
    jw_int(&w, "pus", si->pus);
    if (si->l1d_kib < 0 && si->l2_kib < 0 && si->l3_kib < 0) {
        jw_key(&w, "caches");
        fputs("null", f);
    } else {
        jw_open(&w, "caches");
        jw_int(&w, "l1d_kib", si->l1d_kib);
        jw_int(&w, "l2_kib", si->l2_kib);
        jw_int(&w, "l3_kib", si->l3_kib);
        jw_int(&w, "l2_instances", si->l2_instances);
        jw_int(&w, "l3_instances", si->l3_instances);
        jw_close(&w);
    }
    jw_close(&w);

    jw_str(&w, "compiler", si->compiler);
    jw_str(&w, "cflags", si->cflags);

    jw_open(&w, "openmp");
    jw_int(&w, "version", si->omp_version);
    jw_int(&w, "max_threads", si->omp_max_threads);
    jw_str(&w, "proc_bind", proc_bind_name(si->omp_proc_bind));
    jw_int(&w, "num_places", si->omp_num_places);
    jw_str(&w, "OMP_PLACES", si->omp_places_set ? si->omp_places : NULL);
    jw_str(&w, "OMP_PROC_BIND", si->omp_proc_bind_set ? si->omp_proc_bind_env : NULL);
    jw_str(&w, "OMP_NUM_THREADS", si->omp_num_threads_set ? si->omp_num_threads : NULL);
    jw_str(&w, "binding", si->binding);
    jw_close(&w);

    jw_key(&w, "placement");
    rb_placement_print_json(&si->placement, f, indent < 0 ? -1 : indent + 2);

    jw_str(&w, "peak_isa", si->measured ? rb_isa_name(si->peak_isa) : NULL);
    jw_int(&w, "peak_threads", si->measured ? si->peak_threads : -1);
    jw_num(&w, "peak_gflops_core", si->peak_gflops_core);
    jw_num(&w, "peak_gflops_all", si->peak_gflops_all);
    jw_int(&w, "bandwidth_threads", si->measured ? si->bandwidth_threads : -1);
    jw_num(&w, "bandwidth_array_mib", si->bandwidth_mib);
    jw_num(&w, "bandwidth_gbs", si->bandwidth_gbs);
    jw_num(&w, "measure_cpu_share", si->cpu_share);
    jw_close(&w);
}

int rb_sysinfo_main_text_or_json(int json)
{
    static rb_sysinfo si; /* ~6 KiB: off the stack */
    rb_sysinfo_collect(&si, RB_SYSINFO_MEASURE_FULL);
    if (json) {
        rb_sysinfo_print_json(&si, stdout, 0);
        fputc('\n', stdout);
    } else {
        rb_sysinfo_print_text(&si, stdout);
    }
    return 0;
}
