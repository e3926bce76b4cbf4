#!/usr/bin/env bash
# Loads the sample community (X社区, synthetic) into a running host: generates its objects with
# gongzhi-samples into a temporary file and applies them with `gongzhictl apply -f`, which creates what
# is missing and updates what differs, so running it again is harmless. Then, when the host runs the points
# plugin, loads X社区's points exchange (积分兑换): ledgers, earning rules, the points supermarket and its
# goods, a month of history imported from the paper ledger, the day's service records and a redemption held at
# the counter (gongzhi-samples x-community-points), through gongzhictl's points verbs; every transfer, record
# and redemption has a fixed id, so running it again records nothing new. Then, when the host runs the
# mediation plugin, loads X社区's people's mediation committee (人民调解): its part-time mediators and eight
# disputes in every state, each taken through its steps with gongzhictl's mediation verbs (gongzhi-samples
# x-community-mediation); the applications have fixed keys, and a dispute's steps already in its history are
# not taken again, so running it again changes nothing. Then, when the host runs the intake plugin with X社区's
# sources (gongzhi-samples x-community-intake, which Deploy/run.sh writes for it), registers X社区's 40 sensor
# devices, imports the urban-management department's export of November 2026 (the same file imported again is
# recognised, and nothing in it is counted twice), and issues the 12345 hotline's Open311 key.
#
#   Deploy/samples/load.sh [--socket PATH] [--points-only | --mediation-only | --intake-only]
#                          [--hotline-key-file FILE] [other gongzhictl apply options]
#
# The host's admin socket is --socket PATH, else $GONGZHI_ADMIN_SOCKET, else gongzhictl's default
# (/run/gongzhi/admin.sock). --points-only loads the points exchange alone, --mediation-only the mediation
# committee alone, --intake-only the intake sample alone, into a host that holds the community. The hotline's
# Open311 key (api_key: a host token for the client hotline-12345 that may submit and read tickets) is issued
# only with --hotline-key-file FILE, and written there (mode 0600), unless FILE holds a key already. The
# executables are $GONGZHI_SAMPLES_BIN and $GONGZHICTL_BIN when set; otherwise they are built (swift build -c
# release) in this checkout. What the points, mediation and intake parts print goes to standard error, so that
# standard output holds apply's answer alone.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

socket="${GONGZHI_ADMIN_SOCKET:-}"
apply_args=()
points_only=0
mediation_only=0
intake_only=0
hotline_key_file=""
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
        --mediation-only)
            mediation_only=1
            shift
            ;;
        --intake-only)
            intake_only=1
            shift
            ;;
        --hotline-key-file)
            [ $# -ge 2 ] || { echo "load.sh: --hotline-key-file needs a path" >&2; exit 2; }
            hotline_key_file="$2"
            shift 2
            ;;
        --hotline-key-file=*)
            hotline_key_file="${1#--hotline-key-file=}"
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

if [ $((points_only + mediation_only + intake_only)) -gt 1 ]; then
    echo "load.sh: --points-only, --mediation-only and --intake-only each load one part; give one of them" >&2
    exit 2
fi

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

# The commands of the points and mediation parts run from the folder of their files: name the executables and
# the socket absolutely.
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

if [ $((points_only + mediation_only + intake_only)) = 0 ]; then
    file="$work/x-community.jsonl"
    "$samples" x-community --output "$file" --summary >&2
    echo "applying $(wc -l <"$file") objects from $file" >&2
    "$ctl" apply -f "$file" ${apply_args[@]+"${apply_args[@]}"} ${socket_args[@]+"${socket_args[@]}"}
fi

services="$("$ctl" services -o json ${socket_args[@]+"${socket_args[@]}"})"

