# lib-cases.sh: the cmocka-style case runner of the shell tests, sourced by
# tests/test_*.sh, so that tests/run-tests.sh counts their cases like those
# of the C tests. The sourcing script sets $tmp (a scratch folder) first.
#
#   case_ NAME FUNCTION   runs FUNCTION, which returns 0 (pass), 77 (skip:
#                         its last line of output says why) or anything
#                         else (fail: it says why); prints its output
#   fail MESSAGE          prints FAIL: MESSAGE and returns 1
#   cases_done            prints the summary and exits 1 if any failed

passed=0 failed=() skipped=()

case_() {
    local name=$1 rc
    echo "[ RUN      ] $name"
    "$2" >"$tmp/$name.log" 2>&1
    rc=$?
    sed 's/^/    /' "$tmp/$name.log"
    case $rc in
        0) echo "[       OK ] $name"; passed=$((passed + 1)) ;;
        77) echo "[  SKIPPED ] $name"; skipped+=("$name") ;;
        *) echo "[  FAILED  ] $name"; failed+=("$name") ;;
    esac
}

fail() { echo "FAIL: $*"; return 1; }

cases_done() {
    echo "[==========] $((passed + ${#skipped[@]} + ${#failed[@]})) test(s) run."
    echo "[  PASSED  ] $passed test(s)."
    if [ ${#skipped[@]} -gt 0 ]; then
        echo "[  SKIPPED ] ${#skipped[@]} test(s), listed below:"
        printf '[  SKIPPED ] %s\n' "${skipped[@]}"
    fi
    if [ ${#failed[@]} -gt 0 ]; then
        echo "[  FAILED  ] ${#failed[@]} test(s), listed below:"
        printf '[  FAILED  ] %s\n' "${failed[@]}"
        exit 1
    fi
    exit 0
}
