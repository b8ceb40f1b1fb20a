#!/usr/bin/env bash
# test_plots.sh: make plots on the results directories a degraded machine
# produces, and its failures. Prints cmocka's summary lines, so
# tests/run-tests.sh counts these cases like those of the C tests.
#   RB_BIN   the rnnbench binary (the Makefile passes the one under test;
#            default build/rnnbench)
#
# The directories come from one tiny sweep, cut the way `make bench` on a
# machine without oneDNN and OpenBLAS leaves them:
#   - a fast variant at T 2 and 3, naive at T 2 only (the quick preset runs
#     naive on small shapes only, and without the peers naive is the last
#     variant of the list): the last variant has no curve at the largest
#     shape. This stopped make plots with exit 1 and no message.
#   - a parallel variant measured at 2 threads only: no 1-thread base for
#     the speedup figure.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${RB_BIN:-$root/build/rnnbench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnbench-test-plots.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

. "$root/tests/lib-cases.sh"

# The tiny sweep, once, and the two directories cut from it.
gnuplot_ok=0
command -v gnuplot >/dev/null 2>&1 && gnuplot_ok=1
fast=$("$bin" list 2>/dev/null | awk '($1 == "avx2" || $1 == "neon") && $NF == "runnable" { print $1; exit }')
make_dirs() {
    [ -n "$fast" ] || { echo "no avx2 or neon variant runs on this CPU"; return 77; }
    "$bin" sweep --cells lstm --variants "$fast,${fast}_omp_batch,naive" --T 2,3 --N 1 --H 4 \
        --threads 2 --reps 1 --warmup 0 --out "$tmp/sweep" >"$tmp/sweep.log" 2>&1 ||
        { cat "$tmp/sweep.log"; fail "the sweep failed"; return; }
    local csv=$tmp/sweep/results.csv d
    for d in nopeers nobase; do mkdir -p "$tmp/$d"; cp "$tmp/sweep/meta.json" "$tmp/$d/"; done
    # The last variant of the sorted list loses its largest-T point.
    local last
    last=$(printf '%s\n' "$fast" naive | sort | tail -1)
    awk -F, -v fast="$fast" -v last="$last" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
        ($c["variant"] == fast || $c["variant"] == "naive") && !($c["variant"] == last && $c["T"] == 3)' \
        "$csv" >"$tmp/nopeers/results.csv"
    awk -F, -v v="${fast}_omp_batch" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
        $c["variant"] == v' "$csv" >"$tmp/nobase/results.csv"
    [ "$(grep -c ',ok,' "$tmp/nopeers/results.csv")" = 3 ] || fail "expected 3 measured rows in nopeers"
}

# make plots RESULTS=DIR exits 0 and draws each of the named figures.
plots_draw() { # DIR FIGURE...
    local dir=$1 f rc; shift
    [ $gnuplot_ok = 1 ] || { echo "gnuplot not installed"; return 77; }
    [ -s "$dir/results.csv" ] || { echo "no results directory (the sweep was skipped)"; return 77; }
    make --no-print-directory -C "$root" plots RESULTS="$dir"
    rc=$?
    [ $rc = 0 ] || { fail "make plots RESULTS=$dir exited $rc"; return; }
    for f in "$@"; do
        [ -s "$dir/$f.png" ] || { fail "$dir/$f.png was not drawn"; return; }
        [ -s "$dir/$f.pdf" ] || { fail "$dir/$f.pdf was not drawn"; return; }
    done
    echo "drew $(ls "$dir"/*.png | wc -l) PNG"
}
test_plots_sweep_without_peers() {
    plots_draw "$tmp/nopeers" gflops_vs_h pct_peak step_time roofline  # serial only: no scaling figure
}
test_plots_no_one_thread_base() {
    plots_draw "$tmp/nobase" gflops_vs_h pct_peak step_time roofline scaling
}

