#!/usr/bin/env bash
# Builds every implementation of the echo benchmark, runs them one after another on this machine, then runs
# gongzhi-host with four plugins (routed against direct calls, idle memory), then gongzhi-host's object store
# (durable creates against naive SQLite, gets among 1,000,000 objects, lists, watch delivery, memory), and prints
# markdown tables on standard output (build output and progress go to standard error). With --plugins-only (or
# "plugins" in --only) it compares an echo plugin written with the C SDK and one written with the Swift SDK, each
# under its own gongzhi-host; with --privacy-only (or "privacy" in --only) it measures routed calls whose answers
# hold personal data, redacted or audited by the host, against routed echo calls; with --people-only (or "people" in
# --only) it measures a person's routed calls and lists of 10,000 Residents, decided by their roles and places,
# against an administrator's; with --overload-only (or "overload" in --only) it measures Get and routed-call latency,
# plugin restarts and the host's memory and file descriptors while a heavy reader, a client that never reads and
# thousands of idle connections load gongzhi-host (the load generators are gongzhi-bench's own sub-commands, each a
# process; phases of a few seconds to tens of seconds, see the --overload-* options).
#
# usage: bash Benchmarks/run.sh [--quick] [--host-only | --store-only | --plugins-only | --privacy-only |
#                               --people-only | --overload-only]
#                               [--output FILE]
#                               [more gongzhi-bench options; see --help]
#        bash Benchmarks/run.sh --grid-only [--quick] [--output FILE] [--gongzhi-bin-dir DIR]
#                               [more gongzhi-grid-bench options; see Benchmarks/grid]
#        bash Benchmarks/run.sh --points-only [--quick] [--output FILE] [--gongzhi-bin-dir DIR | --postgres-only]
#                               [more gongzhi-points-bench options; see Benchmarks/points]
#        bash Benchmarks/run.sh --mediation-only [--quick] [--output FILE] [--gongzhi-bin-dir DIR]
#                               [more gongzhi-mediation-bench options; see Benchmarks/mediation]
#        bash Benchmarks/run.sh --intake-only [--quick] [--output FILE] [--gongzhi-bin-dir DIR]
#                               [more gongzhi-intake-bench options; see Benchmarks/intake]
#
# Ours is built from the main package into .build-bench/; give GONGZHI_ECHO=/path/to/gongzhi-echo (or
# --gongzhi-echo PATH) to measure a binary built elsewhere.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

# The Go peer needs Go and containerd/ttrpc from Debian, the C floor a C compiler, the store benchmark's naive
# SQLite peer libsqlite3-dev, the plugin-language benchmark's C plugin make, pkg-config and libprotobuf-c-dev, and
# the points benchmark's peer PostgreSQL 15 with pgbench. Whatever cannot be installed only turns those rows into n/a.
#
# usage: install_packages GO SQLITE PROTOBUF_C [POSTGRES]   (each yes or no; a C compiler always)
install_packages() {
    local go=$1 sqlite=$2 protobuf_c=$3 postgres=${4:-no}
    local missing=()
    if [[ $go == yes ]]; then
        command -v go >/dev/null 2>&1 || missing+=(golang-go)
        [[ -f /usr/share/gocode/src/github.com/containerd/ttrpc/client.go ]] ||
            missing+=(golang-github-containerd-ttrpc-dev)
    fi
    command -v cc >/dev/null 2>&1 || missing+=(build-essential)
    if [[ $sqlite == yes ]]; then
        [[ -f /usr/include/sqlite3.h ]] || missing+=(libsqlite3-dev)
    fi
    if [[ $protobuf_c == yes ]]; then
        command -v make >/dev/null 2>&1 || missing+=(make)
        command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
        [[ -f /usr/include/protobuf-c/protobuf-c.h ]] || missing+=(libprotobuf-c-dev)
    fi
    if [[ $postgres == yes ]]; then
        [[ -x /usr/lib/postgresql/15/bin/pgbench ]] || missing+=(postgresql-15 postgresql-contrib)
    fi
    apt_install ${missing[@]+"${missing[@]}"}
}

