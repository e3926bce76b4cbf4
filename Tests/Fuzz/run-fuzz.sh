#!/usr/bin/env bash
# Builds the frame-decoder fuzzer and runs it for a fixed time over a copy of the seed corpus.
#
#   Tests/Fuzz/run-fuzz.sh [SECONDS]     (default 60)
#
# Exits 0 when libFuzzer found nothing, 1 when it found a crash (the input's path is printed), 2 when
# the build or the run itself failed. The corpus in corpus/ is never changed: libFuzzer works on a
# copy in corpus-work/ (or FUZZ_WORK_DIR), where crash inputs and the full log stay after the run.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS]" >&2
    exit 2
fi

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work_dir="${FUZZ_WORK_DIR:-$fuzz_dir/corpus-work}"
scratch="$fuzz_dir/.build-fuzz"
max_len=70000

rm -rf "$work_dir"
mkdir -p "$work_dir/corpus" "$work_dir/artifacts"
cp "$fuzz_dir"/corpus/* "$work_dir/corpus/"

# Everything is compiled with coverage and AddressSanitizer: the decoder and the wire types, and
# also NIO's ByteToMessageHandler and SwiftProtobuf's binary decoder, whose branches the inputs steer.
echo "fuzz: building (release, -sanitize=fuzzer,address)"
build_start=$(date +%s)
if ! swift build -c release \
    --package-path "$fuzz_dir" \
    --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address \
    >"$work_dir/build.log" 2>&1; then
    # ld.gold warns about every ASan helper it cannot export; leave those out.
    grep -v "Cannot export local symbol" "$work_dir/build.log" | tail -40 >&2
    echo "fuzz: build failed (full log: $work_dir/build.log)" >&2
    exit 2
fi
echo "fuzz: built in $(($(date +%s) - build_start)) s"
binary="$(swift build -c release --package-path "$fuzz_dir" --scratch-path "$scratch" --show-bin-path)/GongzhiFuzz"

# The Swift runtime's own crash reporter would hold a crashing run up for half a minute; libFuzzer
# and ASan report crashes themselves.
export SWIFT_BACKTRACE=enable=no

echo "fuzz: running for $seconds s, inputs up to $max_len bytes"
log="$work_dir/fuzz.log"
status=0
# A hard limit well past -max_total_time, in case one input hangs past libFuzzer's own -timeout.
timeout --signal=INT --kill-after=30 $((seconds + 120)) \
    "$binary" \
    -max_total_time="$seconds" \
    -max_len="$max_len" \
    -timeout=20 \
    -rss_limit_mb=4096 \
    -print_final_stats=1 \
    -artifact_prefix="$work_dir/artifacts/" \
    "$work_dir/corpus" \
    >"$log" 2>&1 || status=$?

grep -E "^#[0-9]+[[:space:]]+(INITED|pulse|DONE)" "$log" | tail -4 || true

crashes=$(find "$work_dir/artifacts" -type f | sort)
if [ "$status" -ne 0 ] || [ -n "$crashes" ]; then
    # The report: libFuzzer's and the sanitizer's lines, and Swift's trap message.
    grep -E "ERROR|SUMMARY|Fatal error|fuzz invariant|==[0-9]+==|#[0-9]+ 0x|artifact_prefix|Test unit written" "$log" | head -60 >&2 || true
    if [ -n "$crashes" ]; then
        echo "fuzz: crashing input(s):" >&2
        for crash in $crashes; do
            echo "  $crash ($(wc -c <"$crash") bytes)" >&2
        done
        echo "fuzz: reproduce with: SWIFT_BACKTRACE=enable=no $binary <input>  (full log: $log)" >&2
        exit 1
    fi
    echo "fuzz: libFuzzer exited with status $status and left no input (full log: $log)" >&2
    exit 2
fi

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
corpus=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$done_line")
echo "fuzz: ${runs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?} edges, ${features:-?} features, corpus ${corpus:-?} inputs"
echo "fuzz: no crash in $seconds s"
