/*
 * placement.h: where rnnbench puts the threads of a team, from hwloc.
 *
 * The plan: one thread per core (SMT siblings only with RNNBENCH_SMT=1),
 * the cores in the order package, NUMA node, core, so that a team of k
 * threads fills one NUMA node, then the next node of the same package,
 * then the next package. Thread i of any team runs where entry i says:
 * rb_affinity_init() (affinity.h) turns the plan into OMP_PLACES, one PU
 * per place in plan order, with OMP_PROC_BIND=close.
 *
 * With RNNBENCH_SMT=1 every PU is a place: first one PU of each core (in
 * the order above), then the second PU of each core, and so on, so that a
 * team no larger than the core count still gets a core per thread.
 *
 * Memory follows the threads by first touch (Linux's default policy): the
 * *_omp_grid variants pack each thread's weight slice in that thread, and
 * each thread first writes its own rows of the recurrent state (see
 * variants/fast/grid.inc); nothing is bound with hwloc_set_membind.
 *
 * hwloc reads HWLOC_SYNTHETIC or HWLOC_XMLFILE when set: the plan is then
 * that topology's, computed and reported, but not applied (its PUs are not
 * this machine's): `this_system` is 0 and the report says binding is
 * skipped.
 */
#ifndef RB_PLACEMENT_H
#define RB_PLACEMENT_H

#include <stddef.h>
#include <stdio.h>

#define RB_PLACE_MAX 1024 /* threads planned at most (more are not listed) */

typedef struct {
    int pu;      /* OS index of the PU (as taskset and OMP_PLACES number it) */
    int core;    /* hwloc logical index of its core                        */
    int numa;    /* hwloc logical index of its NUMA node (-1: none known)   */
    int package; /* hwloc logical index of its package (-1: none known)     */
} rb_place;

typedef struct {
    int have;        /* 0: no hwloc (or it failed): no plan, n = 0          */
    int this_system; /* 1: the topology is this machine's (binding applies)  */
    int smt;         /* RNNBENCH_SMT=1: every PU is a place                  */
    int packages, numa_nodes, cores, pus;
    int node_cores;    /* cores of the first NUMA node in plan order        */
    int package_cores; /* cores of the first package in plan order          */
    int n;             /* entries in t (all places, up to RB_PLACE_MAX)     */
    int total;         /* places in the plan (n unless truncated)           */
    rb_place t[RB_PLACE_MAX];
} rb_placement;

/* The plan of this machine, or of the topology hwloc is told to load
 * (HWLOC_SYNTHETIC, HWLOC_XMLFILE). smt < 0: from RNNBENCH_SMT. */
void rb_placement_plan(rb_placement *pl, int smt);
/* The plan of a synthetic topology ("pack:2 numa:2 core:8 pu:2"); returns
 * -1 when hwloc is missing or rejects the description. */
int rb_placement_plan_synthetic(rb_placement *pl, const char *desc, int smt);

/* OMP_PLACES for the plan: one PU per place, runs of evenly spaced PUs
 * written as "{first}:count:stride". Returns -1 (and writes nothing
 * useful) when the plan is empty or does not fit in n. */
int rb_placement_omp_places(const rb_placement *pl, char *buf, size_t n);

/* "t0->pu0/core0/numa0/pack0 t1->..." on one line, truncated with "...". */
void rb_placement_describe(const rb_placement *pl, char *buf, size_t n);
/* Text lines for `rnnbench info`; JSON object (indent as sysinfo.h's). */
void rb_placement_print_text(const rb_placement *pl, FILE *f);
void rb_placement_print_json(const rb_placement *pl, FILE *f, int indent);

/* The sweep's default threads axis ("all"): 1, 2, 4, ... below cores,
 * cores, and the core counts of one NUMA node and of one package when
 * they are below cores; sorted, no duplicates. At most max values. */
int rb_threads_axis(int cores, const rb_placement *pl, int *out, int max);

#endif
