#!/usr/bin/env python3
"""Writes the grid-lookup benchmark's data: 100,000 grid polygons and 1,000,000 query points.

The polygons tile a city-sized area (about 59 km x 60 km around Beijing) like real grids do: a 316 x 316 lattice
of jittered corners, every lattice edge split by 0, 1 or 2 jittered points shared by both cells it borders, so each
cell is an irregular polygon of 4 to 12 distinct vertices whose borders are exactly the same doubles as its
neighbours'. 288 cells have a hexagonal hole; 144 of those holes are filled by an island grid with the same ring.
That is 99,856 + 144 = 100,000 polygons. Codes are 15 digits (110105 district, 3 street, 3 community, 3 sequence)
given in a shuffled order, so that code order is not file order.

Points, shuffled: 94 % uniform over the lattice's extent, 5 % in a band around it (outside every grid), and 1 %
exactly on lattice corners (on the border of up to four grids).

Format (little-endian): magic b"GZGEO1\\0\\0"; u64 polygons, rings, coordinates, points; polygons x 15 bytes of code;
(rings + 1) x u64 ring offsets into coordinates; (polygons + 1) x u64 polygon offsets into rings; coordinates x
2 f64 (longitude, latitude), rings closed; points x 2 f64. The ring and polygon offsets are shapely's ragged layout.

Usage: generate.py OUTPUT [--seed N]
"""

import argparse
import struct

import numpy as np

