#!/usr/bin/env bash
# Runs every test of Gongzhi: generated-code check, build without warnings, format lint, the Swift test
# suites (unit, end-to-end with real processes, Go ttrpc interop), the Go peer's own tests, the C plugin
# SDK's, the C plugin's and the MQTT session shim's tests (plain, under AddressSanitizer and under Valgrind; the
# shim's against a real mosquitto), what the host and
# gongzhictl's core link (no module's code), the README's walkthroughs against `Deploy/run.sh`
# (Deploy/readme-check.sh), a module in a package of its own built against this checkout and called through
# the host (Tests/ExternalModule/check.sh) and time-boxed fuzzing of the Swift and the C frame decoders.
# Installs what it needs on a fresh Debian machine.
#
#   Deploy/test.sh                   everything
#   FUZZ_SECONDS=0 Deploy/test.sh    skip fuzzing (FUZZ_SECONDS: seconds per fuzzer, a whole number; 60)
#   README_CHECK=0 Deploy/test.sh    skip the README's walkthroughs (they build and run the release host)
#   EXTERNAL_MODULE_CHECK=0 Deploy/test.sh   skip building the example module outside the repository
#   Deploy/test.sh --self-test       only check this script's reading of XCTest's output
#
# It ends with a summary: each step passed, failed, skipped (and why) or not run, and as its last line
# `swift: N passed, N failed` (`, N skipped` when tests were skipped), which CI reads.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

# --- Reading XCTest's output --------------------------------------------------------------------------------

