#!/usr/bin/env bash
# bench.sh BIN: what `make bench` runs.
#   1. say what this build lacks (hwloc, oneDNN, BLAS) and whether gnuplot
#      is there for the plots;
#   2. `BIN check`: refuse to benchmark (exit 1) if any variant disagrees
#      with the double reference: a fast wrong answer is not a result;
#   3. `BIN sweep --preset quick` into a new results/<host>-<date>/;
#   4. `make plots RESULTS=DIR` when gnuplot is installed (else say how);
#      plots that fail make the bench exit 1 at the end, after the table
#      (the results themselves are complete);
#   5. where everything is, and a short table from results.csv: per cell and
#      pass, at the largest quick shape and the most threads, the best of
#      our variants against the library peers onednn and blas, as ratios
#      with their intervals, and its pct_bound.
# Extra arguments go to the sweep (e.g. --cells lstm); BENCH_OUT=DIR picks
# the results directory.
set -uo pipefail
bin=${1:?usage: bench.sh BIN [sweep options]}
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

say() { printf '%s\n' "$*"; }
hr() { say "------------------------------------------------------------------------"; }

[ -x "$bin" ] || { say "bench: $bin not found or not executable (run make first)" >&2; exit 2; }

# ---- 1. what is missing ----
hr
say "bench: what this build has"
libs=$(ldd "$bin" 2>/dev/null || true)
missing=0
have() { # NAME PATTERN HOWTO
    if grep -q "$2" <<<"$libs"; then say "  $1: yes"
    else say "  $1: MISSING ($3)"; missing=1; fi
}
have "hwloc   (topology, binding report)" libhwloc "as root: apt-get install libhwloc-dev, or make bench as root installs it"
have "oneDNN  (the onednn peer)         " libdnnl "as root: apt-get install libdnnl-dev, or make bench as root installs it"
have "BLAS    (the blas peer)           " 'libopenblas\|libblas\|libmkl' "as root: apt-get install libopenblas-dev, or make bench as root installs it"
if command -v gnuplot >/dev/null 2>&1; then
    say "  gnuplot (the plots)               : yes"
    have_gnuplot=1
else
    say "  gnuplot (the plots)               : MISSING (apt-get install gnuplot-nox; the bench runs, the plots are skipped)"
    have_gnuplot=0
fi
[ $missing = 1 ] && say "  (the sweep lists the variants it cannot run as skipped rows, with the reason)"

# ---- 2. agreement first ----
hr
say "bench: $bin check (every runnable variant against the double reference)"
if ! "$bin" check; then
    hr
    say "bench: REFUSING to benchmark: a variant disagrees with the reference (see above)."
    say "       Fix it, or leave it out of the build, then run make bench again."
    exit 1
fi

