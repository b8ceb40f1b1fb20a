#!/usr/bin/env bash
# compare.sh DIR1 DIR2 ...: the same variants across machines, side by side:
# GFLOP/s against H, one panel per (cell, variant) present in every
# directory, one curve per machine. Writes results/compare-<date>/.
# Every failure says what failed on stderr and exits non-zero.
set -eEuo pipefail
trap 'echo "compare: FAILED (exit $?): $BASH_COMMAND (scripts/compare.sh line $LINENO)" >&2' ERR
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "compare: $2" >&2; trap - ERR; exit "$1"; }
[ $# -ge 1 ] || die 2 'usage: make compare RESULTS="results/DIR1 results/DIR2 ..."'
command -v gnuplot >/dev/null || die 1 "gnuplot not found: apt-get install gnuplot-nox"
source "$here/lib-results.sh"
out=${COMPARE_OUT:-results/compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out" 2>/dev/null && [ -w "$out" ] || die 1 "cannot create or write $out (COMPARE_OUT picks another)"
machines="" dirs_data="" common=""
i=0
for d in "$@"; do
    [ -s "$d/results.csv" ] || die 2 "$d/results.csv not found or empty"
    i=$((i + 1))
    read_meta "$d"
    data="$out/m$i"; mkdir -p "$data"
    split_results "$d/results.csv" "$data"
    label=$(printf '%s' "$META_HOST ($META_CPU)" | tr -d "'" | tr ' ' '_')
    machines="$machines $label"; dirs_data="$dirs_data $data"
    vs=$(cat "$data/variants.txt")
    if [ $i -eq 1 ]; then common=$vs; else
        common=$(for v in $common; do for w in $vs; do if [ "$v" = "$w" ]; then echo "$v"; fi; done; done | tr '\n' ' ')
    fi
    cells=$(cat "$data/cells.txt"); pass=$(awk '{print $1}' "$data/passes.txt")
done
if [ -n "${VARIANTS:-}" ]; then common=$VARIANTS; fi
[ -n "$common" ] || die 2 "no variant was measured (status ok) in every directory"
gnuplot -e "dirs='$dirs_data'" -e "machines='$machines'" -e "variants='$common'" -e "cells='$cells'" \
        -e "pass='$pass'" -e "out='$out'" -e "style='$here/gp/style.gp'" "$here/gp/compare.gp" ||
    die 1 "gnuplot failed on compare.gp (its error is above)"
echo "compare: $out/compare.png and $out/compare.pdf (variants: $common)"