# Networks: a tiny sweep over layers, modes and lengths draws the two
# network figures beside the others (whose curves keep to one layer, l2r,
# full length); results.csv of before the network columns still plots,
# without them.
test_plots_networks() {
    [ $gnuplot_ok = 1 ] || { echo "gnuplot not installed"; return 77; }
    local v=naive
    [ -n "$fast" ] && v="$fast,naive"
    "$bin" sweep --cells lstm --variants "$v" --T 3 --N 4 --H 4 --layers 1,2 --dirs l2r,bi_concat \
        --lengths full,random --passes infer --reps 1 --warmup 0 --out "$tmp/net" >"$tmp/net.log" 2>&1 ||
        { cat "$tmp/net.log"; fail "the network sweep failed"; return; }
    plots_draw "$tmp/net" gflops_vs_h step_time roofline layers_dirs varlen || return
    # the one-layer curves hold the one-layer rows alone: naive at H 4 has
    # one point (infer, T 3 N 4, l2r, full)
    [ "$(wc -l <"$tmp/net/plotdata/h_lstm_infer_naive.dat")" = 1 ] ||
        { fail "h_lstm_infer_naive.dat holds network rows"; return; }
    # naive runs every point: a curve of L = 1, 2 in both modes, and a pair
    # full/random in each (layers, mode)
    [ "$(wc -l <"$tmp/net/plotdata/lay_lstm_infer_bi_concat_naive.dat")" = 2 ] ||
        { fail "lay_lstm_infer_bi_concat_naive.dat is not L = 1, 2"; return; }
    [ "$(wc -l <"$tmp/net/plotdata/vl_infer_naive.dat")" = 4 ] || { fail "vl_infer_naive.dat is not 4 pairs"; return; }
    # both carry error bars: y within [ylow, yhigh], ylow > 0
    awk '!($3 > 0 && $3 <= $2 && $2 <= $4) { bad = 1 } END { exit bad }' \
        "$tmp/net/plotdata/lay_lstm_infer_bi_concat_naive.dat" "$tmp/net/plotdata/vl_infer_naive.dat" ||
        { fail "a network figure's data lack the interval (x y ylow yhigh)"; return; }
    # its x is sum(len)/(N*T) from the tokens column
    local want
    want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                    $(NF - 1) == "random" { printf "%.6g\n", $NF / 12; exit }' "$tmp/net/results.csv")
    [ "$(awk '{ print $1 }' "$tmp/net/plotdata/vl_infer_naive.dat" | sort -u)" = "$want" ] ||
        { fail "vl x is not tokens / (N*T) = $want"; return; }
    # a results.csv of before the network columns: the old figures only
    mkdir -p "$tmp/old"
    cp "$tmp/net/meta.json" "$tmp/old/"
    # (its 27 columns: the last 13, the measurement and network ones, hold
    # no commas, so a plain comma split cuts them off exactly)
    awk -F, 'NR == 1 { sub(/,ci_lo_ms,.*$/, ""); print; next }
             $(NF - 3) == 1 && $(NF - 2) == "l2r" && $(NF - 1) == "full" { sub(/(,[^,]*){13}$/, ""); print }' \
        "$tmp/net/results.csv" >"$tmp/old/results.csv"
    plots_draw "$tmp/old" gflops_vs_h step_time roofline || return
    [ ! -e "$tmp/old/layers_dirs.png" ] || fail "an old results.csv drew a network figure"
}

# A failure is loud: non-zero exit, and a line on stderr naming the problem.
fails_loudly() { # WANT_RC PATTERN DIR
    local err rc
    err=$(bash "$root/scripts/plots.sh" "$3" 2>&1 >/dev/null)
    rc=$?
    echo "exit $rc, stderr: $err"
    [ $rc = "$1" ] || { fail "exit $rc, wanted $1"; return; }
    grep -q "^plots: .*$2" <<<"$err" || fail "stderr does not say '$2'"
}
test_plots_empty_dir_fails_loudly() {
    mkdir -p "$tmp/empty"
    fails_loudly 2 "results.csv not found" "$tmp/empty"
}
test_plots_nothing_measured_fails_loudly() {
    [ $gnuplot_ok = 1 ] || { echo "gnuplot not installed"; return 77; }
    mkdir -p "$tmp/header_only"
    echo "host,date,variant,isa,parallel,cell,pass,T,N,I,H,G,threads,reps,median_ms,min_ms,max_ms,stddev_ms,gflops,gflops_deepbench,flops,ms_per_step,pct_peak,bytes_min,arith_intensity,status,binding" \
        >"$tmp/header_only/results.csv"
    fails_loudly 1 "no measured point" "$tmp/header_only"
}

echo "[==========] Running 6 test(s)."
case_ make_results_dirs make_dirs
case_ plots_sweep_without_peers test_plots_sweep_without_peers
case_ plots_no_one_thread_base test_plots_no_one_thread_base
case_ plots_networks test_plots_networks
case_ plots_empty_dir_fails_loudly test_plots_empty_dir_fails_loudly
case_ plots_nothing_measured_fails_loudly test_plots_nothing_measured_fails_loudly
cases_done
