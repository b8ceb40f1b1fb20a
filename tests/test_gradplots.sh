#!/usr/bin/env bash
# test_gradplots.sh: make gradplots draws its figures, the depth heat map
# (fig_gradnorm_depth) among them, from a tiny run, and fails loudly when
# the depth CSV is missing or lacks its layer column. Prints cmocka's
# summary lines, so tests/run-tests.sh counts these cases like those of the
# C tests.
#   RB_BIN   the rnnbench binary (default build/rnnbench)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${RB_BIN:-$root/build/rnnbench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnbench-test-gradplots.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

. "$root/tests/lib-cases.sh"
have_gnuplot() { command -v gnuplot >/dev/null 2>&1 && gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; }

# The tiny run: two cells, T = 6, one seed, 3 layers.
tiny() { # OUTDIR [ENV...]
    local d=$1; shift
    env GRADNORM_CELLS=rnn_tanh,lstm GRADNORM_T=6 GRADNORM_SEEDS=1 GRADNORM_LAYERS=3 "$@" \
        bash "$root/scripts/gradplots.sh" "$bin" "$d"
}
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
is_pdf() { [ "$(head -c 5 "$1")" = "%PDF-" ]; }

test_draws_depth_heat_map() {
    have_gnuplot || { echo "gnuplot with pngcairo not installed"; return 77; }
    tiny "$tmp/g" || { fail "gradplots exited $?"; return; }
    local f
    for f in fig_gradnorm fig_gradnorm_clip fig_gradnorm_lstm_fb fig_gradnorm_depth; do
        is_png "$tmp/g/$f.png" || { fail "$f.png is not a PNG"; return; }
        is_pdf "$tmp/g/$f.pdf" || { fail "$f.pdf is not a PDF"; return; }
    done
    # A row per (cell, layer, k): 2 x 3 x 6, the layer column 0..2.
    local csv=$tmp/g/gradnorm_depth.csv
    head -1 "$csv" | tr ',' '\n' | grep -qx layer || { fail "no layer column in $csv"; return; }
    [ "$(($(wc -l <"$csv") - 1))" = 36 ] || { fail "$csv has $(($(wc -l <"$csv") - 1)) rows, wanted 36"; return; }
    [ "$(awk -F, 'NR > 1 { print $NF }' "$csv" | sort -u | tr '\n' ' ')" = "0 1 2 " ] ||
        { fail "layers in $csv are not 0 1 2"; return; }
    echo "fig_gradnorm_depth.png: $(stat -c %s "$tmp/g/fig_gradnorm_depth.png") bytes"
}

test_reuse_without_depth_csv_fails() {
    have_gnuplot || { echo "gnuplot with pngcairo not installed"; return 77; }
    [ -s "$tmp/g/gradnorm_depth.csv" ] || { echo "no tiny run (skipped above)"; return 77; }
    mkdir -p "$tmp/r" && cp "$tmp/g"/*.csv "$tmp/r/" && rm "$tmp/r/gradnorm_depth.csv"
    local err rc
    err=$(tiny "$tmp/r" GRADNORM_REUSE=1 2>&1 >/dev/null); rc=$?
    echo "exit $rc: $err"
    [ $rc = 2 ] || { fail "exit $rc, wanted 2"; return; }
    grep -q "gradnorm_depth.csv is missing" <<<"$err" || fail "stderr does not name gradnorm_depth.csv"
}

test_depth_csv_without_layer_column_fails() {
    have_gnuplot || { echo "gnuplot with pngcairo not installed"; return 77; }
    [ -s "$tmp/g/gradnorm_depth.csv" ] || { echo "no tiny run (skipped above)"; return 77; }
    mkdir -p "$tmp/n" && cp "$tmp/g"/*.csv "$tmp/n/"
    sed -i 's/,layer$/,lair/' "$tmp/n/gradnorm_depth.csv"
    local err rc
    err=$(tiny "$tmp/n" GRADNORM_REUSE=1 2>&1 >/dev/null); rc=$?
    echo "exit $rc: $err"
    [ $rc != 0 ] || { fail "exit 0 on a depth CSV without its layer column"; return; }
    grep -q "^gradplots: .*layer" <<<"$err" || fail "stderr does not say the layer column is missing"
    [ ! -e "$tmp/n/fig_gradnorm_depth.png" ] || fail "a depth figure was drawn anyway"
}

echo "[==========] Running 3 test(s)."
case_ gradplots_draws_depth_heat_map test_draws_depth_heat_map
case_ gradplots_reuse_without_depth_csv_fails test_reuse_without_depth_csv_fails
case_ gradplots_depth_csv_without_layer_column_fails test_depth_csv_without_layer_column_fails
cases_done
