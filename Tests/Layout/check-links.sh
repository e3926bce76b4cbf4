#!/usr/bin/env bash
# Checks what the platform's parts link, from the package's own description (swift package dump-package):
# the host links no module's messages or logic, and gongzhictl's core library no module's either. A module's
# code reaches a host only as its plugin executable, and gongzhictl only through the module's CLI module.
#
#   Tests/Layout/check-links.sh     prints each checked closure; exits 1 naming what must not be linked
set -euo pipefail
cd "$(dirname "$0")/../.."

description="$(mktemp)"
trap 'rm -f "$description"' EXIT
swift package dump-package > "$description"

python3 - "$description" <<'PY'
import json, sys

package = json.load(open(sys.argv[1]))
targets = {target["name"]: target for target in package["targets"]}
products = {product["name"]: product["targets"] for product in package["products"]}


def closure(roots):
    seen, pending = set(), list(roots)
    while pending:
        name = pending.pop()
        if name in seen or name not in targets:
            continue
        seen.add(name)
        for dependency in targets[name].get("dependencies", []):
            for key in ("byName", "target"):
                if key in dependency:
                    pending.append(dependency[key][0])
    return seen


# A module's own targets: its schema module, its logic, its CLI module (GongzhiSchemas is the platform's).
def is_module_target(name):
    if name == "GongzhiSchemas":
        return False
    return name.endswith("Schemas") or name in (
        "GongzhiGrid", "GongzhiGeo", "GongzhiPoints", "GongzhiMediation", "GongzhiIntake",
        # Intake's MQTT client: only the intake plugin links it.
        "GongzhiMQTT", "CGongzhiMQTT", "CMosquitto",
    ) or (
        name.startswith("Gongzhi") and name.endswith("Control") and name != "GongzhiControl"
    )


checks = [("the host (product gongzhi-host)", products["gongzhi-host"])]
if "GongzhiControl" in targets:
    checks.append(("gongzhictl's core library (target GongzhiControl)", ["GongzhiControl"]))
failed = False
for label, roots in checks:
    linked = closure(roots)
    forbidden = sorted(name for name in linked if is_module_target(name))
    print(f"{label} links: {', '.join(sorted(linked))}")
    if forbidden:
        print(f"check-links: {label} must not link a module's code, but links {', '.join(forbidden)}",
              file=sys.stderr)
        failed = True
sys.exit(1 if failed else 0)
PY
