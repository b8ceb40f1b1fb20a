/*
 * sweep_variants.c: which variants the sweep may run, and whether the
 * team size applies to them (sweep.h). Every such question of the sweep
 * comes here, so a registry function that answers them replaces this file.
 */
#include <string.h>

#include "sweep.h"

const char *rb_sweep_why_not(const rb_variant *v, rb_cell cell) { return rb_variant_why_not(v, cell); }

const char *rb_sweep_why_not_any(const rb_variant *v)
{
    const char *why = "implements no cell";
    for (int c = 0; c < RB_NCELLS; c++) {
        if (!(v->cells & RB_CELL_BIT(c))) continue;
        why = rb_sweep_why_not(v, (rb_cell)c);
        if (!why) return NULL;
    }
    return why;
}

int rb_sweep_is_parallel(const rb_variant *v) { return strcmp(v->parallel, "serial") != 0; }
