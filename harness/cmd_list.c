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
    printf("%-22s %-7s %-10s %-34s %s\n", "variant", "isa", "parallel", "cells", "status");
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        char cells[64] = "";
        for (int c = 0; c < RB_NCELLS; c++)
            if (v->cells & RB_CELL_BIT(c)) {
                if (cells[0]) strcat(cells, ",");
                strcat(cells, rb_cell_name((rb_cell)c));
            }
        const char *why = rb_variant_why_not_any(v);
        printf("%-22s %-7s %-10s %-34s %s%s\n", v->name, v->isa, v->parallel, cells,
               why ? "skipped: " : "runnable", why ? why : "");
    }
    return 0;
}
