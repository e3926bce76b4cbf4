#!/usr/bin/env bash
# Loads the sample community (X社区, synthetic) into a running host: generates its objects with
# gongzhi-samples into a temporary file and applies them with `gongzhictl apply -f`, which creates what
# is missing and updates what differs, so running it again is harmless.
#
#   Deploy/samples/load.sh [--socket PATH] [other gongzhictl apply options, e.g. -o json]
#
# The host's admin socket is --socket PATH, else $GONGZHI_ADMIN_SOCKET, else gongzhictl's default
# (/run/gongzhi/admin.sock). The executables are $GONGZHI_SAMPLES_BIN and $GONGZHICTL_BIN when set;
# otherwise they are built (swift build -c release) in this checkout.
set -euo pipefail

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "$0"
}

socket="${GONGZHI_ADMIN_SOCKET:-}"
apply_args=()
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

work="$(mktemp -d "${TMPDIR:-/tmp}/gongzhi-samples.XXXXXX")"
trap 'rm -rf "$work"' EXIT
file="$work/x-community.jsonl"

"$samples" x-community --output "$file" --summary >&2
echo "applying $(wc -l <"$file") objects from $file" >&2
if [ -n "$socket" ]; then
    apply_args+=(--socket "$socket")
fi
"$ctl" apply -f "$file" ${apply_args[@]+"${apply_args[@]}"}
