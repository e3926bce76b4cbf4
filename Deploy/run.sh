#!/usr/bin/env bash
# Runs the Gongzhi host for development: builds the host, the admin CLI, the plugins and the sample
# generator (release), installs the plugins into .gongzhi-dev/plugins with sealed manifests, starts a Mosquitto
# broker for the intake module's sensors (from Deploy/mosquitto/development.conf.in, listening on
# .gongzhi-dev/run/mqtt.sock), writes X社区's intake sources into .gongzhi-dev/intake, starts the host with
# Deploy/config/development.toml, loads the sample community (X社区) on first start, starts X社区's simulated
# sensors publishing to the broker, shows its status, and keeps it running until Ctrl-C, which stops the
# sensors, then the host, then the broker. Installs what it needs on a fresh Debian machine.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"

Deploy/setup-debian.sh run
# Debian installs the broker into /usr/sbin, which is not on every user's PATH.
mosquitto="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
for command in "$mosquitto" mosquitto_pub; do
    command -v "$command" >/dev/null || {
        echo "run.sh: $command is not installed (Deploy/setup-debian.sh run installs mosquitto and mosquitto-clients)" >&2
        exit 1
    }
done
for product in gongzhi-host gongzhictl gongzhi-noticeboard gongzhi-sensors gongzhi-grid gongzhi-points gongzhi-mediation \
    gongzhi-intake gongzhi-samples; do
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
Deploy/install-plugin.sh Plugins/intake/intake.plugin.toml "$bin/gongzhi-intake" "$dev/plugins"

# The broker the intake module reads X社区's sensors from, with its configuration written into .gongzhi-dev/mosquitto
# from the template Deploy/mosquitto/development.conf.in (@RUN_DIR@, @DATA_DIR@ and @USER@ filled in).
mkdir -p "$dev/run" "$dev/data" "$dev/mosquitto"
broker_config="$dev/mosquitto/development.conf"
sed -e "s|@RUN_DIR@|$dev/run|g" -e "s|@DATA_DIR@|$dev/data|g" -e "s|@USER@|$(id -un)|g" \
    Deploy/mosquitto/development.conf.in >"$broker_config"
# Where the configuration has the broker listen (listener 0 PATH) and keep its queues.
mqtt_socket="$(sed -n 's/^listener[[:space:]]\{1,\}0[[:space:]]\{1,\}\(\/[^[:space:]]*\).*/\1/p' "$broker_config" | head -1)"
if [ -z "$mqtt_socket" ]; then
    echo "run.sh: $broker_config has no Unix socket listener (listener 0 /path/to/mqtt.sock)" >&2
    exit 1
fi
persistence="$(sed -n 's/^persistence_location[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$broker_config" | head -1)"
[ -z "$persistence" ] || mkdir -p "$persistence"

# X社区's intake sources, which the plugin reads when it starts (INTAKE_SOURCES in development.toml): sensors from
# this broker, the 12345 hotline and the WeChat mini-program over Open311, the urban-management department's files.
# Written on the first start only, so that a mapping changed by hand (and reloaded: gongzhictl intake reload) stays;
# remove .gongzhi-dev/intake to have the sample's again.
if [ ! -f "$dev/intake/intake-sources.json" ]; then
    "$bin/gongzhi-samples" x-community-intake "$dev/intake" --broker "unix:$mqtt_socket"
fi

# A broker left answering on the socket is another run.sh's: refuse rather than take its socket away. A socket
# nothing answers on is left from one that did not stop cleanly.
if [ -S "$mqtt_socket" ]; then
    if mosquitto_pub --unix "$mqtt_socket" -t gongzhi/run-check -n >/dev/null 2>&1; then
        echo "run.sh: a broker already answers on $mqtt_socket: is Deploy/run.sh running already?" >&2
        exit 1
    fi
    rm -f "$mqtt_socket"
fi

export GONGZHI_ADMIN_SOCKET="$dev/run/admin.sock"
host=""
broker=""
sensors=()
# The simulated sensors, the host, the broker: each stopped with SIGTERM and waited for, in that order.
stop_sensors() {
    local pid
    for pid in ${sensors[@]+"${sensors[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in ${sensors[@]+"${sensors[@]}"}; do wait "$pid" 2>/dev/null || true; done
    sensors=()
}
stop_broker() {
    [ -n "$broker" ] || return 0
    kill -TERM "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
    broker=""
}
# Ctrl-C (or SIGTERM) stops the sensors, the host gracefully, then the broker (which saves its queues), and this
# script exits with the host's status: 0 for a clean stop.
stop_all() {
    trap - INT TERM
    stop_sensors
    local status=0
    if [ -n "$host" ]; then
        kill -TERM "$host" 2>/dev/null || true
        wait "$host" 2>/dev/null || status=$?
        host=""
    fi
    stop_broker
    exit "$status"
}
trap stop_all INT TERM
trap 'stop_sensors; [ -z "$host" ] || kill -TERM "$host" 2>/dev/null || true; stop_broker' EXIT

"$mosquitto" -c "$broker_config" >"$dev/mosquitto/mosquitto.log" 2>&1 &
broker=$!
for _ in $(seq 1 100); do
    [ -S "$mqtt_socket" ] && break
    if ! kill -0 "$broker" 2>/dev/null; then
        broker=""
        echo "run.sh: mosquitto -c $broker_config stopped at once:" >&2
        tail -n 20 "$dev/mosquitto/mosquitto.log" >&2
        exit 1
    fi
    sleep 0.1
done
[ -S "$mqtt_socket" ] || { echo "run.sh: the broker did not open $mqtt_socket within 10 s" >&2; exit 1; }

"$bin/gongzhi-host" --config Deploy/config/development.toml &
host=$!

for plugin in noticeboard sensors grid points mediation intake; do
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
    GONGZHI_SAMPLES_BIN="$bin/gongzhi-samples" GONGZHICTL_BIN="$bin/gongzhictl" Deploy/samples/load.sh \
        --hotline-key-file "$dev/hotline-12345.key"
    date -u +%FT%TZ >"$loaded"
fi

# X社区's sensors, once the devices are registered: one gateway a compound, each publishing a batch of its devices'
# readings every 5 s on its own topic, with a water level rising past the critical limit every 5 minutes.
for gateway in $(grep -o '"gateway_id":"[^"]*"' "$dev/intake/devices.json" | cut -d'"' -f4 | sort -u); do
    "$bin/gongzhi-samples" sensors --devices "$dev/intake/devices.json" --gateway "$gateway" --rate 12/min \
        --critical-every 60 2>>"$dev/sensors.log" \
        > >(exec mosquitto_pub -l -q 1 --unix "$mqtt_socket" -i "x-sensors-$gateway" \
            -t "gz/v1/gateways/$gateway/readings" >>"$dev/sensors.log" 2>&1) &
    sensors+=($!)
done

cat <<MSG

The host is running (pid $host) with the noticeboard, sensors, grid, points, mediation and intake plugins and the
sample community; X社区's sensors publish to the broker on $mqtt_socket (pid $broker).
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
  $bin/gongzhictl intake stats                  # data intake: see the README for a reading becoming a case
  mosquitto_sub --unix $mqtt_socket -t 'gz/v1/#' -v    # the sensors' readings as they are published
  $bin/gongzhictl tokens issue --client my-app --scope 'gongzhi.example.v1.NoticeBoard/*'
Reload the configuration:  kill -HUP $host
Stop it:                   Ctrl-C
MSG
status=0
wait "$host" || status=$?
host=""
exit "$status"
