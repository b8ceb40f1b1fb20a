#!/usr/bin/env bash
# fresh-machine-test.sh [DIR]: what a newcomer meets on a fresh Debian 12
# machine, for real. It builds one: `debootstrap --variant=minbase bookworm`
# into DIR (default a new /var/tmp/rnnbench-fresh.XXXXXX), with this
# machine's Debian mirror and apt configuration (proxy included), then
# build-essential and git, and a clone of this repository at its current
# commit in /src/rnnbench. Then, in a chroot with /proc, /sys and /dev bound:
#   1. as nobody, before anything else is installed: `make check` must print
#      the apt-get line and fail with "cmocka not found" (the degraded path);
#   2. as root: `make bench` (it installs the packages it needs, then builds,
#      checks, sweeps and plots);
#   3. as root: `make check`.
# It asserts that the onednn and blas peers were measured (rows with status
# ok in results.csv, none skipped), that the plots were drawn, and that the
# tests passed ("N passed, 0 failed"), then prints a summary: the peers, the
# plots, the test tally and the time of each step.
#
# Exit status: 0 passed; 1 failed; 77 skipped, with the reason, where this
# machine cannot build the root filesystem (not root, the Debian mirror
# unreachable, debootstrap not installable, no bind mounts).
# Everything mounted under DIR is unmounted on exit, failure included; DIR
# is then removed unless FRESH_KEEP=1. Full logs, results.csv and the plots
# stay in DIR.logs/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
SKIP=77
t_start=$SECONDS

say() { printf 'fresh-machine: %s\n' "$*"; }
skip() { say "SKIPPED: $*"; exit $SKIP; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, bind mounts); run it as root, as CI does"
command -v git >/dev/null || skip "git is not installed on this machine (apt-get install git)"
commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null) || skip "$repo is not a git repository: nothing to clone"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    say "note: $repo has uncommitted changes; the test clones commit ${commit:0:12} without them"
fi