COLUMNS = ROWS = 316
HOLES = 288
ISLANDS = 144
POINTS = 1_000_000
ORIGIN = (116.10, 39.70)
CELL = (0.0022, 0.0017)  # about 188 m x 189 m at 39.9 N


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    # Lattice corners, jittered by up to 15 % of a cell.
    ci, cj = np.meshgrid(np.arange(COLUMNS + 1), np.arange(ROWS + 1), indexing="ij")
    corner_x = ORIGIN[0] + (ci + rng.uniform(-0.15, 0.15, ci.shape)) * CELL[0]
    corner_y = ORIGIN[1] + (cj + rng.uniform(-0.15, 0.15, cj.shape)) * CELL[1]

    def split(ax, ay, bx, by, count, normal_scale):
        """Intermediate points of edge a-b: evenly spaced, pushed sideways by up to 12 % of a cell."""
        points = []
        for k in range(count):
            t = (k + 1) / (count + 1) + rng.uniform(-0.05, 0.05)
            offset = rng.uniform(-0.12, 0.12)
            x = ax + t * (bx - ax) + offset * normal_scale[0]
            y = ay + t * (by - ay) + offset * normal_scale[1]
            points.append((x, y))
        return points

    # Horizontal edges (i, j): corner (i, j) to (i + 1, j); vertical edges (i, j): corner (i, j) to (i, j + 1).
    horizontal = {}
    for i in range(COLUMNS):
        for j in range(ROWS + 1):
            count = int(rng.integers(0, 3))
            horizontal[i, j] = split(
                corner_x[i, j], corner_y[i, j], corner_x[i + 1, j], corner_y[i + 1, j], count, (0, CELL[1])
            )
    vertical = {}
    for i in range(COLUMNS + 1):
        for j in range(ROWS):
            count = int(rng.integers(0, 3))
            vertical[i, j] = split(
                corner_x[i, j], corner_y[i, j], corner_x[i, j + 1], corner_y[i, j + 1], count, (CELL[0], 0)
            )

    holed = set(rng.choice(COLUMNS * ROWS, HOLES, replace=False).tolist())
    islands = []
    polygons = []  # each a list of rings, each a list of (x, y), closed
    for i in range(COLUMNS):
        for j in range(ROWS):
            ring = [(corner_x[i, j], corner_y[i, j])]
            ring += horizontal[i, j]
            ring.append((corner_x[i + 1, j], corner_y[i + 1, j]))
            ring += vertical[i + 1, j]
            ring.append((corner_x[i + 1, j + 1], corner_y[i + 1, j + 1]))
            ring += list(reversed(horizontal[i, j + 1]))
            ring.append((corner_x[i, j + 1], corner_y[i, j + 1]))
            ring += list(reversed(vertical[i, j]))
            ring.append(ring[0])
            rings = [ring]
            if i * ROWS + j in holed:
                cx = (corner_x[i, j] + corner_x[i + 1, j] + corner_x[i + 1, j + 1] + corner_x[i, j + 1]) / 4
                cy = (corner_y[i, j] + corner_y[i + 1, j] + corner_y[i + 1, j + 1] + corner_y[i, j + 1]) / 4
                angles = np.arange(6) * np.pi / 3
                hexagon = [(cx + 0.18 * CELL[0] * np.cos(a), cy + 0.18 * CELL[1] * np.sin(a)) for a in angles]
                hexagon.append(hexagon[0])
                rings.append(list(reversed(hexagon)))  # holes clockwise
                if len(islands) < ISLANDS:
                    islands.append([hexagon])
            polygons.append(rings)
    polygons += islands
    assert len(polygons) == 100_000, len(polygons)

    # Codes: 110105 + street 001-100 + community 001-100 + sequence 001-010, assigned in a shuffled order.
    numbers = rng.permutation(len(polygons))
    codes = [
        b"110105%03d%03d%03d" % (n // 1000 + 1, (n // 10) % 100 + 1, n % 10 + 1) for n in numbers.tolist()
    ]

    ring_offsets = [0]
    polygon_offsets = [0]
    coordinates = []
    for rings in polygons:
        for ring in rings:
            coordinates += ring
            ring_offsets.append(len(coordinates))
        polygon_offsets.append(len(ring_offsets) - 1)

    width = COLUMNS * CELL[0]
    height = ROWS * CELL[1]
    inside_count = POINTS * 94 // 100
    outside_count = POINTS * 5 // 100
    corner_count = POINTS - inside_count - outside_count
    inside = np.column_stack([
        ORIGIN[0] + rng.uniform(0, width, inside_count),
        ORIGIN[1] + rng.uniform(0, height, inside_count),
    ])
    # A band of 5 % of the extent around it, beyond the jittered border.
    margin_x, margin_y = 0.05 * width, 0.05 * height
    outside = []
    while len(outside) < outside_count:
        x = ORIGIN[0] - margin_x + rng.uniform(0, width + 2 * margin_x, outside_count)
        y = ORIGIN[1] - margin_y + rng.uniform(0, height + 2 * margin_y, outside_count)
        beyond = (x < ORIGIN[0] - 0.5 * CELL[0]) | (x > ORIGIN[0] + width + 0.5 * CELL[0])
        beyond |= (y < ORIGIN[1] - 0.5 * CELL[1]) | (y > ORIGIN[1] + height + 0.5 * CELL[1])
        outside += list(zip(x[beyond].tolist(), y[beyond].tolist()))
    outside = np.array(outside[:outside_count])
    pick_i = rng.integers(0, COLUMNS + 1, corner_count)
    pick_j = rng.integers(0, ROWS + 1, corner_count)
    corners = np.column_stack([corner_x[pick_i, pick_j], corner_y[pick_i, pick_j]])
    points = np.concatenate([inside, outside, corners])
    points = points[rng.permutation(len(points))]

    with open(args.output, "wb") as out:
        out.write(b"GZGEO1\0\0")
        out.write(struct.pack("<4Q", len(polygons), len(ring_offsets) - 1, len(coordinates), len(points)))
        out.write(b"".join(codes))
        out.write(np.asarray(ring_offsets, dtype="<u8").tobytes())
        out.write(np.asarray(polygon_offsets, dtype="<u8").tobytes())
        out.write(np.asarray(coordinates, dtype="<f8").tobytes())
        out.write(np.ascontiguousarray(points, dtype="<f8").tobytes())


if __name__ == "__main__":
    main()
