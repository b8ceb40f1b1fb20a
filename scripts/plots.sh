#!/usr/bin/env bash
# plots.sh DIR: draw the performance figures of one results directory (the
# results.csv and meta.json that `rnnbench sweep` wrote) into DIR, as PNG
# and PDF. awk splits the CSV into one small table per curve under
# DIR/plotdata/; the gnuplot scripts in scripts/gp/ draw them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-}
[ -n "$dir" ] || { echo "usage: make plots RESULTS=results/<host>-<date>" >&2; exit 2; }
[ -f "$dir/results.csv" ] || { echo "plots: $dir/results.csv not found" >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "plots: gnuplot not found: apt-get install gnuplot-nox (no plots drawn)" >&2; exit 1; }
gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo || { echo "plots: this gnuplot has no cairo terminals (install gnuplot-nox)" >&2; exit 1; }

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
gp() { gnuplot "${common[@]}" "$@"; }

gp -e "shape='$(cat "$data/shape_h.txt")'" "$here/gp/gflops_vs_h.gp"
gp -e "shape='$(cat "$data/shape_peak.txt")'" "$here/gp/pct_peak.gp"
gp -e "shape='$(cat "$data/shape_t.txt")'" "$here/gp/step_time.gp"
[ -n "$pvars" ] && gp -e "pvariants='$pvars'" -e "shape='$(cat "$data/shape_threads.txt")'" "$here/gp/scaling.gp"
gp -e "peak=$META_PEAK_ALL" -e "peak_core=$META_PEAK_CORE" -e "bw=$META_BW" "$here/gp/roofline.gp"

echo "plots: written to $dir:"
ls "$dir"/*.png "$dir"/*.pdf 2>/dev/null | sed 's/^/  /'
