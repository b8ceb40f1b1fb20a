/*
 * affinity.h: where OpenMP threads run, and saying so.
 *
 * The rule: unless the user set OMP_PLACES or OMP_PROC_BIND, rnnbench runs
 * with OMP_PROC_BIND=close and OMP_PLACES from the hwloc plan of
 * placement.h (one PU per place: one thread per core, cores in the order
 * package, NUMA node, core; RNNBENCH_SMT=1 adds the SMT siblings after
 * every core's first PU), written compactly ("{0}:16:1"); without hwloc, or
 * when hwloc describes another machine (HWLOC_SYNTHETIC, HWLOC_XMLFILE),
 * OMP_PLACES=cores (threads with RNNBENCH_SMT=1). Every report says which
 * binding was in effect and who chose it.
 *
 * libgomp reads those variables in a constructor, before main(), so setting
 * them in main() is too late: rb_affinity_init() sets them and re-executes
 * the program (execv of /proc/self/exe, same argv). It does not re-execute
 * when
 *   - OMP_PLACES or OMP_PROC_BIND is already set (the user's choice, or the
 *     re-executed process itself: that is what ends the loop);
 *   - RNNBENCH_NO_REEXEC=1 (use it under debuggers, tracers, or anything
 *     that must see a single exec);
 *   - the program runs under valgrind (LD_PRELOAD names vgpreload): an
 *     exec would leave valgrind unless --trace-children=yes;
 * and if execv fails (qemu-user without binfmt_misc: ENOEXEC) it carries
 * on unbound and the report says why. Under qemu-user /proc/self/exe names
 * the guest binary, so with binfmt_misc the re-exec works there too; ASan
 * builds re-execute normally.
 */
#ifndef RB_AFFINITY_H
#define RB_AFFINITY_H

#include <stddef.h>
#include <stdio.h>

/* Call first thing in main(), before any OpenMP call. Returns only when no
 * re-exec happened (or it failed). argv must be main's argv. */
void rb_affinity_init(int argc, char **argv);

/* Runs a parallel region of `threads` threads (<= 0: omp_get_max_threads())
 * and writes, e.g.
 *   OMP_PLACES=cores OMP_PROC_BIND=close (set by rnnbench) threads=2:
 *   t0->core0{pu0} t1->core1{pu1}
 * (one line). Per thread: core<c>{pu<p>,...} when bound within one core
 * (c: hwloc logical core index, p: OS cpu number, as `lstopo` and taskset
 * number them); unbound{<cpus>}@pu<p> when allowed on every cpu, and
 * pus{<cpus>}@pu<p> otherwise, @ naming the cpu it last ran on. Without
 * hwloc: cpu<p> or cpus{<cpus>}@cpu<p> from sched_getaffinity(), and the
 * line ends "(hwloc not available: cpus from sched_getaffinity)". The text
 * contains commas, so quote it in CSV. Truncated with "..." to fit n.
 * Returns the team size OpenMP gave (the number of t<k> entries). */
int rb_affinity_describe(char *buf, size_t n, int threads);

/* Who chose the binding: "rnnbench", "user", or "none" (not bound). */
/* In a child about to exec (rnnbench slurm's dry run, sbatch): drop the
 * binding rnnbench chose for itself, so that the child (another rnnbench,
 * or a job Slurm starts on another node) chooses its own. A user's
 * OMP_PLACES / OMP_PROC_BIND stay. */
void rb_affinity_forget_default(void);
const char *rb_affinity_origin(void);
/* Why rnnbench did not set the binding (NULL when it did, or the user did):
 * "RNNBENCH_NO_REEXEC=1", "running under valgrind", "re-exec failed: ...",
 * "rb_affinity_init() not called". */
const char *rb_affinity_why_unbound(void);

#endif
