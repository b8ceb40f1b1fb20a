/*
 * sysinfo.h: what machine a result came from, and the two ceilings measured
 * on it (fp32 FMA peak and STREAM-triad bandwidth) that a roofline needs.
 *
 * rb_sysinfo_collect() fills a plain struct (fixed buffers, nothing to
 * free); the printers write it as short text (`rnnbench info`) or JSON
 * (`rnnbench info --json`, and the meta block of a results file).
 *
 * Topology comes from hwloc when the build found it (RB_HAVE_HWLOC), else
 * from sysconf() and sysfs, and the output says which ("source": "hwloc"
 * or "sysconf", the latter meaning sysconf and sysfs).
 */
#ifndef RB_SYSINFO_H
#define RB_SYSINFO_H

#include <stddef.h>
#include <stdio.h>

#include "../kernels/platform/cpu.h"
#include "placement.h"

/* The `measure` argument of rb_sysinfo_collect(). */
#define RB_SYSINFO_MEASURE_NONE 0  /* no timing; ceilings are NaN (JSON null) */
#define RB_SYSINFO_MEASURE_FULL 1  /* 10 x 20 ms per peak, triad best of 10, levels, barrier: ~2 s */
#define RB_SYSINFO_MEASURE_QUICK 2 /* 5 x 5 ms per peak, triad best of 3: for tests */

typedef struct {
    /* identity */
    char cpu_model[128];  /* CPUID brand string, or /proc/cpuinfo       */
    char arch[16];        /* "x86_64", "aarch64"                         */
    char hostname[256];

    /* ISA */
    char isa_flags[512];  /* rb_cpu_isa_flags()                          */
    rb_isa best_isa;      /* rb_cpu_best_isa(): after the RNNBENCH_ISA cap */
    char isa_cap[16];     /* RNNBENCH_ISA when set and valid, else ""    */

    /* CPUs and topology; -1 where unknown */
    int logical_cpus;     /* sysconf(_SC_NPROCESSORS_ONLN)               */
    int usable_cpus;      /* omp_get_num_procs(): honours taskset/cpusets */
    int topo_hwloc;       /* 1: the fields below come from hwloc         */
    int packages;
    int numa_nodes;
    int cores;            /* physical cores (hwloc, else sysfs core_id)  */
    int pus;              /* hardware threads                            */
    long l1d_kib, l2_kib, l3_kib; /* size of one instance               */
    int l2_instances, l3_instances;

    /* build */
    char compiler[128];   /* "gcc 12.2.0"                                */
    char cflags[512];     /* RB_COMPILER_FLAGS, "unknown" if not defined */

    /* OpenMP */
    int omp_version;      /* _OPENMP, e.g. 201511                        */
    int omp_max_threads;
    int omp_proc_bind;    /* omp_get_proc_bind() of the initial thread   */
    int omp_num_places;
    char omp_places[128]; int omp_places_set;       /* the environment  */
    char omp_proc_bind_env[64]; int omp_proc_bind_set;
    char omp_num_threads[32]; int omp_num_threads_set;
    char binding[4096];   /* rb_affinity_describe(omp_max_threads)       */
    rb_placement placement; /* the thread plan (placement.h)             */

    /* measured ceilings (NaN when not measured) */
    int measured;
    rb_isa peak_isa;          /* the probe used: the best allowed ISA    */
    int peak_threads;         /* threads of peak_gflops_all: one per core */
    double peak_gflops_core;  /* fp32, one thread                        */
    double peak_gflops_all;   /* fp32, peak_threads threads, summed       */
    int bandwidth_threads;
    double bandwidth_mib;     /* size of one triad array                 */
    double bandwidth_gbs;     /* triad, 12 bytes/element, 1e9 bytes/s    */
    /* The smallest fraction of wall time a measuring thread spent on a CPU
     * in the best runs: well below 1 means other processes shared the
     * cores and the ceilings are low (see RB_SYSINFO_BUSY_SHARE). */
    double cpu_share;
    /* Read bandwidth at each level of bound.h (L1 L2 L3 DRAM), GB/s, on one
     * thread and on peak_threads threads, each thread reading its own
     * block of level_ws_kib (half of the level's share per thread, from
     * the cache sizes; DRAM: 64 MiB in all); NaN where not measured. */
    double level_bw_core_gbs[4], level_bw_all_gbs[4];
    double level_ws_kib[4];
    /* One OpenMP barrier across peak_threads threads, median of many, in
     * microseconds; NaN when not measured (0 with one thread). */
    double barrier_us;
} rb_sysinfo;

/* Below this cpu_share the text report warns that the machine was busy. */
#define RB_SYSINFO_BUSY_SHARE 0.9

/* measure: one of RB_SYSINFO_MEASURE_*. Never fails: unknown fields are -1,
 * "" or "unknown". */
void rb_sysinfo_collect(rb_sysinfo *si, int measure);

/* Short human-readable report (lscpu-like). */
void rb_sysinfo_print_text(const rb_sysinfo *si, FILE *f);
/* One JSON object. indent >= 0: pretty-printed, nested lines indented by
 * indent + 2, 4, ... spaces, the closing brace by indent (the opening brace
 * is written where the stream is, so the object can follow a key);
 * indent < 0: on one line. No trailing newline. Written with json.h. */
void rb_sysinfo_print_json(const rb_sysinfo *si, FILE *f, int indent);

/* The ceilings one at a time (rb_measure_peak_gflops,
 * rb_measure_triad_gbs), for callers that want other settings. */
#include "probes.h"

#endif
