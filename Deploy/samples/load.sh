#!/usr/bin/env bash
# Loads the sample community (X社区, synthetic) into a running host: generates its objects with
# gongzhi-samples into a temporary file and applies them with `gongzhictl apply -f`, which creates what
# is missing and updates what differs, so running it again is harmless. Then, when the host runs the points
# plugin, loads X社区's points exchange (积分兑换): ledgers, earning rules, the points supermarket and its
# goods, a month of history imported from the paper ledger, the day's service records and a redemption held at
# the counter (gongzhi-samples x-community-points), through gongzhictl's points verbs; every transfer, record
# and redemption has a fixed id, so running it again records nothing new.
#
#   Deploy/samples/load.sh [--socket PATH] [--points-only] [other gongzhictl apply options, e.g. -o json]
#
# The host's admin socket is --socket PATH, else $GONGZHI_ADMIN_SOCKET, else gongzhictl's default
# (/run/gongzhi/admin.sock). --points-only loads the points exchange alone, into a host that holds the
# community. The executables are $GONGZHI_SAMPLES_BIN and $GONGZHICTL_BIN when set; otherwise they are built
# (swift build -c release) in this checkout. What the points part prints goes to standard error, so that
# standard output holds apply's answer alone.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

socket="${GONGZHI_ADMIN_SOCKET:-}"
apply_args=()
points_only=0
while [ $# -gt 0 ]; do
    case "$1" in
        --socket)
            [ $# -ge 2 ] || { echo "load.sh: --socket needs a path" >&2; exit 2; }
            socket="$2"
            shift 2
            ;;
        --socket=*)
            socket="${1#--socket=}"
            shift
            ;;
        --points-only)
            points_only=1
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            apply_args+=("$1")
            shift
            ;;
    esac
done

root="$(cd "$(dirname "$0")/../.." && pwd)"
samples="${GONGZHI_SAMPLES_BIN:-}"
ctl="${GONGZHICTL_BIN:-}"
if [ -z "$samples" ] || [ -z "$ctl" ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    command -v swift >/dev/null || {
        echo "load.sh: swift is not installed; set GONGZHI_SAMPLES_BIN and GONGZHICTL_BIN" >&2
        exit 1
    }
    products=()
    [ -n "$samples" ] || products+=(gongzhi-samples)
    [ -n "$ctl" ] || products+=(gongzhictl)
    for product in "${products[@]}"; do
        echo "building $product (release)" >&2
        (cd "$root" && swift build -c release --product "$product" >&2)
    done
    bin="$(cd "$root" && swift build -c release --show-bin-path)"
    samples="${samples:-$bin/gongzhi-samples}"
    ctl="${ctl:-$bin/gongzhictl}"
fi
for executable in "$samples" "$ctl"; do
    [ -x "$executable" ] || { echo "load.sh: $executable is not an executable file" >&2; exit 1; }
done

# The commands of the points part run from the folder of their files: name the executables and the socket
# absolutely.
absolute() {
    case "$1" in
        /*) echo "$1" ;;
        */*) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
        *) command -v "$1" || echo "$1" ;;
    esac
}
samples="$(absolute "$samples")"
ctl="$(absolute "$ctl")"
socket_args=()
if [ -n "$socket" ]; then
    socket="$(absolute "$socket")"
    socket_args=(--socket "$socket")
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/gongzhi-samples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ "$points_only" = 0 ]; then
    file="$work/x-community.jsonl"
    "$samples" x-community --output "$file" --summary >&2
    echo "applying $(wc -l <"$file") objects from $file" >&2
    "$ctl" apply -f "$file" ${apply_args[@]+"${apply_args[@]}"} ${socket_args[@]+"${socket_args[@]}"}
fi

# The points exchange, when the host runs the points plugin.
services="$("$ctl" services -o json ${socket_args[@]+"${socket_args[@]}"})"
if ! grep -q '"gongzhi.points.v1.Points"' <<<"$services"; then
    echo "the points plugin is not deployed on this host: the points exchange's sample is not loaded" >&2
    exit 0
fi
started="$(date +%s)"
points="$work/points"

# Runs the commands of FILE (gongzhictl's arguments, one command a line, separated by tabs) in order from the
# folder of the points files. A command that fails, or a `call` whose answer holds a result other than exists
# (CreateAccounts answers one for each account), stops the load with the command's output.
run_commands() {
    local line output status
    local -a arguments
    while IFS= read -r line; do
        IFS=$'\t' read -r -a arguments <<<"$line"
        status=0
        output="$(cd "$points" && "$ctl" "${arguments[@]}" ${socket_args[@]+"${socket_args[@]}"} </dev/null 2>&1)" \
            || status=$?
        if [ "$status" = 0 ] && [ "${arguments[0]}" = call ] \
            && [ -n "$(grep -o '"result": *"RESULT_[A-Z_]*"' <<<"$output" | grep -v '"RESULT_EXISTS"' || true)" ]; then
            status=1
        fi
        if [ "$status" != 0 ]; then
            printf '%s\n' "$output" | tail -n 40 >&2
            echo "load.sh: gongzhictl ${arguments[*]} failed (exit $status); the points exchange is loaded up to it" >&2
            exit 1
        fi
    done <"$1"
}

# The ledgers first: the history covers the 30 days before the day the volunteer ledger was opened, which a
# reload finds in the ledger itself (and so imports the same transfers, which then answer "exists").
"$samples" x-community-points --opened-at "$(( $(date +%s) * 1000 ))" --output "$points"
run_commands "$points/ledgers.commands"
opened="$("$ctl" call gongzhi.points.v1.Points/ListLedgers -o json ${socket_args[@]+"${socket_args[@]}"} \
    | grep -o '"code": *"volunteer"[^}]*' | grep -o '"created_at_ms": *"[0-9]*"' | grep -o '[0-9][0-9]*' || true)"
if [ -z "$opened" ]; then
    echo "load.sh: the points plugin did not say when ledger volunteer was opened" >&2
    exit 1
fi
"$samples" x-community-points --opened-at "$opened" --output "$points" --summary
echo "loading the points exchange: $(wc -l <"$points/load.commands") commands, $(grep -c '"imported": *true' "$points/history.json") past transfers" >&2
run_commands "$points/load.commands"
"$ctl" points status ${socket_args[@]+"${socket_args[@]}"} >&2
echo "the points exchange is loaded ($(( $(date +%s) - started )) s)" >&2
