/*
 * sysinfo.c: collect and print the machine description and the measured
 * ceilings (see sysinfo.h). Topology: topology.c; ceilings: probes.c and
 * bandwidth.c; JSON: json_write.c. Both ceilings run one thread per
 * physical core: SMT siblings share the FMA pipes, and that is also how
 * rnnbench binds.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* gethostname */
#endif

#include "sysinfo.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "affinity.h"
#include "json.h"
#include "probes.h"
#include "topology.h"

#ifndef RB_COMPILER_FLAGS
#define RB_COMPILER_FLAGS "unknown"
#endif

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

static void copy_env(const char *name, char *out, size_t n, int *set)
{
    const char *v = getenv(name);
    *set = v != NULL;
    snprintf(out, n, "%s", v ? v : "");
}

/* ---------------------------------------------------------------- collect */

/* The read bandwidth of each level (bound.h) on one thread and on
 * `threads`, and the barrier latency of that team. Each thread reads half
 * of its share of the level (the rest leaves room for the stack, the code
 * and the other ways of a set): a share is the level's size times the
 * instances the threads spread over, divided by the threads. L3 reads at
 * most twice L2: that is where a recurrent step's weights sit when they
 * spill from L2, and a block of half a large L3 reads much slower (on a
 * Zen 3 VM, 16 MiB read at DRAM speed, 2 MiB at 60 GB/s: the bound must
 * not take the slow end of a level). DRAM: 64 MiB,
 * or twice all of L3 if larger, split among the threads. */
static void measure_levels(rb_sysinfo *si, int threads, int quick)
{
    /* many short runs: on a shared machine some fall in a quiet window */
    const double seconds = quick ? 0.002 : 0.005;
    const int runs = quick ? 3 : 12;
    const long kib[3] = {si->l1d_kib, si->l2_kib, si->l3_kib};
    const int inst[3] = {si->cores, si->l2_instances, si->l3_instances};
    double l3_all = si->l3_kib > 0 ? 1024.0 * si->l3_kib * (si->l3_instances > 0 ? si->l3_instances : 1) : 0;
    const double dram = fmax(64.0 * (1 << 20), 2 * l3_all);
    for (int l = 0; l < 4; l++) {
        si->level_bw_core_gbs[l] = si->level_bw_all_gbs[l] = si->level_ws_kib[l] = NAN;
        double one, all; /* bytes per thread: alone, and in the team */
        if (l < 3) {
            if (kib[l] <= 0) continue;
            const double n = inst[l] > 0 ? inst[l] : 1;
            one = 512.0 * kib[l];
            all = 512.0 * kib[l] * fmin(n, threads) / threads;
            if (l == 2 && si->l2_kib > 0) { /* L3: just past L2, see above */
                one = fmin(one, 2048.0 * si->l2_kib);
                all = fmin(all, 2048.0 * si->l2_kib);
            }
        } else {
            one = dram;
            all = dram / threads;
        }
        double share;
        const int rn = l == 3 ? 2 : runs; /* DRAM: each run is long already */
        si->level_ws_kib[l] = all / 1024;
        si->level_bw_core_gbs[l] = rb_measure_read_gbs((size_t)one, 1, seconds, rn, &share);
        si->level_bw_all_gbs[l] = threads == 1 ? si->level_bw_core_gbs[l]
                                               : rb_measure_read_gbs((size_t)all, threads, seconds, rn, &share);
    }
    si->barrier_us = 1e6 * rb_measure_barrier_s(threads, quick ? 7 : 51, quick ? 10 : 20);
}

void rb_sysinfo_collect(rb_sysinfo *si, int measure)
{
    memset(si, 0, sizeof *si);
    rb_cpu_model(si->cpu_model, sizeof si->cpu_model);
    snprintf(si->arch, sizeof si->arch, "%s", rb_cpu_arch());
    if (gethostname(si->hostname, sizeof si->hostname - 1) != 0)
        snprintf(si->hostname, sizeof si->hostname, "unknown");

    rb_cpu_isa_flags(si->isa_flags, sizeof si->isa_flags);
    si->best_isa = rb_cpu_best_isa();
    const char *cap = rb_cpu_isa_cap();
    snprintf(si->isa_cap, sizeof si->isa_cap, "%s", cap ? cap : "");

    si->logical_cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    si->usable_cpus = omp_get_num_procs();
    rb_topology_collect(si);

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
    for (int l = 0; l < 4; l++)
        si->level_bw_core_gbs[l] = si->level_bw_all_gbs[l] = si->level_ws_kib[l] = NAN;
    si->barrier_us = NAN;
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
    measure_levels(si, threads, quick);
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
    static const char *const lv[4] = {"L1", "L2", "L3", "DRAM"};
    fprintf(f, "Read bw:   ");
    for (int l = 0; l < 4; l++)
        if (si->level_bw_core_gbs[l] > 0)
            fprintf(f, " %s %.0f / %.0f GB/s (%.0f KiB/thread)%s", lv[l], si->level_bw_core_gbs[l],
                    si->level_bw_all_gbs[l], si->level_ws_kib[l], l < 3 ? ";" : "");
    fprintf(f, "\n            (1 core / %d cores, each thread summing its own block)\n", si->peak_threads);
    fprintf(f, "Barrier:    %.2f us across %d threads (OpenMP barrier, median)\n", si->barrier_us,
            si->peak_threads);
    if (si->cpu_share < RB_SYSINFO_BUSY_SHARE)
        fprintf(f, "warning:    the measuring threads got only %.0f%% of their CPUs "
                   "(other load on this machine): the ceilings above are too low\n",
                100.0 * si->cpu_share);
}

