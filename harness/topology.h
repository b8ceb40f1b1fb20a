/*
 * topology.h: the identity and topology fields of rb_sysinfo (topology.c).
 */
#ifndef RB_TOPOLOGY_H
#define RB_TOPOLOGY_H

#include <stddef.h>

#include "sysinfo.h"

/* CPUID brand string, else /proc/cpuinfo's model name or MIDR fields,
 * else "unknown". */
void rb_cpu_model(char *out, size_t n);
/* Fills topo_hwloc, packages, numa_nodes, cores, pus and the cache fields
 * (-1 where unknown); si->logical_cpus must be set. */
void rb_topology_collect(rb_sysinfo *si);

#endif
