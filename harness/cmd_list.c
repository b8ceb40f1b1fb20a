/* cmd_list.c: `rnnbench list`: the registry, with what this machine can run. */
#include <stdio.h>
#include <string.h>

#include "../variants/variant.h"
#include "cli.h"

int rb_cmd_list(int argc, char **argv)
{
    rb_opt opts[] = {
        {"names", NULL, "print only the names of the runnable variants, one a line", NULL, 0},
    };
    rb_opts_parse("list", "[--names]", argc, argv, opts, 1);
    if (opts[0].seen) {
        for (int i = 0; i < rb_variant_count(); i++) {
            const rb_variant *v = rb_variant_at(i);
            if (!rb_variant_why_not_any(v))
                printf("%s\n", v->name);
        }
        return 0;
    }
    enum { CELLS_MAX = RB_NCELLS * 16 };
    char cells[64][CELLS_MAX];
    int n = rb_variant_count() < 64 ? rb_variant_count() : 64, width = 5;
    for (int i = 0; i < n; i++) {
        const rb_variant *v = rb_variant_at(i);
        size_t len = 0;
        cells[i][0] = '\0';
        for (int c = 0; c < RB_NCELLS; c++)
            if (v->cells & RB_CELL_BIT(c))
                len += (size_t)snprintf(cells[i] + len, CELLS_MAX - len, "%s%s", len ? "," : "",
                                        rb_cell_name((rb_cell)c));
        if ((int)len > width) width = (int)len;
    }
    printf("%-22s %-7s %-10s %-*s %s\n", "variant", "isa", "parallel", width, "cells", "status");
    for (int i = 0; i < n; i++) {
        const rb_variant *v = rb_variant_at(i);
        const char *why = rb_variant_why_not_any(v);
        printf("%-22s %-7s %-10s %-*s %s%s\n", v->name, v->isa, v->parallel, width, cells[i],
               why ? "skipped: " : "runnable", why ? why : "");
    }
    return 0;
}
