#!/usr/bin/env python3
"""Times shapely 2.x's STRtree on the data that generate.py writes, and checks GridIndex's answers against it.

Timed, on one thread (run with OMP_NUM_THREADS=1; shapely's queries are single-threaded anyway), as CPU time of
the thread, the best of 3 runs (wall times are reported too):
- building the STRtree over the 100,000 polygons;
- the vectorised bulk query of all 1,000,000 points, `tree.query(points, predicate=P)`, for P in "intersects"
  (boundary included, the same meaning as GridIndex), "covered_by" (the same meaning) and "within" (interior only);
- one `tree.query(point, predicate="intersects")` call per point in a Python loop, over the first 100,000 points.
The point geometries are created before the clock starts (their creation is reported apart).

The check: for every point, GridIndex's answer (the position of the polygon in the file, or -1, as written by
gongzhi-geo-bench) must be the polygon of smallest code among those shapely's "intersects" query returns, or -1 when
it returns none. Points on a border shared by several grids (the lattice corners, 1 % of the points) match several
polygons there; GridIndex answers one, the smallest code, so they are compared against that rule too. ("within"
answers nothing for them, which is why it is not used for the check.)

Prints one JSON line.

Usage: shapely_bench.py DATA ANSWERS
"""

import json
import struct
import sys
import time

import numpy as np
import shapely


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"GZGEO1\0\0", f"{path} is not a GZGEO1 file"
    polygons, rings, coordinates, points = struct.unpack_from("<4Q", data, 8)
    offset = 40
    codes = np.frombuffer(data, dtype="S15", count=polygons, offset=offset)
    offset += 15 * polygons
    ring_offsets = np.frombuffer(data, dtype="<u8", count=rings + 1, offset=offset).astype(np.int64)
    offset += 8 * (rings + 1)
    polygon_offsets = np.frombuffer(data, dtype="<u8", count=polygons + 1, offset=offset).astype(np.int64)
    offset += 8 * (polygons + 1)
    coords = np.frombuffer(data, dtype="<f8", count=2 * coordinates, offset=offset).reshape(-1, 2)
    offset += 16 * coordinates
    xy = np.frombuffer(data, dtype="<f8", count=2 * points, offset=offset).reshape(-1, 2)
    geometries = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, np.ascontiguousarray(coords), (ring_offsets, polygon_offsets)
    )
    return codes, geometries, xy


def best_of(runs, function):
    """The smallest CPU time of this thread over `runs` calls (what one core spends, whatever else the machine runs),
    the wall time of that run, and the last result."""
    times = []
    result = None
    for _ in range(runs):
        cpu, wall = time.thread_time(), time.perf_counter()
        result = function()
        times.append((time.thread_time() - cpu, time.perf_counter() - wall))
    cpu, wall = min(times)
    return cpu, wall, result


def main():
    data_path, answers_path = sys.argv[1], sys.argv[2]
    codes, polygons, xy = load(data_path)
    start = time.perf_counter()
    points = shapely.points(xy)
    points_seconds = time.perf_counter() - start

    build_seconds, _, tree = best_of(3, lambda: shapely.STRtree(polygons))

    bulk = {}
    bulk_wall = {}
    results = {}
    for predicate in ("intersects", "covered_by", "within"):
        seconds, wall, result = best_of(3, lambda: tree.query(points, predicate=predicate))
        bulk[predicate] = seconds
        bulk_wall[predicate] = wall
        results[predicate] = result

    loop_count = 100_000
    sample = points[:loop_count]

    def loop():
        query = tree.query
        for point in sample:
            query(point, predicate="intersects")

    loop_seconds, _, _ = best_of(1, loop)

    # The expected answer per point: the matching polygon of smallest code, or -1.
    rank = np.empty(len(codes), dtype=np.int64)
    rank[np.argsort(codes, kind="stable")] = np.arange(len(codes))
    point_index, polygon_index = results["intersects"]
    best_rank = np.full(len(xy), len(codes), dtype=np.int64)
    np.minimum.at(best_rank, point_index, rank[polygon_index])
    matches = np.bincount(point_index, minlength=len(xy))
    by_rank = np.argsort(codes, kind="stable")
    expected = np.where(best_rank < len(codes), by_rank[np.minimum(best_rank, len(codes) - 1)], -1)
    ours = np.fromfile(answers_path, dtype="<i4")
    assert len(ours) == len(xy), "the answers file does not match the points"
    mismatches = int(np.count_nonzero(ours != expected))
    within_point_index, _ = results["within"]
    within_found = np.zeros(len(xy), dtype=bool)
    within_found[within_point_index] = True

    best_predicate = min(bulk, key=bulk.get)
    print(
        json.dumps(
            {
                "impl": "shapely STRtree",
                "shapely": shapely.__version__,
                "geos": shapely.geos_version_string,
                "polygons": len(codes),
                "points": len(xy),
                "points_creation_s": points_seconds,
                "build_ms": build_seconds * 1000,
                "bulk_s": bulk,
                "bulk_ns_per_lookup": {k: v / len(xy) * 1e9 for k, v in bulk.items()},
                "bulk_wall_ns_per_lookup": {k: v / len(xy) * 1e9 for k, v in bulk_wall.items()},
                "best_bulk_predicate": best_predicate,
                "best_bulk_ns_per_lookup": bulk[best_predicate] / len(xy) * 1e9,
                "loop_points": loop_count,
                "loop_ns_per_lookup": loop_seconds / loop_count * 1e9,
                "found_intersects": int(np.count_nonzero(matches)),
                "multiple_matches": int(np.count_nonzero(matches > 1)),
                "found_within": int(np.count_nonzero(within_found)),
                "checked_points": len(xy),
                "mismatches": mismatches,
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
