#!/usr/bin/env bash
# Installs the Debian packages that building, testing and running Gongzhi need, if they are missing.
# Swift itself is expected at /opt/swift or on PATH.
#
#   Deploy/setup-debian.sh build   protoc and protoc-c for code generation, SQLite's headers for the object
#                                  store, libprotobuf-c and pkg-config for the C plugin SDK and the C plugin
#   Deploy/setup-debian.sh test    + Go and containerd's ttrpc for the interoperability tests, make and
#                                  Valgrind for the C SDK's tests, python3 for the layout check
set -euo pipefail

purpose="${1:-build}"
packages=(protobuf-compiler libprotobuf-dev libsqlite3-dev protobuf-c-compiler libprotobuf-c-dev pkg-config)
if [ "$purpose" = "test" ]; then
    packages+=(golang-go golang-github-containerd-ttrpc-dev make valgrind python3)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "setup: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "setup: Swift 6.2 or newer is needed (swift.org/install), then run this again" >&2
        exit 1
    fi
fi
