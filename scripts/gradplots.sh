#!/usr/bin/env bash
# gradplots.sh BIN [OUTDIR]: why LSTM and GRU exist, as figures.
# Runs `BIN gradnorm` (the suite's own kernels, BPTT of one variant) for the
# cells (all of them by default) and writes, into OUTDIR (default results/gradnorm):
#   gradnorm.csv            default rho list, no clipping
#   gradnorm_clip1.csv      the same with --clip 1
#   gradnorm_lstm_fb0.csv   lstm, rho 0.5 1 2, forget bias 0
#   gradnorm_lstm_fb1.csv   the same, forget bias 1
#   gradnorm_depth.csv      --layers GRADNORM_LAYERS (8) at rho GRADNORM_DEPTH_RHO
#                           (1): every layer of a stacked network (double reference)
#   fig_gradnorm.{png,pdf}        ‖∂L/∂h_t‖ vs k, a panel per cell, a curve
#                                 per rho; rho^k guides on the plain RNNs
#   fig_gradnorm_clip.{png,pdf}   the same after global-norm clipping to C
#   fig_gradnorm_lstm_fb.{png,pdf} lstm, forget bias 0 vs 1: ∂L/∂h and ∂L/∂c
#   fig_gradnorm_depth.{png,pdf}  heat map of log10 ‖∂L/∂h^{[l]}_t‖ over
#                                 (steps back, layer), a panel per cell
# Environment: GRADNORM_VARIANT (default naive), GRADNORM_SEEDS (default 5),
# GRADNORM_CLIP (default 1), GRADNORM_LAYERS (default 8), GRADNORM_DEPTH_RHO
# (default 1), GRADNORM_CELLS (default all; every run); GRADNORM_T (default
# 50; every run); GRADNORM_REUSE=1 redraws from the CSVs already
# in OUTDIR instead of running gradnorm again.
# Every failure says what failed on stderr and exits non-zero.
set -eEuo pipefail
trap 'echo "gradplots: FAILED (exit $?): $BASH_COMMAND (scripts/gradplots.sh line $LINENO)" >&2' ERR
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
out=${2:-results/gradnorm}
[ -n "$bin" ] || { echo "usage: scripts/gradplots.sh BIN [OUTDIR]   (or: make gradplots)" >&2; exit 2; }
[ -x "$bin" ] || { echo "gradplots: $bin is not an executable (run make first)" >&2; exit 2; }
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "gradplots: gnuplot not found: apt-get install gnuplot-nox (no figures drawn)" >&2
    exit 1
fi
terms=$(gnuplot -e 'set terminal' 2>&1 || true)
if ! grep -q pngcairo <<<"$terms" || ! grep -q pdfcairo <<<"$terms"; then
    echo "gradplots: this gnuplot lacks the cairo terminals pngcairo/pdfcairo (install gnuplot-nox 5.x)" >&2
    exit 1
fi

variant=${GRADNORM_VARIANT:-naive}
seeds=${GRADNORM_SEEDS:-5}
clip=${GRADNORM_CLIP:-1}
layers=${GRADNORM_LAYERS:-8}
drho=${GRADNORM_DEPTH_RHO:-1}
cellsopt=${GRADNORM_CELLS:-all}
T=${GRADNORM_T:-50}
mkdir -p "$out" 2>/dev/null && [ -w "$out" ] || { echo "gradplots: cannot create or write $out" >&2; exit 1; }

# The machine and the date, for the titles.
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -1)
[ -n "$cpu" ] || cpu=$(uname -m)
cpu=$(printf '%s' "$cpu" | sed 's/([^)]*)//g; s/ CPU//; s/  */ /g; s/ @.*//' | tr -d "'\"")
host=$(uname -n | tr -d "'\"")
date=$(date -u +%Y-%m-%d)
machine="$host ($cpu), $date"

# Column numbers by name, so the figures follow the CSV, not a guess.
col() { head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1; }

run() { # OUTFILE ARGS...: one gradnorm run, its own line of progress
    local f=$1; shift
    local t0=$SECONDS
    # The depth run is the double reference's: no --variant there.
    local who=(--variant "$variant")
    case " $* " in *" --layers "*) who=() ;; esac
    if ! "$bin" gradnorm "${who[@]}" --seeds "$seeds" --T "$T" "$@" --out "$f"; then
        echo "gradplots: $bin gradnorm $* --out $f failed (its message is above)" >&2
        return 1
    fi
    echo "gradplots: $f ($((SECONDS - t0)) s)"
}

if [ "${GRADNORM_REUSE:-0}" = 1 ]; then
    for f in gradnorm gradnorm_clip1 gradnorm_lstm_fb0 gradnorm_lstm_fb1 gradnorm_depth; do
        [ -s "$out/$f.csv" ] || { echo "gradplots: GRADNORM_REUSE=1 but $out/$f.csv is missing" >&2; exit 2; }
    done
    variant=$(awk -F, -v c="$(col "$out/gradnorm.csv" variant)" 'NR == 2 { print $c }' "$out/gradnorm.csv")
    clip=$(awk -F, -v c="$(col "$out/gradnorm_clip1.csv" clip)" 'NR == 2 { print $c }' "$out/gradnorm_clip1.csv")
    if [ -s "$out/gradnorm_machine.txt" ]; then machine=$(cat "$out/gradnorm_machine.txt"); fi
