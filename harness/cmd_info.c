/* cmd_info.c: `rnnbench info [--json] [--no-measure]`: the machine. */
#include <stdio.h>

#include "cli.h"
#include "sysinfo.h"

int rb_cmd_info(int argc, char **argv)
{
    rb_opt opts[] = {
        {"json", NULL, "one JSON object (the meta.json of a sweep embeds it)", NULL, 0},
        {"no-measure", NULL, "skip the FMA-peak, bandwidth and barrier probes (about 2 s)", NULL, 0},
    };
    rb_opts_parse("info", "[--json] [--no-measure]", argc, argv, opts, 2);
    rb_sysinfo si;
    rb_sysinfo_collect(&si, opts[1].seen ? RB_SYSINFO_MEASURE_NONE : RB_SYSINFO_MEASURE_FULL);
    if (opts[0].seen) {
        rb_sysinfo_print_json(&si, stdout, 0);
        fputc('\n', stdout); /* a text file ends with a newline */
    } else {
        rb_sysinfo_print_text(&si, stdout);
    }
    return 0;
}
