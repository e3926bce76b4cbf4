#!/usr/bin/env bash
# Runs every test of Gongzhi: generated-code check, build without warnings, format lint, the Swift test
# suites (unit, end-to-end with real processes, Go ttrpc interop), the Go peer's own tests, a module in a
# package of its own built against this checkout and called through the host, the C plugin SDK's and the
# C plugin's tests (plain, under AddressSanitizer and under Valgrind) and time-boxed fuzzing
# of the Swift and the C frame decoders. Installs what it needs on a fresh Debian machine.
#
#   Deploy/test.sh               everything
#   FUZZ_SECONDS=0 Deploy/test.sh  skip fuzzing
#   EXTERNAL_MODULE_CHECK=0 Deploy/test.sh  skip building the example module outside the repository
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
Deploy/setup-debian.sh test

step "generated code matches Schemas/"
Schemas/generate.sh --check

step "build (warnings in our code fail the build)"
log="$(mktemp)"
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^($root/)?(Sources|Tests|Plugins)/.*: warning:" "$log"; then
    echo "test: the build has warnings in our code (above)" >&2
    exit 1
fi
rm -f "$log"

step "format"
git ls-files -co --exclude-standard -z '*.swift' | xargs -0 swift format lint --strict

# The C code builds with the system's cc, or with the Swift toolchain's clang where there is none. Given to
# make only: SwiftPM reads CC from the environment too, and needs its own clang.
c_compiler="${CC:-}"
if [ -z "$c_compiler" ]; then
    if command -v cc >/dev/null; then c_compiler=cc; else c_compiler="$(command -v clang)"; fi
fi

step "C plugin SDK: tests, wire vectors, AddressSanitizer, Valgrind (CC=$c_compiler)"
make -s -C Sources/CGongzhiPlugin check CC="$c_compiler"

step "C sensor plugin: tests, AddressSanitizer, Valgrind"
make -s -C Plugins/sensors check CC="$c_compiler"

step "Go peer codec tests"
(cd Tests/Interop/ttrpc-peer && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="${TMPDIR:-/tmp}/gongzhi-gocache" go test .)

step "Swift tests"
results="$(mktemp)"
swift test --skip-build --disable-swift-testing 2>&1 | tee "$results"
summary="$(grep -E "^[[:space:]]*Executed [0-9]+ tests?, with [0-9]+ failures?" "$results" | tail -1)"
rm -f "$results"
executed="$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")"
failed="$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")"
if [ -z "$executed" ] || [ "$executed" -eq 0 ]; then
    echo "test: no Swift test ran" >&2
    exit 1
fi

if [ "${EXTERNAL_MODULE_CHECK:-1}" != 0 ]; then
    step "a module in a package of its own: generated, built, installed and called through the host"
    Tests/ExternalModule/check.sh
fi

fuzz_seconds="${FUZZ_SECONDS:-60}"
if [ "$fuzz_seconds" -gt 0 ] && [ -x Tests/Fuzz/run-fuzz.sh ]; then
    step "fuzzing the frame decoder for ${fuzz_seconds}s"
    Tests/Fuzz/run-fuzz.sh "$fuzz_seconds"
fi
if [ "$fuzz_seconds" -gt 0 ]; then
    step "fuzzing the C SDK's frame decoder and dispatcher for ${fuzz_seconds}s"
    make -s -C Sources/CGongzhiPlugin fuzz FUZZ_SECONDS="$fuzz_seconds" CC="$c_compiler"
fi

step "summary"
echo "swift: $((executed - failed)) passed, $failed failed"