else
echo "gradplots: running gradnorm ($variant, $seeds seeds) into $out ..."
# Two at a time: each run is one thread.
run "$out/gradnorm.csv" --cell "$cellsopt" &
p1=$!
run "$out/gradnorm_clip1.csv" --cell "$cellsopt" --clip "$clip" &
p2=$!
wait $p1
wait $p2
run "$out/gradnorm_lstm_fb0.csv" --cell lstm --rho 0.5,1,2 --forget-bias 0 &
p1=$!
run "$out/gradnorm_lstm_fb1.csv" --cell lstm --rho 0.5,1,2 --forget-bias 1 &
p2=$!
wait $p1
wait $p2
run "$out/gradnorm_depth.csv" --cell "$cellsopt" --layers "$layers" --rho "$drho"
printf '%s\n' "$machine" >"$out/gradnorm_machine.txt"
fi

csv=$out/gradnorm.csv
shape=$(awk -F, -v T="$(col "$csv" T)" -v N="$(col "$csv" N)" -v I="$(col "$csv" I)" -v H="$(col "$csv" H)" \
        -v S="$(col "$csv" seeds)" -v L="$(col "$csv" loss)" -v HD="$(col "$csv" head)" -v K="$(col "$csv" K)" \
        'NR == 2 { printf "T=%s N=%s I=%s H=%s, loss %s, %s head K=%s, %s seeds", $T, $N, $I, $H, $L, $HD, $K, $S }' "$csv")
rhos=$(awk -F, 'NR > 1 && !seen[$2]++ { printf "%s ", $2 }' "$csv")
cells=$(awk -F, 'NR > 1 && !seen[$1]++ { printf "%s ", $1 }' "$csv")

gp() { gnuplot -e "machine='$machine'" -e "variant='$variant'" -e "shape='$shape'" "$@"; }
gp -e "csv='$csv'" -e "rhos='$rhos'" -e "cells='$cells'" -e "ycol=$(col "$csv" dh_norm)" \
   -e "mincol=$(col "$csv" dh_min)" -e "maxcol=$(col "$csv" dh_max)" -e "clip=0" \
   -e "out='$out/fig_gradnorm'" "$here/gradnorm_cells.gp"
ccsv=$out/gradnorm_clip1.csv
gp -e "csv='$ccsv'" -e "rhos='$rhos'" -e "cells='$cells'" -e "ycol=$(col "$ccsv" dh_norm_clipped)" \
   -e "mincol=0" -e "maxcol=0" -e "clip=$clip" \
   -e "out='$out/fig_gradnorm_clip'" "$here/gradnorm_cells.gp"
f0=$out/gradnorm_lstm_fb0.csv
f1=$out/gradnorm_lstm_fb1.csv
gp -e "csv0='$f0'" -e "csv1='$f1'" -e "rhos='$(awk -F, 'NR > 1 && !seen[$2]++ { printf "%s ", $2 }' "$f0")'" \
   -e "hcol=$(col "$f0" dh_norm)" -e "ccol=$(col "$f0" dc_norm)" \
   -e "out='$out/fig_gradnorm_lstm_fb'" "$here/gradnorm_lstm.gp"

dcsv=$out/gradnorm_depth.csv
for c in layer dh_norm T; do
    [ -n "$(col "$dcsv" $c)" ] || { echo "gradplots: $dcsv has no column $c (not written by gradnorm --layers of this rnnbench)" >&2; exit 2; }
done
dshape=$(awk -F, -v T="$(col "$dcsv" T)" -v N="$(col "$dcsv" N)" -v I="$(col "$dcsv" I)" -v H="$(col "$dcsv" H)" \
        -v S="$(col "$dcsv" seeds)" -v L="$(col "$dcsv" loss)" -v HD="$(col "$dcsv" head)" -v K="$(col "$dcsv" K)" \
        'NR == 2 { printf "T=%s N=%s I=%s H=%s, loss %s, %s head K=%s, geometric mean of %s seeds", $T, $N, $I, $H, $L, $HD, $K, $S }' "$dcsv")
gnuplot -e "machine='$machine'" -e "shape='$dshape'" -e "csv='$dcsv'" \
   -e "cells='$(awk -F, 'NR > 1 && !seen[$1]++ { printf "%s ", $1 }' "$dcsv")'" \
   -e "rho='$(awk -F, 'NR == 2 { print $2 }' "$dcsv")'" \
   -e "ycol=$(col "$dcsv" dh_norm)" -e "lcol=$(col "$dcsv" layer)" \
   -e "out='$out/fig_gradnorm_depth'" "$here/gradnorm_depth.gp"

echo "gradplots: figures in $out:"
ls "$out"/fig_gradnorm*.png "$out"/fig_gradnorm*.pdf | sed 's/^/  /'
