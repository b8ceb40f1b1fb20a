#!/usr/bin/env bash
# test_torch_compare.sh: scripts/torch-compare.py keeps its promises.
#   - without torch it skips with one clear line and exit 77 (a fake torch
#     module that fails to import stands in for a Python without it);
#   - bad input is exit 2 with a line naming the problem;
#   - with torch (Debian's python3-torch at /usr/bin/python3, or
#     TORCH_PYTHON): a one-layer lstm run saved by `rnnbench run --save`
#     agrees with nn.LSTM, and the same run with one gradient element off by
#     1e-3 of its scale makes it exit 1. Skipped, not passed, without torch.
# The networks are compared by `make torch-compare` (scripts/torch-compare.sh),
# outside make check. Prints cmocka's summary lines for tests/run-tests.sh.
#   RB_BIN   the rnnbench binary (default build/rnnbench)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${RB_BIN:-$root/build/rnnbench}
script=$root/scripts/torch-compare.py
py=${TORCH_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnbench-test-torch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

. "$root/tests/lib-cases.sh"
any_python() { command -v "$py" >/dev/null 2>&1 && echo "$py" || command -v python3; }
have_torch() { "$py" -c 'import torch, numpy' 2>/dev/null; }

test_skips_without_torch() {
    local p; p=$(any_python) || { echo "no python3 at all"; return 77; }
    mkdir -p "$tmp/fake"
    printf 'raise ImportError("No module named %s", name="torch")\n' "'torch'" >"$tmp/fake/torch.py"
    local err rc
    err=$(PYTHONPATH=$tmp/fake "$p" "$script" "$tmp" lstm 2>&1 >/dev/null); rc=$?
    echo "exit $rc: $err"
    [ $rc = 77 ] || { fail "exit $rc, wanted 77"; return; }
    grep -q "SKIPPED: .* is not installed" <<<"$err" || fail "stderr does not say what is missing"
}

test_bad_input() {
    have_torch || { echo "torch not installed for $py"; return 77; }
    local err rc
    err=$("$py" "$script" "$tmp/none" lstm 2>&1 >/dev/null); rc=$?
    echo "exit $rc: $err"
    [ $rc = 2 ] && grep -q "is not a directory" <<<"$err" || { fail "a missing DIR: exit $rc"; return; }
    mkdir -p "$tmp/empty"
    err=$("$py" "$script" "$tmp/empty" lstm 2>&1 >/dev/null); rc=$?
    echo "exit $rc: $err"
    [ $rc = 2 ] && grep -q "lacks x.npy" <<<"$err" || fail "an empty DIR: exit $rc"
}

test_lstm_agrees_and_perturbed_fails() {
    have_torch || { echo "torch not installed for $py"; return 77; }
    "$bin" run --cell lstm --T 5 --N 3 --I 4 --H 6 --pass train --save "$tmp/run" >/dev/null ||
        { fail "rnnbench run --save failed"; return; }
    "$py" "$script" "$tmp/run" lstm || { fail "a correct run does not agree"; return; }
    "$py" - "$tmp/run/dweight_hh.npy" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1]); a.flat[3] += 1e-3 * np.abs(a).max(); np.save(sys.argv[1], a)
PY
    local rc
    "$py" "$script" "$tmp/run" lstm >"$tmp/perturbed.out" 2>&1; rc=$?
    grep -E "FAIL|DISAGREES" "$tmp/perturbed.out"
    [ $rc = 1 ] || fail "a perturbed dweight_hh: exit $rc, wanted 1"
}

echo "[==========] Running 3 test(s)."
case_ torch_compare_skips_without_torch test_skips_without_torch
case_ torch_compare_bad_input test_bad_input
case_ torch_compare_lstm_agrees_and_perturbed_fails test_lstm_agrees_and_perturbed_fails
cases_done
