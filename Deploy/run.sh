#!/usr/bin/env bash
# Runs the Gongzhi host for development: builds the host, the admin CLI, the plugins and the sample
# generator (release), installs the plugins into .gongzhi-dev/plugins with sealed manifests, starts the
# host with Deploy/config/development.toml, loads the sample community (X社区) on first start, shows its
# status, and keeps it running until Ctrl-C. Installs what it needs on a fresh Debian machine.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

Deploy/setup-debian.sh build
for product in gongzhi-host gongzhictl gongzhi-noticeboard gongzhi-sensors gongzhi-grid gongzhi-points gongzhi-mediation \
    gongzhi-samples; do
    swift build -c release --product "$product"
done
bin="$(swift build -c release --show-bin-path)"

dev="$root/.gongzhi-dev"
mkdir -p "$dev/plugins"
Deploy/install-plugin.sh Plugins/noticeboard/noticeboard.plugin.toml "$bin/gongzhi-noticeboard" "$dev/plugins"
Deploy/install-plugin.sh Plugins/sensors/sensors.plugin.toml "$bin/gongzhi-sensors" "$dev/plugins"
Deploy/install-plugin.sh Plugins/grid/grid.plugin.toml "$bin/gongzhi-grid" "$dev/plugins"
Deploy/install-plugin.sh Plugins/points/points.plugin.toml "$bin/gongzhi-points" "$dev/plugins"
Deploy/install-plugin.sh Plugins/mediation/mediation.plugin.toml "$bin/gongzhi-mediation" "$dev/plugins"

export GONGZHI_ADMIN_SOCKET="$dev/run/admin.sock"
"$bin/gongzhi-host" --config Deploy/config/development.toml &
host=$!
# Ctrl-C (or SIGTERM) stops the host gracefully, and this script exits with the host's status: 0 for a clean stop.
stop_host() {
    trap - INT TERM
    kill -TERM "$host" 2>/dev/null || true
    local status=0
    wait "$host" 2>/dev/null || status=$?
    exit "$status"
}
trap stop_host INT TERM
trap 'kill -TERM $host 2>/dev/null || true' EXIT

for plugin in noticeboard sensors grid points mediation; do
    for _ in $(seq 1 150); do
        if "$bin/gongzhictl" plugins describe "$plugin" -o json 2>/dev/null | grep -q '"state" *: *"ready"'; then
            break
        fi
        sleep 0.2
    done
done
"$bin/gongzhictl" status

# The sample community, once: the marker is written only after every object was applied.
loaded="$dev/data/samples-loaded"
if [ ! -f "$loaded" ]; then
    echo "loading the sample community (first start)" >&2
    GONGZHI_SAMPLES_BIN="$bin/gongzhi-samples" GONGZHICTL_BIN="$bin/gongzhictl" Deploy/samples/load.sh
    date -u +%FT%TZ >"$loaded"
fi

cat <<MSG

The host is running (pid $host) with the noticeboard, sensors, grid, points and mediation plugins and the sample
community.
  export GONGZHI_ADMIN_SOCKET=$dev/run/admin.sock
  $bin/gongzhictl get kinds
  $bin/gongzhictl get grids
  $bin/gongzhictl get residents -l volunteer=true,compound=c1 --limit 10
  $bin/gongzhictl describe resident R-0000001
  $bin/gongzhictl watch residents
  $bin/gongzhictl plugins list
  $bin/gongzhictl plugins logs noticeboard
  $bin/gongzhictl plugins describe sensors      # the sensor adapter, written in C
  $bin/gongzhictl grid categories               # grid management: see the README for a case's whole loop
  $bin/gongzhictl points status                 # points exchange: see the README for a volunteer's points
  $bin/gongzhictl mediation list                # people's mediation: see the README for a dispute's whole course
  $bin/gongzhictl tokens issue --client my-app --scope 'gongzhi.example.v1.NoticeBoard/*'
Reload the configuration:  kill -HUP $host
Stop it:                   Ctrl-C
MSG
status=0
wait "$host" || status=$?
exit "$status"