# Installs these Debian packages (none: nothing to do), with sudo when not root.
apt_install() {
    local missing=("$@")
    ((${#missing[@]} == 0)) && return 0

    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "run.sh: not root and no sudo; not installing ${missing[*]}" >&2
            return 0
        fi
        sudo=(sudo)
    fi
    echo "run.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
        "${sudo[@]}" apt-get update >&2 || true
    fi
    "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
        echo "run.sh: could not install ${missing[*]}; the rows that need them will say n/a" >&2
}

# The host, personal-data, people and overload benchmarks alone (--host-only, --privacy-only, --people-only,
# --overload-only, --only host, privacy, people or overload) need none of them, the store benchmark alone no Go,
# the plugin-language benchmark alone (--plugins-only, --only plugins) only what builds its C plugin, which the
# others need when "plugins" is among what --only names.
protobuf_c=no
case " $* " in
    *" --plugins-only "* | *" --only "*plugins* | *" --only="*plugins*) protobuf_c=yes ;;
esac
case " $* " in
    *" --help "* | *" -h "*) ;;
    *" --plugins-only "* | *" --only plugins "* | *" --only=plugins "*) install_packages no no yes ;;
    *" --host-only "* | *" --only host "* | *" --only=host "*) ;;
    *" --privacy-only "* | *" --only privacy "* | *" --only=privacy "*) ;;
    *" --people-only "* | *" --only people "* | *" --only=people "*) ;;
    *" --overload-only "* | *" --only overload "* | *" --only=overload "*) ;;
    *" --store-only "* | *" --only store "* | *" --only=store "*) install_packages no yes no ;;
    *" --grid-only "*) ;;
    *" --mediation-only "*) ;;
    *" --intake-only "*) ;;
    *" --points-only "*) install_packages no no no yes ;;
    *) install_packages yes yes "$protobuf_c" ;;
esac

# The grid plugin's benchmark (--grid-only) runs on its own: gongzhi-host, gongzhictl and gongzhi-grid built
# release into .build-bench-grid (unless --gongzhi-bin-dir names a folder holding them), and its client, which
# starts the host, loads it and prints the tables, built from Benchmarks/grid into .build-bench-grid-client.
if [[ " $* " == *" --grid-only "* ]]; then
    grid_args=() bin_dir=""
    while (($#)); do
        case $1 in
            --grid-only) ;;
            --gongzhi-bin-dir) bin_dir=$2; shift ;;
            --gongzhi-bin-dir=*) bin_dir=${1#*=} ;;
            *) grid_args+=("$1") ;;
        esac
        shift
    done
    if [[ -z $bin_dir ]]; then
        bin_dir="$root/.build-bench-grid/release"
        for product in gongzhi-host gongzhictl gongzhi-grid; do
            echo "run.sh: building $product" >&2
            swift build -c release --static-swift-stdlib --package-path "$root" \
                --scratch-path "$root/.build-bench-grid" --product "$product" >&2
        done
    fi
    echo "run.sh: building gongzhi-grid-bench" >&2
    swift build -c release --package-path "$here/grid" --scratch-path "$root/.build-bench-grid-client" \
        --product gongzhi-grid-bench >&2
    exec "$root/.build-bench-grid-client/release/gongzhi-grid-bench" --gongzhi-bin-dir "$bin_dir" \
        --repo-root "$root" ${grid_args[@]+"${grid_args[@]}"}
fi

# The mediation plugin's benchmark (--mediation-only) runs on its own, like the grid's: gongzhi-host, gongzhictl and
# gongzhi-mediation built release into .build-bench-mediation (unless --gongzhi-bin-dir names a folder holding them),
# and its client, which starts the host, stores the disputes and prints the tables, built from Benchmarks/mediation
# into .build-bench-mediation-client.
if [[ " $* " == *" --mediation-only "* ]]; then
    mediation_args=() bin_dir=""
    while (($#)); do
        case $1 in
            --mediation-only) ;;
            --gongzhi-bin-dir) bin_dir=$2; shift ;;
            --gongzhi-bin-dir=*) bin_dir=${1#*=} ;;
            *) mediation_args+=("$1") ;;
        esac
        shift
    done
    if [[ -z $bin_dir ]]; then
        bin_dir="$root/.build-bench-mediation/release"
        for product in gongzhi-host gongzhictl gongzhi-mediation; do
            echo "run.sh: building $product" >&2
            swift build -c release --static-swift-stdlib --package-path "$root" \
                --scratch-path "$root/.build-bench-mediation" --product "$product" >&2
        done
    fi
    echo "run.sh: building gongzhi-mediation-bench" >&2
    swift build -c release --package-path "$here/mediation" --scratch-path "$root/.build-bench-mediation-client" \
        --product gongzhi-mediation-bench >&2
    exec "$root/.build-bench-mediation-client/release/gongzhi-mediation-bench" --gongzhi-bin-dir "$bin_dir" \
        --repo-root "$root" ${mediation_args[@]+"${mediation_args[@]}"}
fi

