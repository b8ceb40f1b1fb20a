#!/usr/bin/env bash
# compare.sh DIR1 DIR2 ...: the same variants across machines, side by side:
# GFLOP/s against H, one panel per (cell, variant) present in every
# directory, one curve per machine. Writes results/compare-<date>/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo 'usage: make compare RESULTS="results/DIR1 results/DIR2 ..."' >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "compare: gnuplot not found: apt-get install gnuplot-nox" >&2; exit 1; }
source "$here/lib-results.sh"
out=${COMPARE_OUT:-results/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
machines="" dirs_data="" common=""
i=0
for d in "$@"; do
    [ -f "$d/results.csv" ] || { echo "compare: $d/results.csv not found" >&2; exit 2; }
    i=$((i + 1))
    read_meta "$d"
    data="$out/m$i"; mkdir -p "$data"
    split_results "$d/results.csv" "$data"
    label=$(printf '%s' "$META_HOST ($META_CPU)" | tr -d "'" | tr ' ' '_')
    machines="$machines $label"; dirs_data="$dirs_data $data"
    vs=$(cat "$data/variants.txt")
    if [ $i -eq 1 ]; then common=$vs; else
        common=$(for v in $common; do for w in $vs; do [ "$v" = "$w" ] && echo "$v"; done; done | tr '\n' ' ')
    fi
    cells=$(cat "$data/cells.txt"); pass=$(awk '{print $1}' "$data/passes.txt")
done
[ -n "${VARIANTS:-}" ] && common=$VARIANTS
[ -n "$common" ] || { echo "compare: no variant is present in every directory" >&2; exit 2; }
gnuplot -e "dirs='$dirs_data'" -e "machines='$machines'" -e "variants='$common'" -e "cells='$cells'" \
        -e "pass='$pass'" -e "out='$out'" -e "style='$here/gp/style.gp'" "$here/gp/compare.gp"
echo "compare: $out/compare.png and $out/compare.pdf (variants: $common)"
