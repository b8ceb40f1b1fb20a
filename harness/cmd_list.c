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
    char cells[RB_NCELLS * 16];
    int width = 5; /* "cells" */
    for (int i = 0; i < rb_variant_count(); i++) {
        const int len = (int)rb_cells_text(rb_variant_at(i)->cells, ",", cells, sizeof cells);
        if (len > width) width = len;
    }
    printf("%-22s %-7s %-10s %-*s %s\n", "variant", "isa", "parallel", width, "cells", "status");
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        const char *why = rb_variant_why_not_any(v);
        rb_cells_text(v->cells, ",", cells, sizeof cells);
        printf("%-22s %-7s %-10s %-*s %s%s\n", v->name, v->isa, v->parallel, width, cells,
               why ? "skipped: " : "runnable", why ? why : "");
    }
    return 0;
}