# Runs the commands of FILE (gongzhictl's arguments, one command a line, separated by tabs) in order from the
# folder FOLDER, appending what each prints on standard output to OUT (none: /dev/null). A command that fails, or
# a `call` whose answer holds a result other than exists (CreateAccounts answers one for each account), stops the
# load with the command's output; WHAT names the part in the message.
run_commands() {
    local file="$1" folder="$2" out="$3" what="$4" line output status
    local -a arguments
    while IFS= read -r line; do
        IFS=$'\t' read -r -a arguments <<<"$line"
        status=0
        output="$(cd "$folder" && "$ctl" "${arguments[@]}" ${socket_args[@]+"${socket_args[@]}"} </dev/null 2>"$work/stderr")" \
            || status=$?
        if [ "$status" = 0 ] && [ "${arguments[0]}" = call ] \
            && [ -n "$(grep -o '"result": *"RESULT_[A-Z_]*"' <<<"$output" | grep -v '"RESULT_EXISTS"' || true)" ]; then
            status=1
        fi
        if [ "$status" != 0 ]; then
            { printf '%s\n' "$output"; cat "$work/stderr"; } | tail -n 40 >&2
            echo "load.sh: gongzhictl ${arguments[*]} failed (exit $status); $what is loaded up to it" >&2
            exit 1
        fi
        printf '%s\n' "$output" >>"$out"
    done <"$file"
}

# The points exchange, when the host runs the points plugin.
load_points() {
    if ! grep -q '"gongzhi.points.v1.Points"' <<<"$services"; then
        echo "the points plugin is not deployed on this host: the points exchange's sample is not loaded" >&2
        return 0
    fi
    local started points opened
    started="$(date +%s)"
    points="$work/points"

    # The ledgers first: the history covers the 30 days before the day the volunteer ledger was opened, which a
    # reload finds in the ledger itself (and so imports the same transfers, which then answer "exists").
    "$samples" x-community-points --opened-at "$(( $(date +%s) * 1000 ))" --output "$points"
    run_commands "$points/ledgers.commands" "$points" /dev/null "the points exchange"
    opened="$("$ctl" call gongzhi.points.v1.Points/ListLedgers -o json ${socket_args[@]+"${socket_args[@]}"} \
        | grep -o '"code": *"volunteer"[^}]*' | grep -o '"created_at_ms": *"[0-9]*"' | grep -o '[0-9][0-9]*' || true)"
    if [ -z "$opened" ]; then
        echo "load.sh: the points plugin did not say when ledger volunteer was opened" >&2
        exit 1
    fi
    "$samples" x-community-points --opened-at "$opened" --output "$points" --summary
    echo "loading the points exchange: $(wc -l <"$points/load.commands") commands, $(grep -c '"imported": *true' "$points/history.json") past transfers" >&2
    run_commands "$points/load.commands" "$points" /dev/null "the points exchange"
    "$ctl" points status ${socket_args[@]+"${socket_args[@]}"} >&2
    echo "the points exchange is loaded ($(( $(date +%s) - started )) s)" >&2
}

# The disputes the mediation plugin holds, as JSON lines (one ListDisputes answer a line), into FILE.
list_disputes() {
    local file="$1" token="" page
    : >"$file"
    while :; do
        page="$("$ctl" call gongzhi.mediation.v1.Mediation/ListDisputes -o json \
            -d "{\"place_code\": \"330199001001\", \"page_size\": 500, \"page_token\": \"$token\"}" \
            ${socket_args[@]+"${socket_args[@]}"})"
        printf '%s\n' "$page" >>"$file"
        token="$(grep -o '"next_page_token": *"[^"]*"' <<<"$page" | sed 's/.*"\([^"]*\)"$/\1/' || true)"
        [ -n "$token" ] || break
    done
}

