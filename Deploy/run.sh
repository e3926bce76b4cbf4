#!/usr/bin/env bash
# Starts what Gongzhi has today: the RPC layer, serving the echo test service on a Unix socket in a
# local development directory, checked once with the interoperability checks, then kept running
# until Ctrl-C. Installs what it needs on a fresh Debian machine.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

Deploy/setup-debian.sh build
swift build -c release --product gongzhi-echo-server
swift build -c release --product gongzhi-echo
bin="$(swift build -c release --show-bin-path)"

runtime="${GONGZHI_RUNTIME_DIR:-$root/.gongzhi-dev/run}"
mkdir -p "$runtime"
chmod 0750 "$runtime"
socket="$runtime/echo.sock"

"$bin/gongzhi-echo-server" --socket "$socket" --log-level info &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
    [ -S "$socket" ] && break
    sleep 0.1
done
"$bin/gongzhi-echo" check --socket "$socket"

cat <<MSG

The echo service is serving on $socket.
Try it:   $bin/gongzhi-echo bench-client --socket $socket --calls 20000
Stop it:  Ctrl-C
MSG
wait $server
