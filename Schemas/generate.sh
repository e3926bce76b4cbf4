#!/usr/bin/env bash
# Regenerates every piece of code generated from Schemas/: Swift messages (protoc-gen-swift) and typed
# ttrpc service stubs (protoc-gen-gongzhi-ttrpc, built from this package).
#
#   Schemas/generate.sh           rewrite the generated files in Sources/
#   Schemas/generate.sh --check   regenerate into a temporary folder and fail if anything differs
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mode="${1:-write}"

if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/any.proto ]; then
    echo "generate: installing protoc (protobuf-compiler, libprotobuf-dev)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
fi

scratch="${GONGZHI_CODEGEN_SCRATCH:-$root/.build}"
swift build --scratch-path "$scratch" --product protoc-gen-swift >&2
swift build --scratch-path "$scratch" --product protoc-gen-gongzhi-ttrpc >&2
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"

out="$root"
if [ "$mode" = "--check" ]; then
    out="$(mktemp -d)"
    trap 'rm -rf "$out"' EXIT
fi

# One protoc run per Swift module: (module, generated folder, proto files relative to Schemas/).
generate() {
    local module="$1" dir="$2"
    shift 2
    local target="$out/$dir"
    rm -rf "$target"
    mkdir -p "$target"
    protoc \
        --proto_path="$root/Schemas" --proto_path=/usr/include \
        --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
        --plugin=protoc-gen-gongzhi-ttrpc="$bin/protoc-gen-gongzhi-ttrpc" \
        --swift_opt=Visibility=Public --swift_out="$target" \
        --gongzhi-ttrpc_opt=Visibility=Public --gongzhi-ttrpc_out="$target" \
        "$@"
}

generate GongzhiRPC Sources/GongzhiRPC/Generated \
    gongzhi/rpc/v1/envelope.proto
generate GongzhiSchemas Sources/GongzhiSchemas/Generated \
    gongzhi/plugin/v1/plugin.proto \
    gongzhi/host/v1/registration.proto \
    gongzhi/host/v1/admin.proto \
    gongzhi/example/v1/noticeboard.proto \
    gongzhi/test/v1/echo.proto \
    gongzhi/test/v1/probe.proto

if [ "$mode" = "--check" ]; then
    status=0
    for dir in Sources/GongzhiRPC/Generated Sources/GongzhiSchemas/Generated; do
        if ! diff -ru "$root/$dir" "$out/$dir"; then status=1; fi
    done
    if [ $status -ne 0 ]; then
        echo "generate: the committed generated code differs from what Schemas/ produces;" \
            "run Schemas/generate.sh and commit the result" >&2
        exit 1
    fi
    echo "generate: generated code is up to date"
fi
