#!/usr/bin/env bash
# Installs the Debian packages that building, testing and running Gongzhi need, if they are missing.
# Swift itself is expected at /opt/swift or on PATH.
#
#   Deploy/setup-debian.sh build   protoc and protoc-c for code generation, SQLite's headers for the object
#                                  store, libprotobuf-c and pkg-config for the C plugin SDK and the C plugin,
#                                  libmosquitto's headers for the intake module's MQTT sources
#   Deploy/setup-debian.sh test    + Go and containerd's ttrpc for the interoperability tests, make and
#                                  Valgrind for the C SDK's tests, python3 for the layout check, the mosquitto
#                                  broker and its mosquitto_pub/mosquitto_sub for the MQTT tests, curl (not in a
#                                  default Debian install) as the Open311 tests' HTTP client and the README's
#   Deploy/setup-debian.sh run     build's + the mosquitto broker and its clients, for Deploy/run.sh, and curl
#                                  for the README's walkthrough of the hotline
set -euo pipefail

purpose="${1:-build}"
packages=(protobuf-compiler libprotobuf-dev libsqlite3-dev protobuf-c-compiler libprotobuf-c-dev pkg-config
    libmosquitto-dev)
case "$purpose" in
    build) ;;
    test)
        packages+=(golang-go golang-github-containerd-ttrpc-dev make valgrind python3 mosquitto mosquitto-clients curl)
        ;;
    run) packages+=(mosquitto mosquitto-clients curl) ;;
    *)
        echo "setup: unknown purpose '$purpose' (build, test or run)" >&2
        exit 2
        ;;
esac

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
