#!/usr/bin/env bash
# Builds every implementation of the echo benchmark, runs them one after another on this machine, then runs
# gongzhi-host with four plugins (routed against direct calls, idle memory), and prints markdown tables on
# standard output (build output and progress go to standard error).
#
# usage: bash Benchmarks/run.sh [--quick] [--host-only] [--output FILE] [more gongzhi-bench options; see --help]
#
# Ours is built from the main package into .build-bench/; give GONGZHI_ECHO=/path/to/gongzhi-echo (or
# --gongzhi-echo PATH) to measure a binary built elsewhere.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

# The Go peer needs Go and containerd/ttrpc from Debian, the C floor a C compiler. Whatever cannot be
# installed only turns that implementation's rows into n/a.
install_packages() {
    local missing=()
    command -v go >/dev/null 2>&1 || missing+=(golang-go)
    [[ -f /usr/share/gocode/src/github.com/containerd/ttrpc/client.go ]] ||
        missing+=(golang-github-containerd-ttrpc-dev)
    command -v cc >/dev/null 2>&1 || missing+=(build-essential)
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

# The host benchmark alone (--host-only, --only host) needs none of them.
case " $* " in
    *" --help "* | *" -h "* | *" --host-only "* | *" --only host "* | *" --only=host "*) ;;
    *) install_packages ;;
esac

# The runner first; it builds the peers itself (grpc-echo, the C floor, the Go peer and ours), so that one
# that fails to build is reported in the table instead of stopping the run.
echo "run.sh: building the runner" >&2
swift build -c release --package-path "$here" --product gongzhi-bench >&2

exec "$here/.build/release/gongzhi-bench" --benchmarks-dir "$here" --repo-root "$root" "$@"
