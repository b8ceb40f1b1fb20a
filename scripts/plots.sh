#!/usr/bin/env bash
# plots.sh DIR: draw the performance figures of one results directory (the
# results.csv and meta.json that `rnnbench sweep` wrote) into DIR, as PNG
# and PDF. awk splits the CSV into one small table per curve under
# DIR/plotdata/; the gnuplot scripts in scripts/gp/ draw them.
#
# Every failure says what failed on stderr and exits non-zero: 2 for a bad
# argument or a directory without results, 1 for anything else (gnuplot
# missing, nothing measured, the directory not writable, a gnuplot error).
set -eEuo pipefail
trap 'echo "plots: FAILED (exit $?): $BASH_COMMAND (scripts/plots.sh line $LINENO); no complete set of plots in ${dir:-?}" >&2' ERR
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-}
die() { echo "plots: $2" >&2; trap - ERR; exit "$1"; }
[ -n "$dir" ] || die 2 "usage: make plots RESULTS=results/<host>-<date>"
[ -d "$dir" ] || die 2 "$dir is not a directory"
[ -s "$dir/results.csv" ] || die 2 "$dir/results.csv not found or empty: not a results directory of rnnbench sweep"
command -v gnuplot >/dev/null || die 1 "gnuplot not found: apt-get install gnuplot-nox (no plots drawn)"
gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo || die 1 "this gnuplot has no cairo terminals (install gnuplot-nox)"
{ : >"$dir/.plots-write-test" && rm -f "$dir/.plots-write-test"; } 2>/dev/null || die 1 "cannot write into $dir (no plots drawn)"
measured=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") s = i; next }
                    s && $s == "ok" { n++ } END { print n + 0 }' "$dir/results.csv")
[ "$measured" -gt 0 ] || die 1 "$dir/results.csv has no measured point (no row with status ok): nothing to draw"

source "$here/lib-results.sh"
read_meta "$dir"
data="$dir/plotdata"
rm -rf "$data"; mkdir -p "$data"
split_results "$dir/results.csv" "$data"

vars=$(cat "$data/variants.txt")
pvars=$(cat "$data/parallel_variants.txt")
cells=$(cat "$data/cells.txt")
passes=$(cat "$data/passes.txt")
title="$META_HOST: $META_CPU, $META_DATE"
common=(-e "data='$data'" -e "out='$dir'" -e "title='$title'" -e "variants='$vars'" -e "cells='$cells'"
        -e "passes='$passes'" -e "style='$here/gp/style.gp'")
gp() { # ... SCRIPT: one figure; a gnuplot error names the figure it stopped
    gnuplot "${common[@]}" "$@" || die 1 "gnuplot failed on $(basename "${*: -1}") (its error is above); figures before it are in $dir"
}

gp -e "shape='$(cat "$data/shape_h.txt")'" "$here/gp/gflops_vs_h.gp"
gp -e "shape='$(cat "$data/shape_peak.txt")'" "$here/gp/pct_peak.gp"
gp -e "shape='$(cat "$data/shape_t.txt")'" "$here/gp/step_time.gp"
if [ -n "$pvars" ]; then
    gp -e "pvariants='$pvars'" -e "shape='$(cat "$data/shape_threads.txt")'" "$here/gp/scaling.gp"
fi
read_levels "$dir"
gp -e "peak=$META_PEAK_ALL" -e "peak_core=$META_PEAK_CORE" -e "bw=$META_BW" -e "bw_l1=$META_BW_L1" \
   -e "bw_l2=$META_BW_L2" -e "bw_l3=$META_BW_L3" -e "bw_dram=$META_BW_DRAM" "$here/gp/roofline.gp"
# the network figures, where the results have network rows
if [ -n "$(cat "$data/lay_dirs.txt")" ]; then
    gp -e "laycells='$(cat "$data/lay_cells.txt")'" -e "laypasses='$(cat "$data/lay_passes.txt")'" \
       -e "laydirs='$(cat "$data/lay_dirs.txt")'" -e "shape='$(cat "$data/shape_lay.txt")'" "$here/gp/layers_dirs.gp"
fi
if [ -n "$(cat "$data/vl_passes.txt")" ]; then
    gp -e "vlpasses='$(cat "$data/vl_passes.txt")'" "$here/gp/varlen.gp"
fi

echo "plots: written to $dir:"
ls "$dir"/*.png "$dir"/*.pdf | sed 's/^/  /'
