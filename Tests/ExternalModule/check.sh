#!/usr/bin/env bash
# A module outside this repository, end to end: copies the example module Tests/ExternalModule/acme-repairs
# (a package of its own that depends on this checkout by path) into a temporary folder, generates its
# messages and stubs with `swift package gongzhi-generate` (and checks that --check catches stale code),
# builds it, runs its own tests (the testing kit), installs it into a real gongzhi-host with Deploy/install-plugin.sh, and calls it through the
# host: an administrator sees the reporter's phone, a client token without the personal-data grant does not,
# unary and streamed, and the one answer that showed a phone is audited. Stops the host and removes the
# folder however it ends.
#
#   Tests/ExternalModule/check.sh
#
# Uses this checkout's debug gongzhi-host and gongzhictl (built if missing). The example package builds in
# debug into $GONGZHI_EXTERNAL_SCRATCH (default .build/external-module), kept between runs so that its
# dependencies are compiled once: the first run takes minutes, later ones much less.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
scratch="${GONGZHI_EXTERNAL_SCRATCH:-$root/.build/external-module}"
build_limit="${GONGZHI_EXTERNAL_BUILD_SECONDS:-2400}"   # each build step; a first build on 2 busy cores is slow

say() { printf 'external-module: %s\n' "$*"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/gongzhi-external-XXXXXX")"
# A host run as root starts the module as a user of its own, which must pass through this folder (mktemp makes it
# 0700) to reach its executable and folders inside.
chmod 0711 "$work"
host_pid=""
stop_host() {
    [ -n "$host_pid" ] || return 0
    if kill -0 "$host_pid" 2>/dev/null; then
        kill -TERM "$host_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$host_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$host_pid" 2>/dev/null || true
    fi
    wait "$host_pid" 2>/dev/null || true
    host_pid=""
}
cleanup() {
    stop_host
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    say "FAILED: $*" >&2
    if [ -f "$work/host/host.log" ]; then
        say "the host's log ends with:" >&2
        tail -n 40 "$work/host/host.log" >&2
    fi
    exit 1
}

# Runs a command in a folder; it must succeed within the build limit. Its output is shown on failure.
run_in() {
    local folder="$1" what="$2"
    shift 2
    last_log="$work/$(tr " /'" '___' <<<"$what").log"
    if ! (cd "$folder" && timeout --foreground "$build_limit" "$@") >"$last_log" 2>&1; then
        cat "$last_log" >&2
        fail "$what"
    fi
}

# This checkout's host and admin CLI.
bin="$(swift build --show-bin-path)"
for product in gongzhi-host gongzhictl; do
    if [ ! -x "$bin/$product" ]; then
        say "building $product"
        run_in "$root" "build $product" swift build --product "$product"
    fi
done
ctl() { GONGZHI_ADMIN_SOCKET="$work/host/run/admin.sock" "$bin/gongzhictl" "$@"; }

# 1. The module's own package, in a folder of its own, depending on this checkout by its path.
package="$work/acme-repairs"
cp -R Tests/ExternalModule/acme-repairs "$package"
rm -rf "$package/.build" "$package/.swiftpm"
sed -i "s|path: \"../../..\"|path: \"$root\"|" "$package/Package.swift"
grep -q "path: \"$root\"" "$package/Package.swift" || fail "could not point Package.swift at $root"
generate=(swift package --scratch-path "$scratch" --allow-writing-to-package-directory gongzhi-generate)
generated="$package/Sources/AcmeRepairsSchemas/Generated"

# 2. Generating: the committed code is what the plugin writes; the plugin writes it into the package anew;
#    and --check fails, naming the file, when a .proto changed and the code was not regenerated.
say "generating code with gongzhi-generate (builds the generators the first time)"
run_in "$package" "gongzhi-generate --check on the committed code" "${generate[@]}" --check
mv "$generated" "$work/committed"
run_in "$package" "gongzhi-generate" "${generate[@]}"
for file in acme/repairs/v1/repairs.pb.swift acme/repairs/v1/repairs.ttrpc.swift; do
    [ -f "$generated/$file" ] || fail "gongzhi-generate did not write $file"
done
diff -ru "$work/committed" "$generated" || fail "regenerated code differs from the committed code (above)"
grep -q "Regenerate with swift package --allow-writing-to-package-directory gongzhi-generate" \
    "$generated/acme/repairs/v1/repairs.ttrpc.swift" || fail "the stubs' header does not name gongzhi-generate"
grep -q "^import GongzhiSchemas" "$generated/acme/repairs/v1/repairs.pb.swift" \
    || fail "the messages do not import GongzhiSchemas for the sensitive option"
proto="$package/Protos/acme/repairs/v1/repairs.proto"
cp "$proto" "$work/repairs.proto"
printf '\nmessage Extra {\n  string note = 1;\n}\n' >>"$proto"
if (cd "$package" && timeout --foreground "$build_limit" "${generate[@]}" --check) >"$work/stale.log" 2>&1; then
    cat "$work/stale.log" >&2
    fail "gongzhi-generate --check passed with a changed .proto"
fi
grep -q "acme/repairs/v1/repairs.pb.swift (differs)" "$work/stale.log" \
    || { cat "$work/stale.log" >&2; fail "gongzhi-generate --check did not name the stale file"; }
cp "$work/repairs.proto" "$proto"

# 3. Building the plugin and a client that calls it through the host with a token (debug).
say "building the module (the first time, its dependencies too)"
for product in acme-repairs acme-repairs-client; do
    run_in "$package" "build $product" swift build --scratch-path "$scratch" --product "$product"
done
module_bin="$(cd "$package" && swift build --scratch-path "$scratch" --show-bin-path)"
if grep -h ": warning:" "$work"/build_acme-repairs*.log | grep -F "$package/"; then
    fail "the module's code builds with warnings (above)"
fi

# 4. The module's own tests: the testing kit runs a host in the test process, with the real plugin under it.
say "building and running the module's tests"
# The test bundle by name: `--build-tests` after the builds above would also build every executable of the
# dependencies (the host, gongzhictl, protoc, ...), which this package does not need.
run_in "$package" "build the module's tests" swift build --scratch-path "$scratch" --product AcmeRepairsPackageTests
run_in "$package" "the module's tests" swift test --scratch-path "$scratch" --skip-build --disable-swift-testing
grep -qE "Executed [1-9][0-9]* tests?, with 0 failures" "$last_log" \
    || { cat "$last_log" >&2; fail "the module's tests did not all pass"; }

# 5. A host with the module installed from its sealed manifest and enabled in the configuration.
mkdir -p "$work/host"
"$root/Deploy/install-plugin.sh" "$package/acme-repairs.plugin.toml" "$module_bin/acme-repairs" \
    "$work/host/plugins" >/dev/null
grep -q "^sha256 = \"[0-9a-f]\{64\}\"" "$work/host/plugins/acme-repairs.plugin.toml" \
    || fail "install-plugin.sh did not seal the manifest"
cat >"$work/host/gongzhi.toml" <<'TOML'
runtime_dir = "run"
data_dir = "data"
plugin_dir = "plugins"
log_level = "debug"

[supervision]
start_timeout = "60s"

[plugins.acme-repairs]
enabled = true
grants = []
TOML
"$bin/gongzhi-host" --config "$work/host/gongzhi.toml" >"$work/host/host.log" 2>&1 &
host_pid=$!
state=""
for _ in $(seq 1 600); do
    kill -0 "$host_pid" 2>/dev/null || fail "gongzhi-host exited"
    state="$(ctl plugins describe acme-repairs -o json 2>/dev/null | sed -n 's/^ *"state" *: *"\([a-z-]*\)".*/\1/p' || true)"
    [ "$state" = "ready" ] && break
    sleep 0.1
done
[ "$state" = "ready" ] || fail "acme-repairs is '$state', not ready, after 60 s"
say "acme-repairs is ready under gongzhi-host (pid $host_pid)"

issue() {
    ctl tokens issue --client "$1" "${@:2}" -o json | sed -n 's/^ *"token" *: *"\(gzt_[^"]*\)".*/\1/p'
}
clerk_token="$(issue acme-clerk --scope 'acme.repairs.v1.Repairs/*')"
manager_token="$(issue acme-manager --scope 'acme.repairs.v1.Repairs/*' --scope 'gongzhi.host.v1.PersonalData/Read')"
[ -n "$clerk_token" ] && [ -n "$manager_token" ] || fail "gongzhictl tokens issue gave no token"
client() {
    GONGZHI_HOST_SOCKET="$work/host/run/host.sock" GONGZHI_TOKEN="$1" "$module_bin/acme-repairs-client" "${@:2}"
}
phone=13900001111

# ---------------------------------------------------------------------------------------------------------
# gongzhictl services and gongzhictl call: the host's generic client for any module, from the descriptors
# the plugin registered.
# ---------------------------------------------------------------------------------------------------------
say "calling through gongzhictl services and gongzhictl call"
ctl services >"$work/services.txt" 2>&1 || { cat "$work/services.txt" >&2; fail "gongzhictl services"; }
grep -q "acme.repairs.v1.Repairs" "$work/services.txt" \
    || { cat "$work/services.txt" >&2; fail "gongzhictl services does not list acme.repairs.v1.Repairs"; }
answer="$(ctl call acme.repairs.v1.Repairs/Report \
    -d "{\"building\": \"B-0002\", \"problem\": \"楼道灯不亮\", \"reporterName\": \"李师傅\", \"reporterPhone\": \"13900002222\"}")" \
    || fail "gongzhictl call acme.repairs.v1.Repairs/Report"
grep -q "楼道灯不亮" <<<"$answer" || fail "gongzhictl call's answer lacks the problem: $answer"
grep -q "13900002222" <<<"$answer" || fail "an administrator's answer lacks the phone: $answer"
streamed="$(ctl call acme.repairs.v1.Repairs/ListOpen -d '{"building": "B-0002"}')" \
    || fail "gongzhictl call acme.repairs.v1.Repairs/ListOpen"
[ "$(grep -c "楼道灯不亮" <<<"$streamed")" -eq 1 ] || fail "ListOpen through gongzhictl call: $streamed"
if ctl call acme.repairs.v1.Repairs/Report -d '{"bulding": "B-0002"}' >"$work/bad.txt" 2>&1; then
    fail "gongzhictl call took a field the request does not have"
fi
grep -q "bulding" "$work/bad.txt" || { cat "$work/bad.txt" >&2; fail "the refusal does not name the field"; }
admin_shown=1

# 6. Calls with tokens, through host.sock, with the typed client the plugin's package built.
shown="$(client "$manager_token" report B-0001 "3单元电梯停运" 王阿姨 "$phone")" || fail "report with a token"
grep -q "\"reporterPhone\":\"$phone\"" <<<"$shown" || fail "a token with the grant does not see the phone: $shown"
grep -q '"reportedBy":"client:' <<<"$shown" || fail "the plugin did not get the caller from the host: $shown"

hidden="$(client "$clerk_token" report B-0001 "2单元漏水" 赵女士 13900003333)" || fail "report without the grant"
grep -q "2单元漏水" <<<"$hidden" || fail "the answer lacks the problem: $hidden"
if grep -q "13900003333\|reporterPhone" <<<"$hidden"; then
    fail "a token without the grant saw the phone in a unary answer: $hidden"
fi

open="$(client "$clerk_token" open B-0001)" || fail "ListOpen without the grant"
[ "$(grep -c '"building":"B-0001"' <<<"$open")" -eq 2 ] || fail "ListOpen streamed other than 2 repairs: $open"
if grep -q "$phone\|13900003333\|reporterPhone" <<<"$open"; then
    fail "a token without the grant saw a phone in a streamed answer: $open"
fi
grep -q "3单元电梯停运" <<<"$open" || fail "ListOpen lacks the first repair: $open"

if client "$clerk_token" report "" "漏水" 赵女士 13900003333 >"$work/refused.txt" 2>&1; then
    fail "a report without a building was taken"
fi
grep -q "invalidArgument\|INVALID_ARGUMENT\|invalid argument" "$work/refused.txt" \
    && grep -q "the building is empty" "$work/refused.txt" \
    || { cat "$work/refused.txt" >&2; fail "a report without a building was not refused with its reason"; }

# 7. The audit log: one personal-data entry per answer that showed a phone (the manager's report, and the
#    administrator's report and streamed repair through gongzhictl call when it ran), none for the clerk's.
ctl audit --limit 1000 >"$work/audit.txt"
reports="$(grep -c "acme.repairs.v1.Repairs/Report .*personal-data" "$work/audit.txt" || true)"
streams="$(grep -c "acme.repairs.v1.Repairs/ListOpen .*personal-data" "$work/audit.txt" || true)"
if [ "$reports" -ne $((1 + admin_shown)) ] || [ "$streams" -ne "$admin_shown" ]; then
    cat "$work/audit.txt" >&2
    fail "$reports personal-data entries for Report and $streams for ListOpen in the audit log (above)"
fi

# 8. Stopping the host stops the module's process.
stop_host
if pgrep -f "$work/host/plugins/acme-repairs" >/dev/null; then
    fail "acme-repairs outlived its host"
fi
say "ok: generated, built, installed, called through the host; phones hidden without the grant and audited with it"
