#!/usr/bin/env bash
# run-tests.sh BUILD TEST_BIN...: run each cmocka test binary, the layering
# check (tests/check-layers.sh), then the NEON
# check under qemu (unless SKIP_NEON=1 is given on purpose), and print one
# closing line "N passed, N failed" counted from cmocka's own summaries.
set -u
build=$1; shift
passed=0; failed=0; skipped=0; bad_bins=()
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | awk '{s+=$1} END{print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | awk '{s+=$1} END{print s+0}')
    s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s), listed below:/\1/p' | awk '{s+=$1} END{print s+0}')
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then failed=$((failed + 1)); bad_bins+=("$t (exit $rc)"); fi
    [ $rc -ne 0 ] && [ "$f" -gt 0 ] && bad_bins+=("$t")
done

# The floors: kernels/ and variants/ include nothing from above them.
if bash "$(dirname "$0")/check-layers.sh" .; then passed=$((passed + 1))
else failed=$((failed + 1)); bad_bins+=("tests/check-layers.sh"); fi

# The NEON variants: cross-built and checked under qemu-aarch64.
if [ "${SKIP_NEON:-0}" = 1 ]; then
    echo "NEON check: not run (SKIP_NEON=1)"; skipped=$((skipped + 1))
elif command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64 >/dev/null; then
    echo "== NEON: aarch64 cross build, rnnbench check under qemu-aarch64 =="
    if make --no-print-directory ARCH=aarch64 SANITIZE=0 check; then passed=$((passed + 1))
    else failed=$((failed + 1)); bad_bins+=("NEON check under qemu"); fi
else
    echo "NEON check: FAILED to run: needs gcc-aarch64-linux-gnu and qemu-user (scripts/install-deps.sh)"
    failed=$((failed + 1)); bad_bins+=("NEON check (toolchain missing)")
fi

[ ${#bad_bins[@]} -gt 0 ] && printf 'failed: %s\n' "${bad_bins[@]}"
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
