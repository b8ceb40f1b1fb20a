#!/usr/bin/env bash
# install-deps.sh: the Debian packages rnnbench uses. As root it installs
# them; otherwise it prints the exact apt-get line to run, and what each
# missing package would add. Optional parts degrade with a message, never a
# broken build: see README.md, "Dependencies".
set -u
required=(gcc make libc6-dev)                 # the build itself
testing=(libcmocka-dev)                        # make check
neon=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)  # NEON variants, under qemu
optional=(pkg-config libhwloc-dev hwloc libdnnl-dev libopenblas-dev libbenchmark-dev g++ gnuplot-nox)
all=("${required[@]}" "${testing[@]}" "${neon[@]}" "${optional[@]}")

missing=()
for p in "${all[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi
echo "install-deps: missing: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        && echo "install-deps: installed ${missing[*]}" && exit 0
    echo "install-deps: apt-get failed" >&2
    exit 1
fi
echo "install-deps: not root; run:"
echo "  sudo apt-get install -y ${missing[*]}"
echo "Without them: no libcmocka-dev -> no 'make check'; no qemu/cross gcc -> NEON untested;"
echo "no libhwloc-dev -> no topology/binding report; no libdnnl-dev -> no onednn peer;"
echo "no libopenblas-dev -> no blas peer; no libbenchmark-dev -> no gbench; no gnuplot -> no plots."
exit 0
