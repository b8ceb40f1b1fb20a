#!/usr/bin/env bash
# install-deps.sh [--for bench|check]: the Debian packages rnnbench uses.
# As root it installs the missing ones (apt-get update, then apt-get install,
# non-interactively); otherwise it prints the exact apt-get line to run and
# what each missing package would add, and exits 0: the build degrades,
# never breaks (README.md, "Two commands").
#   --for bench   what `make bench` uses: the build, the peers, hwloc,
#                 Google Benchmark, gnuplot (not cmocka or the NEON tools)
#   --for check   what `make check` uses: everything
#   (none)        everything
# Exit status: 0 when everything is there, installed, or reported (not
# root); 1 when apt-get failed as root; 2 on a bad argument.
# RNNBENCH_ASSUME_MISSING="pkg ..." treats those packages as missing (to
# see the messages on a machine that has them).
set -u
purpose=all
case "${1:-}" in
    "") ;;
    --for) purpose=${2:-}; case $purpose in bench | check) ;; *) echo "install-deps: --for takes bench or check" >&2; exit 2 ;; esac ;;
    *) echo "usage: scripts/install-deps.sh [--for bench|check]" >&2; exit 2 ;;
esac

required=(gcc make libc6-dev)                 # the build itself
testing=(pkg-config libcmocka-dev)             # make check
neon=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)  # NEON variants, under qemu
optional=(pkg-config libhwloc-dev hwloc libdnnl-dev libopenblas-dev libbenchmark-dev g++ gnuplot-nox)
if [ "$purpose" = bench ]; then
    wanted=("${required[@]}" "${optional[@]}")
else
    wanted=("${required[@]}" "${testing[@]}" "${neon[@]}" "${optional[@]}")
fi

# What a missing package costs.
without() {
    case $1 in
        libcmocka-dev) echo "no 'make check' (the tests are cmocka programs)" ;;
        pkg-config) echo "cmocka and hwloc are not found even when installed" ;;
        gcc-aarch64-linux-gnu | libc6-dev-arm64-cross | qemu-user) echo "the NEON variants are not built or checked (make check counts that as a failure)" ;;
        libhwloc-dev | hwloc) echo "no topology or binding report" ;;
        libdnnl-dev) echo "no onednn peer" ;;
        libopenblas-dev) echo "no blas peer" ;;
        libbenchmark-dev | g++) echo "no build/rnnbench_gbench (make gbench)" ;;
        gnuplot-nox) echo "no plots" ;;
        *) echo "no build" ;;
    esac
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: not a Debian-like system (no dpkg-query/apt-get); install by hand the equivalents of:"
    echo "  ${wanted[*]}"
    exit 0
fi

missing=()
for p in "${wanted[@]}"; do
    case " ${missing[*]} " in *" $p "*) continue ;; esac   # listed twice (pkg-config)
    if [[ " ${RNNBENCH_ASSUME_MISSING:-} " == *" $p "* ]] ||
        ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present$([ "$purpose" = all ] || echo " for make $purpose")"
    exit 0
fi
echo "install-deps: missing: ${missing[*]}"
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    echo "install-deps: as root: apt-get update && $line"
    t0=$SECONDS
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
        echo "install-deps: installed ${#missing[@]} package(s) in $((SECONDS - t0)) s"
        exit 0
    fi
    echo "install-deps: apt-get failed (its message is above); nothing more was installed" >&2
    exit 1
fi
echo "install-deps: not root, so nothing installed. As root, run:"
echo "  apt-get update && $line"
echo "Until then the build goes on without them:"
for p in "${missing[@]}"; do printf '  %-24s %s\n' "$p:" "$(without "$p")"; done
exit 0