# ---- 3. the sweep ----
hr
host=$(hostname 2>/dev/null || echo host)
host=${host//[\/ ,]/_}
dir=${BENCH_OUT:-results/$host-$(date +%Y%m%d-%H%M%S)}
say "bench: $bin sweep --preset quick --out $dir $*"
"$bin" sweep --preset quick --out "$dir" "$@"
rc=$?
if [ $rc -ne 0 ]; then
    if [ $rc -ge 128 ]; then
        say "bench: sweep interrupted; finished points are in $dir/results.csv"
        say "       resume with: $bin sweep --resume $dir"
    else
        say "bench: sweep failed (exit $rc)"
    fi
    exit $rc
fi
csv=$dir/results.csv

# ---- 4. plots ----
hr
plots="(none)"
plots_failed=0
if [ $have_gnuplot = 1 ]; then
    if make --no-print-directory -C "$root" plots RESULTS="$(cd "$dir" && pwd)"; then
        plots="$dir/*.png, $dir/*.pdf"
    else
        say "bench: make plots FAILED (see above); the results themselves are complete"
        plots="FAILED (make plots RESULTS=$dir says why)"
        plots_failed=1
    fi
else
    say "bench: gnuplot not found: no plots. Install it (apt-get install gnuplot-nox), then:"
    say "       make plots RESULTS=$dir"
fi

# ---- 5. where, and a short table ----
hr
say "results: $csv"
say "meta:    $dir/meta.json"
say "plots:   $plots"
errors=$(awk -F, 'NR > 1 && /,"?error: /' "$csv" | wc -l)
skipped=$(awk -F, 'NR > 1 && /,"?skipped: /' "$csv" | wc -l)
[ "$errors" -gt 0 ] && say "WARNING: $errors point(s) ended in error: grep error $csv"
[ "$skipped" -gt 0 ] && say "note: $skipped point(s) skipped (the status column says why)"
hr
# The summary: per cell and pass, at the largest shape (H, then N, then T)
# and the most threads, the best of our variants (the lowest median time;
# serial variants compete with their 1-thread point) against the library
# peers onednn and blas. ratio = peer's median / ours (above 1: ours is
# faster); its interval: the extreme combinations of the two intervals of
# the medians (results.csv ci_lo_ms..ci_hi_ms), [peer lo / our hi, peer hi
# / our lo], so it holds whenever both intervals do. pct_bound: how close
# our best comes to the measured bound (README "How rnnbench measures").
# The table is of one layer, l2r, full length: the network columns (read
# by name) leave the other rows to the network table below.
source "$here/lib-results.sh"
summary_table() { # CSV
    csv_tsv "$1" > "$1.tsv.tmp"
    awk -F'\t' '
    FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; pass++; next }
    $c["status"] != "ok" { next }
    ("tokens" in c) && ($c["layers"] != 1 || $c["dir"] != "l2r" || $c["lengths"] != "full") { next }
    {
        k = $c["cell"] " " $c["pass"]; H = $c["H"] + 0; N = $c["N"] + 0; T = $c["T"] + 0; th = $c["threads"] + 0
        big = (H > bH[k]) || (H == bH[k] && (N > bN[k] || (N == bN[k] && T > bT[k])))
    }
    pass == 1 {
        if (!(k in bH) || big) { bH[k] = H; bN[k] = N; bT[k] = T; bth[k] = 0 }
        if (H == bH[k] && N == bN[k] && T == bT[k] && th > bth[k]) bth[k] = th
        next
    }
    H != bH[k] || N != bN[k] || T != bT[k] { next }
    {
        m = $c["median_ms"] + 0; v = $c["variant"]
        lo = ("ci_lo_ms" in c) ? $c["ci_lo_ms"] + 0 : m; hi = ("ci_hi_ms" in c) ? $c["ci_hi_ms"] + 0 : m
        if (v == "onednn" && th == bth[k]) { om[k] = m; ol[k] = lo; oh[k] = hi }
        else if (v == "blas" && th == bth[k]) { lm[k] = m; ll[k] = lo; lh[k] = hi }
        else if ($c["isa"] != "library" && (th == bth[k] || $c["parallel"] == "serial") && (!(k in bm) || m < bm[k])) {
            bm[k] = m; bl[k] = lo; bh[k] = hi; bg[k] = $c["gflops"] + 0
            bp[k] = ("pct_bound" in c) ? $c["pct_bound"] : ""
            bv[k] = v (th == bth[k] ? "" : " (" th " thr)")
        }
    }
    function ratio(k, pm, pl, ph) {
        if (!(k in bm) || !(pm > 0)) return "-"
        return sprintf("%.2f [%.2f, %.2f]", pm / bm[k], pl / bh[k], ph / bl[k])
    }
    END {
        printf "%-11s %-7s %-24s %-22s %8s %6s  %-19s %-19s\n", "cell", "pass", "shape (threads)", "best of ours",
               "GFLOP/s", "%bound", "onednn/ours", "blas/ours"
        n = 0
        for (k in bH) keys[++n] = k
        for (i = 2; i <= n; i++) { v = keys[i]; j = i - 1; while (j > 0 && keys[j] > v) { keys[j + 1] = keys[j]; j-- } keys[j + 1] = v }
        for (i = 1; i <= n; i++) {
            k = keys[i]; split(k, cp, " ")
            printf "%-11s %-7s %-24s %-22s %8s %6s  %-19s %-19s\n", cp[1], cp[2],
                   sprintf("T=%d N=%d H=%d (%d)", bT[k], bN[k], bH[k], bth[k]),
                   (k in bv ? bv[k] : "-"), (k in bg ? sprintf("%.1f", bg[k]) : "-"),
                   (k in bp && bp[k] != "" ? sprintf("%.0f", bp[k]) : "-"),
                   ratio(k, om[k], ol[k], oh[k]), ratio(k, lm[k], ll[k], lh[k])
        }
        print "ratio = the peer'"'"'s median time / ours (above 1: rnnbench is faster) [interval: peer lo / our hi,"
        print "  peer hi / our lo, from each median'"'"'s interval, results.csv ci_lo_ms..ci_hi_ms]; %bound = 100 *"
        print "  bound_ms / our median (bound.h); GFLOP/s: benchdnn GEMM count, median; I = H. Variants take"
        print "  turns at each point, the points run in a random order (meta.json order.seed)."
    }' "$1.tsv.tmp" "$1.tsv.tmp"
    rm -f "$1.tsv.tmp"
}
summary_table "$csv"
noisy=$(csv_tsv "$csv" | awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                                   ("noisy" in c) && $c["noisy"] == 1 { n++ } END { print n + 0 }')
[ "$noisy" -gt 0 ] && say "note: $noisy point(s) spread more than 5% (column noisy): the machine was not quiet"
hr
# Networks at H >= 256 (the GNMT, DeepSpeech2-like and variable-length
# shapes of the presets): the best of ours at the most threads, in GFLOP/s
# (over the real steps) and microseconds per token, and what onednn did.
csv_tsv "$csv" | awk -F'\t' '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; if (!("tokens" in c)) exit; next }
{
    L = $c["layers"]; d = $c["dir"]; len = $c["lengths"]
    if ((L == 1 && d == "l2r" && len == "full") || $c["H"] + 0 < 256) next
    k = sprintf("%s %s L=%d %s %s T=%d N=%d H=%d", $c["cell"], $c["pass"], L, d, len, $c["T"], $c["N"], $c["H"])
    seen[k] = 1; th = $c["threads"] + 0
    if ($c["variant"] == "onednn") {
        st = $c["status"]
        od[k] = st == "ok" ? sprintf("%.1f", $c["gflops"]) : (st ~ /^skipped: / ? st : "error")
        next
    }
    if ($c["status"] != "ok" || $c["isa"] == "library") next
    g = $c["gflops"] + 0
    if (th > bth[k] || (th == bth[k] && g > bg[k])) {
        bth[k] = th; bg[k] = g; bv[k] = $c["variant"]; us[k] = 1000 * $c["median_ms"] / $c["tokens"]
    }
}
END {
    n = 0
    for (k in seen) keys[++n] = k
    if (n == 0) exit
    for (i = 2; i <= n; i++) { v = keys[i]; j = i - 1; while (j > 0 && keys[j] > v) { keys[j + 1] = keys[j]; j-- } keys[j + 1] = v }
    printf "%-52s %-20s %8s %9s  %s\n", "network", "best of ours (thr)", "GFLOP/s", "us/token", "onednn"
    for (i = 1; i <= n; i++) {
        k = keys[i]
        printf "%-52s %-20s %8s %9s  %s\n", k, (k in bv ? bv[k] " (" bth[k] ")" : "-"),
               (k in bg ? sprintf("%.1f", bg[k]) : "-"), (k in us ? sprintf("%.2f", us[k]) : "-"), (k in od ? od[k] : "-")
    }
    print "Networks: GFLOP/s over the real steps (tokens); random = lengths uniform in [1, T] (results.csv lengths, tokens)."
}'
hr
if [ $plots_failed = 1 ]; then
    say "bench: FAILED to draw the plots (see above); the results are in $csv"
    exit 1
fi
