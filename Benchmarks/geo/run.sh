#!/usr/bin/env bash
# The grid-lookup benchmark (issue 5): GongzhiGeo's GridIndex against shapely 2.x's STRtree on the same 100,000
# grid polygons and 1,000,000 points, one thread each. Prints a markdown table; raw results go to data/*.json.
#
# Usage: Benchmarks/geo/run.sh   (SWIFT=path/to/swift to choose the toolchain; PYTHON=python3 likewise)
set -euo pipefail
cd "$(dirname "$0")"
SWIFT=${SWIFT:-swift}
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import shapely, numpy; assert int(shapely.__version__.split(".")[0]) >= 2' 2>/dev/null; then
    if [ ! -x .venv/bin/python ]; then
        "$PYTHON" -m venv .venv
        .venv/bin/pip install --quiet 'shapely>=2' numpy
    fi
    PYTHON=.venv/bin/python
fi

mkdir -p data
if [ ! -f data/grids.bin ]; then
    echo "generating data/grids.bin" >&2
    "$PYTHON" generate.py data/grids.bin
fi

"$SWIFT" build -c release --scratch-path .build-geo-bench >&2
.build-geo-bench/release/gongzhi-geo-bench data/grids.bin data/answers.bin > data/gridindex.json
OMP_NUM_THREADS=1 "$PYTHON" shapely_bench.py data/grids.bin data/answers.bin > data/shapely.json

"$PYTHON" - data/gridindex.json data/shapely.json <<'PY'
import json, sys
ours = json.load(open(sys.argv[1]))
theirs = json.load(open(sys.argv[2]))
best = theirs["best_bulk_ns_per_lookup"]
bulk = theirs["bulk_ns_per_lookup"]
rows = [
    ("GridIndex `locate(_ points:)`, batch", ours["batch_ns"], ours["build_ms"]),
    ("GridIndex `locate(_:)`, one call per point", ours["lookup_ns"], ours["build_ms"]),
    ('shapely `tree.query(points, predicate="within")`, bulk', bulk["within"], theirs["build_ms"]),
    ('shapely `tree.query(points, predicate="intersects")`, bulk', bulk["intersects"], theirs["build_ms"]),
    ('shapely `tree.query(points, predicate="covered_by")`, bulk', bulk["covered_by"], theirs["build_ms"]),
    (
        'shapely `tree.query(point, predicate="intersects")`, one call per point',
        theirs["loop_ns_per_lookup"],
        theirs["build_ms"],
    ),
]
print(f"{ours['polygons']:,} polygons, {ours['points']:,} points; shapely {theirs['shapely']} (GEOS {theirs['geos']}); "
      "CPU time of one thread, best of runs")
print()
print("| Lookup | ns per point | points per second | build (ms) | shapely's best bulk ÷ this |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, ns, build in rows:
    print(f"| {name} | {ns:,.0f} | {1e9 / ns:,.0f} | {build:,.0f} | {best / ns:.2f}× |")
print()
print(f"Answers: {ours['found']:,} points in a grid; GridIndex and shapely (intersects, smallest code) disagree on "
      f"{theirs['mismatches']} of {theirs['checked_points']:,} points "
      f"({theirs['multiple_matches']:,} on shared borders); "
      f"the batch call disagrees with single calls on {ours['batch_disagreements']}; "
      f"invalid polygons (GeoValidation): {ours['invalid_polygons']} (checked in {ours['validation_ms']:.0f} ms); "
      f"nearest(to:) for outside points: {ours['nearest_us']:.1f} µs.")
PY