# The intake plugin's benchmark (--intake-only) runs on its own, like the grid's: gongzhi-host, gongzhictl, gongzhi-grid,
# gongzhi-sensors and gongzhi-intake built release into .build-bench-intake (unless --gongzhi-bin-dir names a folder
# holding them); Mosquitto, libmosquitto-dev and wrk from Debian; paho-mqtt 2.2.0 from PyPI into
# Benchmarks/.bench-python (the independent MQTT client); the bare C subscriber, the pass-through baseline, built with
# cc; and its client, which starts the broker and the host, drives the publishers and wrk and prints the tables, built
# from Benchmarks/intake into .build-bench-intake-client.
if [[ " $* " == *" --intake-only "* ]]; then
    intake_args=() bin_dir=""
    while (($#)); do
        case $1 in
            --intake-only) ;;
            --gongzhi-bin-dir) bin_dir=$2; shift ;;
            --gongzhi-bin-dir=*) bin_dir=${1#*=} ;;
            *) intake_args+=("$1") ;;
        esac
        shift
    done
    missing=()
    [[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)
    [[ -f /usr/include/mosquitto.h ]] || missing+=(libmosquitto-dev)
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v cc >/dev/null 2>&1 || missing+=(build-essential)
    apt_install ${missing[@]+"${missing[@]}"}
    python_dir="$here/.bench-python"
    if ! PYTHONPATH="$python_dir" python3 -c 'import paho.mqtt; assert paho.mqtt.__version__ == "2.2.0"' 2>/dev/null; then
        echo "run.sh: installing paho-mqtt 2.2.0 into $python_dir" >&2
        python3 -m pip install --quiet --target "$python_dir" --upgrade paho-mqtt==2.2.0 >&2
    fi
    if [[ -z $bin_dir ]]; then
        bin_dir="$root/.build-bench-intake/release"
        for product in gongzhi-host gongzhictl gongzhi-grid gongzhi-sensors gongzhi-intake; do
            echo "run.sh: building $product" >&2
            swift build -c release --static-swift-stdlib --package-path "$root" \
                --scratch-path "$root/.build-bench-intake" --product "$product" >&2
        done
    fi
    client_dir="$root/.build-bench-intake-client"
    mkdir -p "$client_dir"
    echo "run.sh: building count-subscriber and gongzhi-intake-bench" >&2
    cc -O2 -Wall -Wextra -o "$client_dir/count-subscriber" "$here/intake/scripts/count-subscriber.c" -lmosquitto
    swift build -c release --package-path "$here/intake" --scratch-path "$client_dir" \
        --product gongzhi-intake-bench >&2
    exec "$client_dir/release/gongzhi-intake-bench" --gongzhi-bin-dir "$bin_dir" --repo-root "$root" \
        --count-subscriber "$client_dir/count-subscriber" --python-path "$python_dir" --wrk "$(command -v wrk)" \
        ${intake_args[@]+"${intake_args[@]}"}
fi

# The points plugin's benchmark (--points-only) runs on its own, like the grid's: gongzhi-host, gongzhictl and
# gongzhi-points built release into .build-bench-points (unless --gongzhi-bin-dir names a folder holding them, or
# --postgres-only measures the PostgreSQL peer alone), and its client, which starts PostgreSQL and the host, loads
# both and prints the tables, built from Benchmarks/points into .build-bench-points-client.
if [[ " $* " == *" --points-only "* ]]; then
    points_args=() bin_dir="" postgres_only=no
    while (($#)); do
        case $1 in
            --points-only) ;;
            --gongzhi-bin-dir) bin_dir=$2; shift ;;
            --gongzhi-bin-dir=*) bin_dir=${1#*=} ;;
            --postgres-only) postgres_only=yes; points_args+=("$1") ;;
            *) points_args+=("$1") ;;
        esac
        shift
    done
    if [[ -n $bin_dir ]]; then
        points_args+=(--gongzhi-bin-dir "$bin_dir")
    elif [[ $postgres_only == no ]]; then
        bin_dir="$root/.build-bench-points/release"
        for product in gongzhi-host gongzhictl gongzhi-points; do
            echo "run.sh: building $product" >&2
            swift build -c release --static-swift-stdlib --package-path "$root" \
                --scratch-path "$root/.build-bench-points" --product "$product" >&2
        done
        points_args+=(--gongzhi-bin-dir "$bin_dir")
    fi
    echo "run.sh: building gongzhi-points-bench" >&2
    swift build -c release --package-path "$here/points" --scratch-path "$root/.build-bench-points-client" \
        --product gongzhi-points-bench >&2
    exec "$root/.build-bench-points-client/release/gongzhi-points-bench" --repo-root "$root" \
        ${points_args[@]+"${points_args[@]}"}
fi

# The runner first; it builds the peers itself (grpc-echo, the C floor, the Go peer, ours, the store client in
# .build-bench-store and the naive SQLite peer), so that one that fails to build is reported in the table instead
# of stopping the run.
echo "run.sh: building the runner" >&2
swift build -c release --package-path "$here" --product gongzhi-bench >&2

exec "$here/.build/release/gongzhi-bench" --benchmarks-dir "$here" --repo-root "$root" "$@"
