#!/usr/bin/env bash
# Builds Tests/Interop/ttrpc-peer, a containerd/ttrpc peer for interop tests and
# benchmarks, against Debian's packaged Go and ttrpc (offline, GOPATH mode).
#
# usage: Tests/Interop/build-ttrpc-peer.sh OUTPUT_BINARY_PATH
#
# Installs golang-go and golang-github-containerd-ttrpc-dev with apt-get when
# `go` or the ttrpc sources are missing (needs root).
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTPUT_BINARY_PATH" >&2
    exit 2
fi
output=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gopath=/usr/share/gocode
ttrpc_src=$gopath/src/github.com/containerd/ttrpc

if ! command -v go >/dev/null 2>&1 || [[ ! -f $ttrpc_src/client.go ]]; then
    packages=(golang-go golang-github-containerd-ttrpc-dev)
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Refresh the package lists only if the packages are not known yet.
    if ! apt-cache show "${packages[@]}" >/dev/null 2>&1; then
        "${sudo[@]}" apt-get update
    fi
    "${sudo[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
fi

cache_root=${XDG_CACHE_HOME:-${TMPDIR:-/tmp}}
export GOCACHE=${GOCACHE:-$cache_root/gongzhi-ttrpc-peer-gocache}
export GO111MODULE=off
export GOPATH=$gopath
export GOFLAGS=
export CGO_ENABLED=0

mkdir -p "$(dirname "$output")"
case $output in
    /*) ;;
    *) output=$PWD/$output ;;
esac

cd "$here/ttrpc-peer"
go build -o "$output" .
echo "built $output ($(go version | awk '{print $3}'), ttrpc from $ttrpc_src)" >&2