/* ---------------------------------------------------------------- JSON */
/* ---------------------------------------------------------------- JSON */

void rb_sysinfo_print_json(const rb_sysinfo *si, FILE *f, int indent)
{
    rb_jw w;

    rb_jw_begin(&w, f, indent);
    rb_jw_str(&w, "cpu_model", si->cpu_model);
    rb_jw_str(&w, "arch", si->arch);
    rb_jw_str(&w, "hostname", si->hostname);
    rb_jw_str(&w, "isa_flags", si->isa_flags);
    rb_jw_str(&w, "best_isa", rb_isa_name(si->best_isa));
    rb_jw_str(&w, "isa_cap", si->isa_cap[0] ? si->isa_cap : NULL);
    rb_jw_int(&w, "logical_cpus", si->logical_cpus);
    rb_jw_int(&w, "usable_cpus", si->usable_cpus);

    rb_jw_open(&w, "topology");
    rb_jw_str(&w, "source", si->topo_hwloc ? "hwloc" : "sysconf");
    rb_jw_int(&w, "packages", si->packages);
    rb_jw_int(&w, "numa_nodes", si->numa_nodes);
    rb_jw_int(&w, "cores", si->cores);
    rb_jw_int(&w, "pus", si->pus);
    if (si->l1d_kib < 0 && si->l2_kib < 0 && si->l3_kib < 0) {
        rb_jw_key(&w, "caches");
        fputs("null", f);
    } else {
        rb_jw_open(&w, "caches");
        rb_jw_int(&w, "l1d_kib", si->l1d_kib);
        rb_jw_int(&w, "l2_kib", si->l2_kib);
        rb_jw_int(&w, "l3_kib", si->l3_kib);
        rb_jw_int(&w, "l2_instances", si->l2_instances);
        rb_jw_int(&w, "l3_instances", si->l3_instances);
        rb_jw_close(&w);
    }
    rb_jw_close(&w);

    rb_jw_str(&w, "compiler", si->compiler);
    rb_jw_str(&w, "cflags", si->cflags);

    rb_jw_open(&w, "openmp");
    rb_jw_int(&w, "version", si->omp_version);
    rb_jw_int(&w, "max_threads", si->omp_max_threads);
    rb_jw_str(&w, "proc_bind", proc_bind_name(si->omp_proc_bind));
    rb_jw_int(&w, "num_places", si->omp_num_places);
    rb_jw_str(&w, "OMP_PLACES", si->omp_places_set ? si->omp_places : NULL);
    rb_jw_str(&w, "OMP_PROC_BIND", si->omp_proc_bind_set ? si->omp_proc_bind_env : NULL);
    rb_jw_str(&w, "OMP_NUM_THREADS", si->omp_num_threads_set ? si->omp_num_threads : NULL);
    rb_jw_str(&w, "binding", si->binding);
    rb_jw_close(&w);

    rb_jw_key(&w, "placement");
    rb_placement_print_json(&si->placement, f, indent < 0 ? -1 : indent + 2);

    rb_jw_str(&w, "peak_isa", si->measured ? rb_isa_name(si->peak_isa) : NULL);
    rb_jw_int(&w, "peak_threads", si->measured ? si->peak_threads : -1);
    rb_jw_num(&w, "peak_gflops_core", si->peak_gflops_core);
    rb_jw_num(&w, "peak_gflops_all", si->peak_gflops_all);
    rb_jw_int(&w, "bandwidth_threads", si->measured ? si->bandwidth_threads : -1);
    rb_jw_num(&w, "bandwidth_array_mib", si->bandwidth_mib);
    rb_jw_num(&w, "bandwidth_gbs", si->bandwidth_gbs);
    rb_jw_num(&w, "measure_cpu_share", si->cpu_share);
    {
        static const char *const lv[4] = {"l1", "l2", "l3", "dram"};
        rb_jw_open(&w, "read_bandwidth_gbs");
        for (int l = 0; l < 4; l++) {
            rb_jw_open(&w, lv[l]);
            rb_jw_num(&w, "core", si->level_bw_core_gbs[l]);
            rb_jw_num(&w, "all", si->level_bw_all_gbs[l]);
            rb_jw_num(&w, "ws_kib_per_thread", si->level_ws_kib[l]);
            rb_jw_close(&w);
        }
        rb_jw_close(&w);
    }
    rb_jw_num(&w, "barrier_us", si->barrier_us);
    rb_jw_close(&w);
}
