#!/usr/bin/env bash
# torch-compare.sh BIN [NETGEN]: rnnbench's networks against PyTorch
# (`make torch-compare`; optional, not part of make check or CI).
# For every cell and each network below, saves one training run of
# rnnbench and compares it with scripts/torch-compare.py:
#   L=2 bi_concat, lengths 7,1,4,6 (mixed, unsorted, with 1 and T)
#   L=2 bi_sum and L=1 r2l, the same lengths
#   L=3 l2r, full length; L=1 l2r, full length (the plain single-layer names)
# at T=7 N=4 I=5 H=6. lstm, gru_lbr, rnn_tanh and rnn_relu meet nn.LSTM,
# nn.GRU and nn.RNN on a PackedSequence in l2r and bi_concat; the rest
# (and r2l, bi_sum) autograd on the written-out loop. Then proves the
# comparison fails on a saved gradient off by 1e-3 of its scale.
# The runs come from `BIN run --layers L --dir M --lengths LIST --pass train
# --save DIR` when this rnnbench's run takes --layers, else from NETGEN
# (tests/torch_netgen.c, the same float reference and seeds, the same
# files). Environment: TORCH_PYTHON (default /usr/bin/python3, Debian's
# python3-torch), TORCH_VARIANT (for run; default naive), TORCH_CELLS
# (default all seven).
# Exit 0: all agree; 1: a disagreement (listed); 2: bad use; 77: no torch.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-}
netgen=${2:-}
[ -n "$bin" ] && [ -x "$bin" ] || { echo "usage: scripts/torch-compare.sh BIN [NETGEN]   (or: make torch-compare)" >&2; exit 2; }
py=${TORCH_PYTHON:-/usr/bin/python3}
if ! "$py" -c 'import torch, numpy' 2>/dev/null; then
    echo "torch-compare: SKIPPED: $py cannot import torch and numpy (Debian: apt-get install python3-torch; or set TORCH_PYTHON)" >&2
    exit 77
fi
variant=${TORCH_VARIANT:-naive}
cells=${TORCH_CELLS:-lstm gru_lbr rnn_tanh rnn_relu gru rnn_sigmoid rnn_leaky}
T=7 N=4 I=5 H=6 seed=3 mixed=7,1,4,6
if "$bin" run --help 2>&1 | grep -q -- '--layers'; then
    source_="rnnbench run --variant $variant"
    save() { # DIR CELL L MODE LENGTHS
        "$bin" run --variant "$variant" --cell "$2" --layers "$3" --dir "$4" --lengths "$5" \
            --T $T --N $N --I $I --H $H --seed $seed --pass train --save "$1" >/dev/null
    }
else
    [ -n "$netgen" ] && [ -x "$netgen" ] || { echo "torch-compare: this rnnbench's run takes no --layers; give NETGEN (make torch-compare builds it)" >&2; exit 2; }
    source_="tests/torch_netgen.c (the float reference; run has no --layers yet)"
    save() { "$netgen" "$1" "$2" "$3" "$4" "$5" $T $N $I $H $seed; }
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnbench-torch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "torch-compare: runs from $source_; PyTorch from $py"

agree=0 failed=()
compare() { # NAME DIR CELL MODE
    local log=$tmp/$1.log rc
    "$py" "$here/torch-compare.py" "$2" "$3" --dir "$4" >"$log" 2>&1
    rc=$?
    if [ $rc = 0 ]; then agree=$((agree + 1))
        echo "  ok    $1 ($(sed -n '1s/.*; against //p' "$log")): $(tail -1 "$log" | sed 's/^torch-compare: //')"
    else failed+=("$1"); echo "  FAIL  $1 (exit $rc):"; sed 's/^/        /' "$log"; fi
}
for cell in $cells; do
    for cfg in "2 bi_concat $mixed" "2 bi_sum $mixed" "1 r2l $mixed" "3 l2r full" "1 l2r full"; do
        set -- $cfg
        name="$cell-L$1-$2-$3"
        if ! save "$tmp/$name" "$cell" "$1" "$2" "$3" 2>"$tmp/$name.err"; then
            failed+=("$name (the run failed: $(head -1 "$tmp/$name.err"))"); echo "  FAIL  $name: could not save the run: $(cat "$tmp/$name.err")"; continue
        fi
        compare "$name" "$tmp/$name" "$cell" "$2"
    done
done

# The comparison has teeth: one saved gradient off by 1e-3 of its scale.
teeth=$tmp/teeth
if save "$teeth" lstm 2 bi_concat "$mixed" 2>/dev/null; then
    "$py" - "$teeth/dweight_hh_l1_reverse.npy" <<'PY'
import sys, numpy as np
a = np.load(sys.argv[1]); a.flat[0] += 1e-3 * np.abs(a).max(); np.save(sys.argv[1], a)
PY
    if "$py" "$here/torch-compare.py" "$teeth" lstm --dir bi_concat >"$tmp/teeth.log" 2>&1; then
        failed+=("teeth: a perturbed dweight_hh_l1_reverse passed"); echo "  FAIL  a perturbed gradient passed the comparison"
    else
        agree=$((agree + 1)); echo "  ok    a perturbed dweight_hh_l1_reverse is caught: $(grep -c FAIL "$tmp/teeth.log") tensor(s) flagged"
    fi
fi
echo "torch-compare: ${agree} agree, ${#failed[@]} disagree"
[ ${#failed[@]} = 0 ] || { printf '  disagrees: %s\n' "${failed[@]}"; exit 1; }
