#!/usr/bin/env bash
# Installs a plugin into a host's plugin folder: copies the executable and writes its manifest beside
# it, sealed with the executable's SHA-256 (the host refuses an executable that does not match).
#
#   Deploy/install-plugin.sh MANIFEST EXECUTABLE PLUGIN_DIR
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 MANIFEST EXECUTABLE PLUGIN_DIR" >&2
    exit 2
fi
manifest="$1" executable="$2" dir="$3"
[ -f "$manifest" ] || { echo "install-plugin: no manifest at $manifest" >&2; exit 1; }
[ -x "$executable" ] || { echo "install-plugin: $executable is not an executable file" >&2; exit 1; }

name="$(sed -n 's/^name *= *"\(.*\)".*/\1/p' "$manifest" | head -1)"
[ -n "$name" ] || { echo "install-plugin: $manifest has no name" >&2; exit 1; }
base="$(basename "$executable")"

mkdir -p "$dir"
# Copy under a temporary name and rename, so a running plugin's executable is never rewritten in place.
cp "$executable" "$dir/.$base.new"
chmod 0755 "$dir/.$base.new"
mv -f "$dir/.$base.new" "$dir/$base"
sum="$(sha256sum "$dir/$base" | cut -d' ' -f1)"
sed -e "s|^executable *=.*|executable = \"$base\"|" \
    -e "s|^sha256 *=.*|sha256 = \"$sum\"|" \
    "$manifest" > "$dir/.$name.plugin.toml.new"
mv -f "$dir/.$name.plugin.toml.new" "$dir/$name.plugin.toml"
echo "installed $name ($base, sha256 $sum) into $dir"
