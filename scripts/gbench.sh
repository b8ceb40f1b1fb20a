#!/usr/bin/env bash
# gbench.sh BIN [ARGS...]: what `make gbench` runs: the Google Benchmark
# wrapper (harness/gbench.cc), console output on the terminal and the full
# JSON (results, machine context: topology, ISA, measured peak, binding) in
# results/gbench-<host>-<YYYYmmdd-HHMMSS>.json.
#
# Extra Google Benchmark options come from the arguments or GBENCH_ARGS,
# e.g. a filter:
#   make gbench GBENCH_ARGS='--benchmark_filter=lstm/infer/'
#   GBENCH_ARGS='--benchmark_filter=naive' bash scripts/gbench.sh build/rnnbench_gbench
set -uo pipefail
bin=${1:?usage: gbench.sh BIN [google-benchmark options]}
shift
[ -x "$bin" ] || { echo "gbench: $bin not found (make gbench builds it)" >&2; exit 2; }
host=$(hostname 2>/dev/null || echo host)
host=${host//[\/ ,]/_}
mkdir -p results
out=results/gbench-$host-$(date +%Y%m%d-%H%M%S).json
# shellcheck disable=SC2086 # GBENCH_ARGS is a list of options
"$bin" --benchmark_out="$out" --benchmark_out_format=json ${GBENCH_ARGS:-} "$@"
rc=$?
if [ $rc -ne 0 ]; then
    echo "gbench: $bin failed (exit $rc); partial JSON, if any, in $out" >&2
    exit $rc
fi
echo "gbench: JSON written to $out"
