#!/usr/bin/env bash
# check-layers.sh [ROOT]: the floors of the tree hold. kernels/ includes
# nothing from variants/ or harness/, and variants/ nothing from harness/
# (each quoted #include is resolved against its file's folder, so
# "../../harness/x.h" and "x.h" are judged by where they land). Prints each
# violation as file:line: text and exits 1 if there is one.
#
# The checker is tested first: on a scratch tree with one planted upward
# include in each floor it must report exactly those two, or this fails.
set -u

# check_tree ROOT: print the violations under ROOT, one a line.
check_tree() {
    local root=$1 f dir line inc target floor
    (cd "$root" && find kernels variants -type f \( -name '*.c' -o -name '*.h' -o -name '*.inc' \) | sort) |
    while IFS= read -r f; do
        dir=$(dirname "$f")
        floor=${f%%/*}
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$root/$f" | while IFS= read -r line; do
            inc=$(printf '%s\n' "$line" | sed 's/^[0-9]*:[^"]*"\([^"]*\)".*/\1/')
            target=$(realpath -m --relative-to="$root" "$root/$dir/$inc")
            case "$floor:${target%%/*}" in
                kernels:variants|kernels:harness|variants:harness)
                    printf '%s:%s\n' "$f" "$line" ;;
            esac
        done
    done
}

# Self-test: a scratch tree with one violation per floor and one legal include.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/kernels/a" "$scratch/variants/b" "$scratch/harness"
printf '#include "../../harness/x.h"\n#include "../rnn.h"\n' >"$scratch/kernels/a/k.c"
printf '#include "../../kernels/rnn.h"\n  #  include "../../harness/tensors.h"\n' >"$scratch/variants/b/v.inc"
planted=$(check_tree "$scratch" | wc -l)
if [ "$planted" -ne 2 ]; then
    echo "check-layers: FAILED self-test: found $planted of the 2 planted upward includes"
    exit 1
fi

root=${1:-.}
bad=$(check_tree "$root")
if [ -n "$bad" ]; then
    printf 'check-layers: upward include (kernels/ must not include variants/ or harness/, variants/ not harness/):\n%s\n' "$bad"
    exit 1
fi
echo "check-layers: ok (kernels/ and variants/ include nothing from the floors above)"