# ---- this machine's Debian mirror: the first deb source of bookworm ----
mirror_from_apt() {
    local f u
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        # deb [options] URI SUITE COMPONENTS...
        u=$(awk '$1 == "deb" { i = 2
                    if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                    if ($(i + 1) == "bookworm") { print $i; exit } }' "$f")
        [ -n "$u" ] && { echo "$u"; return; }
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        # deb822 paragraphs: Types, URIs, Suites (Enabled: no is skipped)
        u=$(awk 'BEGIN { RS = ""; FS = "\n" }
                 { ty = su = ur = ""; en = "yes"
                   for (i = 1; i <= NF; i++) {
                       if ($i ~ /^Types:/) ty = $i; else if ($i ~ /^Suites:/) su = $i
                       else if ($i ~ /^URIs:/) ur = $i; else if ($i ~ /^Enabled:/) en = $i }
                   if ((ty " ") ~ /[ \t]deb[ \t]/ && (su " ") ~ /[ \t]bookworm[ \t]/ && en !~ /no/) {
                       sub(/^URIs:[ \t]*/, "", ur); split(ur, a, /[ \t]+/); print a[1]; exit } }' "$f")
        [ -n "$u" ] && { echo "$u"; return; }
    done
}
mirror=$(mirror_from_apt)
if [ -z "$mirror" ]; then
    mirror=http://deb.debian.org/debian
    say "note: no bookworm source in /etc/apt; using $mirror"
fi
mirror=${mirror%/}

# apt's proxy, for debootstrap (which downloads with wget, not apt).
if [ -z "${http_proxy:-}" ] && command -v apt-config >/dev/null; then
    eval "$(apt-config shell http_proxy Acquire::http::Proxy https_proxy Acquire::https::Proxy)"
    [ -n "${http_proxy:-}" ] && export http_proxy && say "apt's proxy: $http_proxy"
    [ -n "${https_proxy:-}" ] && export https_proxy
fi

# Can this machine reach the mirror? (apt-helper uses apt's own settings.)
probe=$(mktemp -d /tmp/rnnbench-fresh-probe.XXXXXX)
chmod 755 "$probe"
if ! timeout 60 /usr/lib/apt/apt-helper download-file "$mirror/dists/bookworm/Release" "$probe/Release" >"$probe/log" 2>&1; then
    why=$(grep -v '^$' "$probe/log" | tail -2 | tr '\n' ' ')
    rm -rf "$probe"
    skip "cannot reach the Debian mirror $mirror ($why)"
fi
rm -rf "$probe"
say "mirror: $mirror (reachable)"

if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap on this machine (apt-get install debootstrap)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
        skip "debootstrap is not installed and apt-get install debootstrap failed"
fi

# ---- the root filesystem, and the cleanup that always runs ----
if [ $# -ge 1 ]; then
    root=$1
    [ ! -e "$root" ] || [ -z "$(ls -A "$root")" ] || fail "$root exists and is not empty"
    mkdir -p "$root"
else
    root=$(mktemp -d /var/tmp/rnnbench-fresh.XXXXXX)
fi
root=$(cd "$root" && pwd)
chmod 755 "$root"   # mktemp's 0700 would lock nobody out of the chroot's /
logs=$root.logs
mkdir -p "$logs"

mounts_under() { awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r; }
cleanup() {
    local rc=$? m
    for m in $(mounts_under); do umount "$m" 2>/dev/null || umount -l "$m" || say "WARNING: could not unmount $m"; done
    if [ -n "$(mounts_under)" ]; then
        say "WARNING: still mounted under $root, not removing it: $(mounts_under | tr '\n' ' ')"
    elif [ "${FRESH_KEEP:-0}" = 1 ]; then
        say "kept $root (FRESH_KEEP=1)"
    else
        rm -rf --one-file-system "$root"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step_names=() step_secs=()
# step NAME LOGNAME COMMAND...: runs it with its output in LOGS/LOGNAME.log,
# shows the last lines, and records how long it took. Returns its status.
step() {
    local name=$1 log=$logs/$2.log t0=$SECONDS rc; shift 2
    say "== $name =="
    "$@" >"$log" 2>&1
    rc=$?
    step_names+=("$name"); step_secs+=($((SECONDS - t0)))
    tail -n "${FRESH_TAIL:-25}" "$log" | sed 's/^/  | /'
    say "$name: exit $rc in $((SECONDS - t0)) s (full log: $log)"
    return $rc
}

# 1. debootstrap
include=()
if cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -v '^[[:space:]]*#' | grep -q 'https://'; then
    include=(--include=ca-certificates)
fi
step "debootstrap --variant=minbase bookworm" debootstrap \
    debootstrap --variant=minbase "${include[@]}" bookworm "$root" "$mirror" ||
    fail "debootstrap failed (the mirror was reachable): see $logs/debootstrap.log"

# apt inside works the way it does here: the same sources, keyrings they
# name, proxy and other Acquire settings; name resolution.
rm -f "$root/etc/apt/sources.list"   # debootstrap's, replaced by this machine's
cp -a /etc/apt/sources.list* "$root/etc/apt/" 2>/dev/null
for k in $(grep -rhos 'Signed-By:[[:space:]]*/[^[:space:]]*\|signed-by=/[^] ]*' /etc/apt/sources.list /etc/apt/sources.list.d/ |
           sed 's/^[^/]*//' | sort -u); do
    [ -e "$root$k" ] || [ ! -r "$k" ] || { mkdir -p "$root$(dirname "$k")"; cp -a "$k" "$root$k"; }
done
[ -d /etc/apt/trusted.gpg.d ] && cp -an /etc/apt/trusted.gpg.d/. "$root/etc/apt/trusted.gpg.d/" 2>/dev/null
[ -f /etc/apt/apt.conf ] && cp -a /etc/apt/apt.conf "$root/etc/apt/"
for f in /etc/apt/apt.conf.d/*; do
    grep -qis 'proxy\|Acquire::' "$f" && cp -a "$f" "$root/etc/apt/apt.conf.d/"
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
cp -L /etc/hosts "$root/etc/hosts" 2>/dev/null

for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    mount --bind "/$m" "$root/$m" || skip "cannot bind-mount /$m into the chroot (a container without CAP_SYS_ADMIN?)"
done

# Commands inside: a clean environment, as a login would give.
env_in=(/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        HOME=/root LANG=C.UTF-8 TERM=dumb)
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -n "${!v:-}" ] && env_in+=("$v=${!v}")
done
in_root() { chroot "$root" "${env_in[@]}" /bin/bash -c "$1"; }
as_nobody() { chroot --userspec=nobody:nogroup "$root" "${env_in[@]}" HOME=/tmp /bin/bash -c "$1"; }

# 2. build-essential and git: all the README asks a newcomer to have
step "apt-get install build-essential git" base \
    in_root 'export DEBIAN_FRONTEND=noninteractive; apt-get update && apt-get install -y --no-install-recommends build-essential git' ||
    fail "apt-get inside the chroot failed: see $logs/base.log"

# 3. the clone, at this commit
mkdir -p "$root/src"
git clone -q --no-hardlinks "$repo" "$root/src/rnnbench" && git -C "$root/src/rnnbench" checkout -q --detach "$commit" ||
    fail "git clone of $repo into the chroot failed"
chmod -R a+rX "$root/src"
say "clone: /src/rnnbench at ${commit:0:12}"

# 4. not root: make check says what is missing, with the apt-get line, and fails
step "make check as nobody (nothing installed yet)" nonroot as_nobody 'cd /src/rnnbench && make check'
nonroot_rc=$?
nonroot_ok=1
[ $nonroot_rc -ne 0 ] || { say "make check as nobody passed without cmocka"; nonroot_ok=0; }
grep -q 'apt-get update && apt-get install -y --no-install-recommends .*libcmocka-dev' "$logs/nonroot.log" ||
    { say "make check as nobody did not print the apt-get line"; nonroot_ok=0; }
grep -q 'make check: cannot build the tests: cmocka not found' "$logs/nonroot.log" ||
    { say "make check as nobody did not say that cmocka is missing"; nonroot_ok=0; }

# 5. as root: make bench, then make check, exactly as the README says
step "make bench" bench in_root 'cd /src/rnnbench && BENCH_OUT=results/fresh make bench'
bench_rc=$?
step "make check" check in_root 'cd /src/rnnbench && make check'
check_rc=$?

# ---- what was measured, drawn and passed ----
out=$root/src/rnnbench/results/fresh
cp -a "$out" "$logs/results" 2>/dev/null
csv=$out/results.csv
problems=()
[ $nonroot_ok = 1 ] || problems+=("the non-root make check (see $logs/nonroot.log)")
[ $bench_rc = 0 ] || problems+=("make bench exited $bench_rc")
peers_line=""
for p in onednn blas; do
    # skipped rows of networks are findings (onednn has no variable
    # lengths), not a peer that failed: those of one layer, l2r, full
    # length count (the network columns are read from the end of the line)
    read -r ok skipped errors < <(awk -F, -v v="$p" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; nc = NF; next }
        ("tokens" in c) && ($(NF - nc + c["layers"]) != 1 || $(NF - nc + c["dir"]) != "l2r" ||
                            $(NF - nc + c["lengths"]) != "full") { next }
        $c["variant"] == v { if ($c["status"] == "ok") o++; else if ($c["status"] ~ /^"?skipped/) s++; else e++ }
        END { print o + 0, s + 0, e + 0 }' "$csv" 2>/dev/null || echo "0 0 0")
    ok=${ok:-0} skipped=${skipped:-0} errors=${errors:-0}
    if [ "$ok" -gt 0 ] && [ "$skipped" = 0 ] && [ "$errors" = 0 ]; then
        peers_line+="$p measured ($ok points); "
    else
        peers_line+="$p NOT measured ($ok ok, $skipped skipped, $errors errors); "
        problems+=("the $p peer was not measured")
    fi
done
figures=(gflops_vs_h pct_peak step_time scaling roofline layers_dirs varlen)
npng=$(ls "$out"/*.png 2>/dev/null | wc -l)
for f in "${figures[@]}"; do
    [ -s "$out/$f.png" ] || problems+=("$f.png was not drawn")
done
tally=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logs/check.log" 2>/dev/null | tail -1)
if [ $check_rc != 0 ] || ! grep -qE '^[0-9]+ passed, 0 failed' <<<"$tally"; then
    problems+=("make check: exit $check_rc, tally '${tally:-none}'")
fi
installed=$(grep -h 'install-deps: installed' "$logs/bench.log" "$logs/check.log" 2>/dev/null | sed 's/^install-deps: //' | paste -sd ';' | sed 's/;/; /g')

times=""
for i in "${!step_names[@]}"; do times+="${step_names[$i]}: ${step_secs[$i]} s; "; done
echo
say "== summary =="
echo "  root fs:  Debian bookworm minbase from $mirror; clone at ${commit:0:12}"
echo "  non-root: make check as nobody exited $nonroot_rc, printed the apt-get line: $([ $nonroot_ok = 1 ] && echo yes || echo NO)"
echo "  installs: ${installed:-none reported}"
echo "  peers:    ${peers_line%; }"
echo "  plots:    $npng PNG in results/fresh ($(cd "$out" 2>/dev/null && ls -- *.png 2>/dev/null | tr '\n' ' '))"
echo "  tests:    ${tally:-no tally line}"
echo "  time:     ${times}total $((SECONDS - t_start)) s"
echo "  logs:     $logs"
if [ ${#problems[@]} -gt 0 ]; then
    printf '  problem:  %s\n' "${problems[@]}"
    fail "${#problems[@]} problem(s) above"
fi
say "PASSED"