# Prints "PASSED FAILED SKIPPED" for the XCTest output in FILE, counting tests: the executed and skipped
# tests from the last "Executed …" line (the whole run's; each suite prints one before it), the failed ones
# from "Test Case '…' failed" lines (the summary counts failed assertions, several for one test). Returns 1
# when FILE has no summary line (no test ran, or the test process died).
xctest_counts() {
    local file="$1" line executed skipped=0 failures failed
    line="$(grep -E '^[[:space:]]*Executed [0-9]+ tests?, with ' "$file" | tail -n 1)" || return 1
    if [[ "$line" =~ Executed\ ([0-9]+)\ tests?,\ with\ (([0-9]+)\ tests?\ skipped\ and\ )?([0-9]+)\ failures? ]]; then
        executed="${BASH_REMATCH[1]}"
        skipped="${BASH_REMATCH[3]:-0}"
        failures="${BASH_REMATCH[4]}"
    else
        return 1
    fi
    failed="$(grep -cE "^Test Case '.*' failed \(" "$file")" || true
    # A failure outside any test case (in a class's setUp, say) is still a failure.
    if [ "$failed" -eq 0 ] && [ "$failures" -gt 0 ]; then failed="$failures"; fi
    echo "$((executed - skipped - failed)) $failed $skipped"
}

# The line CI reads.
swift_line() {
    local passed="$1" failed="$2" skipped="$3"
    if [ "$skipped" -gt 0 ]; then
        echo "swift: $passed passed, $failed failed, $skipped skipped"
    else
        echo "swift: $passed passed, $failed failed"
    fi
}

# Checks xctest_counts and swift_line against XCTest's output as this toolchain prints it.
self_test() {
    local sample failures=0
    sample="$(mktemp)"
    expect_counts() {
        local expected="$1" actual
        actual="$(xctest_counts "$sample")" || actual="no summary"
        if [ "$actual" != "$expected" ]; then
            echo "self-test: expected '$expected', read '$actual' from:" >&2
            sed 's/^/    /' "$sample" >&2
            failures=$((failures + 1))
        fi
    }
    printf '%s\n' "Test Suite 'All tests' passed at 2026-12-07 04:38:32.463" \
        $'\t Executed 641 tests, with 0 failures (0 unexpected) in 80.1 (80.2) seconds' >"$sample"
    expect_counts "641 0 0"
    printf '%s\n' $'\t Executed 641 tests, with 1 test skipped and 0 failures (0 unexpected) in 80.1 (80.2) seconds' \
        >"$sample"
    expect_counts "640 0 1"
    # Suites print their own lines first; the last one is the whole run's.
    cat >"$sample" <<'OUT'
Test Suite 'A' started at 2026-12-07 04:38:32.408
Test Case 'A.testPass' started at 2026-12-07 04:38:38.297
Test Case 'A.testPass' passed (0.079 seconds)
Test Case 'A.testSkip' started at 2026-12-07 04:38:38.376
Test Case 'A.testSkip' skipped (0.072 seconds)
Test Case 'A.testFail' started at 2026-12-07 04:38:38.448
/src/Tests/A.swift:5: error: A.testFail : XCTAssertEqual failed: ("1") is not equal to ("2")
Test Case 'A.testFail' failed (0.008 seconds)
Test Suite 'A' failed at 2026-12-07 04:38:32.463
	 Executed 3 tests, with 1 test skipped and 1 failure (0 unexpected) in 0.055 (0.055) seconds
Test Suite 'B' started at 2026-12-07 04:38:32.463
Test Case 'B.testPass' started at 2026-12-07 04:38:38.456
Test Case 'B.testPass' passed (0.0 seconds)
Test Suite 'B' passed at 2026-12-07 04:38:32.463
	 Executed 1 test, with 0 failures (0 unexpected) in 0.0 (0.0) seconds
Test Suite 'All tests' failed at 2026-12-07 04:38:32.463
	 Executed 4 tests, with 1 test skipped and 1 failure (0 unexpected) in 0.055 (0.055) seconds
OUT
    expect_counts "2 1 1"
    # One test with three failed assertions is one failed test.
    printf '%s\n' "Test Case 'C.testMany' failed (0.001 seconds)" \
        $'\t Executed 5 tests, with 2 tests skipped and 3 failures (0 unexpected) in 0.1 (0.1) seconds' >"$sample"
    expect_counts "2 1 2"
    printf '%s\n' $'\t Executed 1 test, with 1 failure (1 unexpected) in 0.1 (0.1) seconds' >"$sample"
    expect_counts "0 1 0"
    # The test process died before its summary.
    printf '%s\n' "Test Case 'D.testCrash' started at 2026-12-07 04:38:38.456" \
        "error: Exited with unexpected signal code 11" >"$sample"
    expect_counts "no summary"
    rm -f "$sample"
    local line
    line="$(swift_line 640 0 1)"
    [ "$line" = "swift: 640 passed, 0 failed, 1 skipped" ] || { echo "self-test: swift_line gave '$line'" >&2; failures=$((failures + 1)); }
    line="$(swift_line 641 0 0)"
    [ "$line" = "swift: 641 passed, 0 failed" ] || { echo "self-test: swift_line gave '$line'" >&2; failures=$((failures + 1)); }
    if [ "$failures" -gt 0 ]; then
        echo "self-test: $failures checks of the summary's reading failed" >&2
        return 1
    fi
    echo "self-test: XCTest's summary lines are read right (8 checks)"
}

if [ "${1:-}" = "--self-test" ]; then
    self_test
    exit
elif [ $# -gt 0 ]; then
    echo "test: unknown argument $1 (Deploy/test.sh [--self-test])" >&2
    exit 2
fi

# --- Settings, checked before anything runs -----------------------------------------------------------------

fuzz_seconds="${FUZZ_SECONDS:-60}"
if ! [[ "$fuzz_seconds" =~ ^[0-9]{1,7}$ ]]; then
    echo "test: FUZZ_SECONDS must be a whole number of seconds for each fuzzer (0 skips fuzzing), not '$fuzz_seconds'" >&2
    exit 2
fi
fuzz_seconds=$((10#$fuzz_seconds))
readme_check="${README_CHECK:-1}"
if [ "$readme_check" != 0 ] && [ "$readme_check" != 1 ]; then
    echo "test: README_CHECK must be 1 (run the README's walkthroughs) or 0 (skip them), not '$readme_check'" >&2
    exit 2
fi

external_module_check="${EXTERNAL_MODULE_CHECK:-1}"
if [ "$external_module_check" != 0 ] && [ "$external_module_check" != 1 ]; then
    echo "test: EXTERNAL_MODULE_CHECK must be 1 (build and call the example module) or 0 (skip it), not" \
        "'$external_module_check'" >&2
    exit 2
fi

# --- Steps and the summary ----------------------------------------------------------------------------------

steps=(
    "dependencies"
    "summary reading"
    "generated code"
    "build"
    "format"
    "module links"
    "C plugin SDK"
    "C sensor plugin"
    "C MQTT session"
    "Go peer"
    "Swift tests"
    "README walkthroughs"
    "external module"
    "Swift fuzzing"
    "C fuzzing"
)
declare -A outcome=()
current=""
swift_counts=""
swift_failures=""

step() {
    local name="$1" title="$2"
    [ -z "$current" ] || outcome["$current"]="passed"
    current="$name"
    printf '\n== %s\n' "$title"
}

skip() {
    local name="$1" reason="$2"
    [ -z "$current" ] || outcome["$current"]="passed"
    current=""
    outcome["$name"]="skipped: $reason"
    printf '\n== %s: skipped (%s)\n' "$name" "$reason"
}

summary() {
    local status=$?
    trap - EXIT
    if [ -n "$current" ]; then
        if [ "$status" -eq 0 ]; then outcome["$current"]="passed"; else outcome["$current"]="FAILED"; fi
    fi
    printf '\n== summary\n'
    local name
    for name in "${steps[@]}"; do
        printf '%-20s %s\n' "$name" "${outcome[$name]:-not run (an earlier step failed)}"
    done
    if [ -n "$swift_counts" ]; then
        # shellcheck disable=SC2086 # three numbers
        swift_line $swift_counts
    fi
    if [ -n "$swift_failures" ]; then
        printf '\n== failed Swift tests (their failures above, in full)\n%s\n' "$swift_failures"
    fi
    exit "$status"
}
trap summary EXIT

# --- The steps ------------------------------------------------------------------------------------------------

step "dependencies" "dependencies"
Deploy/setup-debian.sh test

step "summary reading" "this script's reading of XCTest's output"
self_test

step "generated code" "generated code matches Schemas/"
Schemas/generate.sh --check

step "build" "build (warnings in our code fail the build)"
log="$(mktemp)"
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^($root/)?(Sources|Tests|Plugins)/.*: warning:" "$log"; then
    echo "test: the build has warnings in our code (above)" >&2
    exit 1
fi
rm -f "$log"

step "format" "format"
git ls-files -co --exclude-standard -z '*.swift' | xargs -0 swift format lint --strict

step "module links" "what the host and gongzhictl's core link: no module's code"
bash Tests/Layout/check-links.sh

# The C code builds with the system's cc, or with the Swift toolchain's clang where there is none. Given to
# make only: SwiftPM reads CC from the environment too, and needs its own clang.
c_compiler="${CC:-}"
if [ -z "$c_compiler" ]; then
    if command -v cc >/dev/null; then c_compiler=cc; else c_compiler="$(command -v clang)"; fi
fi

step "C plugin SDK" "C plugin SDK: tests, wire vectors, AddressSanitizer, Valgrind (CC=$c_compiler)"
make -s -C Sources/CGongzhiPlugin check CC="$c_compiler"

step "C sensor plugin" "C sensor plugin: tests, AddressSanitizer, Valgrind"
make -s -C Plugins/sensors check CC="$c_compiler"

step "C MQTT session" "C MQTT session on libmosquitto, against a real mosquitto: tests, AddressSanitizer, Valgrind"
make -s -C Sources/CGongzhiMQTT check CC="$c_compiler"

step "Go peer" "Go peer codec tests"
(cd Tests/Interop/ttrpc-peer && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="${TMPDIR:-/tmp}/gongzhi-gocache" go test .)

step "Swift tests" "Swift tests"
results="$(mktemp)"
swift_status=0
swift test --skip-build --disable-swift-testing 2>&1 | tee "$results" || swift_status=$?
if ! counts="$(xctest_counts "$results")"; then
    rm -f "$results"
    echo "test: swift test printed no XCTest summary (exit status $swift_status): no test ran, or the test process died" >&2
    exit 1
fi
# The failing tests and their assertions, kept for the summary: a long run's output is often read from its end.
swift_failures="$(grep -E "^Test Case '.*' failed|: error: " "$results" | head -n 60 || true)"
rm -f "$results"
swift_counts="$counts"
read -r passed failed skipped <<<"$counts"
if [ "$failed" -gt 0 ] || [ "$swift_status" -ne 0 ]; then
    echo "test: Swift tests failed: $failed (swift test exited with status $swift_status)" >&2
    exit 1
fi
if [ "$((passed + skipped))" -eq 0 ]; then
    echo "test: no Swift test ran" >&2
    exit 1
fi

if [ "$readme_check" -eq 1 ]; then
    step "README walkthroughs" "README walkthroughs: Deploy/run.sh, every command under 'Using the host', Ctrl-C"
    Deploy/readme-check.sh
else
    skip "README walkthroughs" "README_CHECK=0"
fi

if [ "$external_module_check" -eq 1 ]; then
    step "external module" "a module in a package of its own: generated, built, installed and called through the host"
    bash Tests/ExternalModule/check.sh
else
    skip "external module" "EXTERNAL_MODULE_CHECK=0"
fi

if [ "$fuzz_seconds" -gt 0 ]; then
    step "Swift fuzzing" "fuzzing the frame decoder for ${fuzz_seconds}s"
    [ -f Tests/Fuzz/run-fuzz.sh ] || { echo "test: Tests/Fuzz/run-fuzz.sh is missing" >&2; exit 1; }
    bash Tests/Fuzz/run-fuzz.sh "$fuzz_seconds"
    step "C fuzzing" "fuzzing the C SDK's frame decoder and dispatcher for ${fuzz_seconds}s"
    make -s -C Sources/CGongzhiPlugin fuzz FUZZ_SECONDS="$fuzz_seconds" CC="$c_compiler"
else
    skip "Swift fuzzing" "FUZZ_SECONDS=0"
    skip "C fuzzing" "FUZZ_SECONDS=0"
fi