# X社区's people's mediation committee, when the host runs the mediation plugin: the mediators (people bound as
# mediator, applied like the community), the applications the host does not hold yet, then every dispute's steps
# that its history does not hold yet. The generator decides both from the plugin's answers, and refuses a dispute
# whose history is not the sample's.
load_mediation() {
    if ! grep -q '"gongzhi.mediation.v1.Mediation"' <<<"$services"; then
        echo "the mediation plugin is not deployed on this host: the mediation committee's sample is not loaded" >&2
        return 0
    fi
    local started mediation at
    started="$(date +%s)"
    mediation="$work/mediation"
    at="$(( $(date +%s) * 1000 ))"
    "$samples" x-community-mediation --at "$at" --output "$mediation" --summary
    "$ctl" apply -f "$mediation/mediators.jsonl" ${socket_args[@]+"${socket_args[@]}"} >&2
    list_disputes "$mediation/held.jsonl"
    "$samples" x-community-mediation --at "$at" --output "$mediation" --disputes "$mediation/held.jsonl"
    echo "loading the mediation committee: $(wc -l <"$mediation/applications.commands") applications" >&2
    : >"$mediation/applied.jsonl"
    run_commands "$mediation/applications.commands" "$mediation" "$mediation/applied.jsonl" "the mediation committee"
    "$samples" x-community-mediation --at "$at" --output "$mediation" \
        --disputes "$mediation/held.jsonl" --disputes "$mediation/applied.jsonl"
    echo "loading the mediation committee: $(wc -l <"$mediation/steps.commands") steps" >&2
    run_commands "$mediation/steps.commands" "$mediation" /dev/null "the mediation committee"
    "$ctl" mediation list ${socket_args[@]+"${socket_args[@]}"} >&2
    echo "the mediation committee is loaded ($(( $(date +%s) - started )) s)" >&2
}

# X社区's data intake, when the host runs the intake plugin: the sensor devices (the plugin locates each one and
# checks the grid it names), the urban-management department's export (the import's id is a hash of the source and
# the file, so importing it again counts nothing twice), and the hotline's Open311 key, once.
load_intake() {
    if ! grep -q '"gongzhi.intake.v1.Intake"' <<<"$services"; then
        echo "the intake plugin is not deployed on this host: X社区's intake sample is not loaded" >&2
        return 0
    fi
    local started intake issued key
    started="$(date +%s)"
    intake="$work/intake"
    "$samples" x-community-intake "$intake" --summary
    echo "registering $(grep -c '"id":' "$intake/devices.json") sensor devices" >&2
    "$ctl" intake devices put "$intake/devices.json" ${socket_args[@]+"${socket_args[@]}"} >&2
    echo "importing the urban-management department's export" >&2
    (cd "$intake" && "$ctl" intake import urban-management-2026-11.csv --source urban-management \
        ${socket_args[@]+"${socket_args[@]}"} >&2)
    if [ -n "$hotline_key_file" ]; then
        if [ -s "$hotline_key_file" ]; then
            echo "the hotline's Open311 key is in $hotline_key_file already" >&2
        else
            issued="$("$ctl" tokens issue --client hotline-12345 \
                --scope gongzhi.intake.v1.Intake/SubmitTicket --scope gongzhi.intake.v1.Intake/GetTicket \
                --ttl 365d --description "12345 热线的 Open311 api_key（X社区样例）" -o json \
                ${socket_args[@]+"${socket_args[@]}"})"
            key="$(grep -o '"token" *: *"gzt_[^"]*"' <<<"$issued" | grep -o 'gzt_[^"]*' || true)"
            if [ -z "$key" ]; then
                echo "load.sh: gongzhictl tokens issue answered no token for hotline-12345" >&2
                exit 1
            fi
            (umask 077 && printf '%s\n' "$key" >"$hotline_key_file")
            echo "the hotline's Open311 key is in $hotline_key_file" >&2
        fi
    fi
    "$ctl" intake stats ${socket_args[@]+"${socket_args[@]}"} >&2
    echo "the intake sample is loaded ($(( $(date +%s) - started )) s)" >&2
}

if [ "$mediation_only" = 0 ] && [ "$intake_only" = 0 ]; then load_points; fi
if [ "$points_only" = 0 ] && [ "$intake_only" = 0 ]; then load_mediation; fi
if [ "$points_only" = 0 ] && [ "$mediation_only" = 0 ]; then load_intake; fi
