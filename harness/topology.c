/*
 * topology.c: what the machine is: CPU model, packages, NUMA nodes, cores,
 * caches (see sysinfo.h). From hwloc when the build found it
 * (RB_HAVE_HWLOC), else from sysconf() and sysfs.
 */
#ifndef _GNU_SOURCE /* the Makefile defines it too */
#define _GNU_SOURCE /* sysconf's _SC_LEVEL*_CACHE_SIZE */
#endif

#include "topology.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(RB_HAVE_HWLOC) && RB_HAVE_HWLOC
#include <hwloc.h>
#define RB_SI_HWLOC 1
#else
#define RB_SI_HWLOC 0
#endif

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

void rb_cpu_model(char *out, size_t n)
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

void rb_topology_collect(rb_sysinfo *si)
{
    si->packages = si->numa_nodes = si->cores = si->pus = -1;
    si->l1d_kib = si->l2_kib = si->l3_kib = -1;
    si->l2_instances = si->l3_instances = -1;
#if RB_SI_HWLOC
    topology_hwloc(si);
#endif
    if (!si->topo_hwloc)
        topology_sysfs(si);
}
