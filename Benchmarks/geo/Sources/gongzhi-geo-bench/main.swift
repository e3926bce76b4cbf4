// Times GongzhiGeo's GridIndex on the data that generate.py writes: building the index over 100,000 grids, and
// locating 1,000,000 points on one thread. Prints one JSON line; writes the answer for every point (the polygon's
// position in the file, or -1) so that shapely_bench.py can compare.
//
// Usage: gongzhi-geo-bench DATA ANSWERS

import Foundation
import GongzhiGeo

struct BenchmarkData {
    var entries: [GridIndex.Entry]
    var points: [GeoPoint]
}

func load(_ path: String) -> BenchmarkData {
    guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path)") }
    let bytes = [UInt8](data)
    precondition(bytes.starts(with: Array("GZGEO1".utf8) + [0, 0]), "\(path) is not a GZGEO1 file")
    var offset = 8
    func u64() -> Int {
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * index) }
        offset += 8
        return Int(value)
    }
    func f64() -> Double {
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * index) }
        offset += 8
        return Double(bitPattern: bits)
    }
    let polygonCount = u64()
    let ringCount = u64()
    let coordinateCount = u64()
    let pointCount = u64()
    var codes = [String]()
    for _ in 0..<polygonCount {
        codes.append(String(decoding: bytes[offset..<(offset + 15)], as: UTF8.self))
        offset += 15
    }
    let ringOffsets = (0...ringCount).map { _ in u64() }
    let polygonOffsets = (0...polygonCount).map { _ in u64() }
    let coordinates = (0..<coordinateCount).map { _ in GeoPoint(longitude: f64(), latitude: f64()) }
    let points = (0..<pointCount).map { _ in GeoPoint(longitude: f64(), latitude: f64()) }
    var entries = [GridIndex.Entry]()
    entries.reserveCapacity(polygonCount)
    for polygon in 0..<polygonCount {
        let rings = (polygonOffsets[polygon]..<polygonOffsets[polygon + 1]).map {
            Array(coordinates[ringOffsets[$0]..<ringOffsets[$0 + 1]])
        }
        entries.append(
            GridIndex.Entry(code: codes[polygon], polygon: GeoPolygon(outer: rings[0], holes: Array(rings.dropFirst())))
        )
    }
    return BenchmarkData(entries: entries, points: points)
}

func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) * 1e-18
}

/// The time `body` takes: (CPU time of this thread, wall time), in seconds. The CPU time is what one core spends,
/// whatever else the machine runs meanwhile.
func measure(_ body: () -> Void) -> (cpu: Double, wall: Double) {
    func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    let cpuStart = threadCPUTime()
    let wall = ContinuousClock().measure(body)
    return (threadCPUTime() - cpuStart, seconds(wall))
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: gongzhi-geo-bench DATA ANSWERS\n".utf8))
    exit(2)
}
let data = load(arguments[1])

// Every polygon must be valid for the comparison to mean anything.
var invalid = 0
let validationTime = measure {
    for entry in data.entries where !GeoValidation.problems(in: entry.polygon).isEmpty {
        invalid += 1
    }
}

var buildTimes = [(cpu: Double, wall: Double)]()
var index = GridIndex([GridIndex.Entry]())
for _ in 0..<5 {
    buildTimes.append(measure { index = GridIndex(data.entries) })
}

// One locate(_:) call per point.
var answers = [Int32](repeating: -1, count: data.points.count)
var lookupTimes = [(cpu: Double, wall: Double)]()
for _ in 0..<5 {
    lookupTimes.append(
        measure {
            for (position, point) in data.points.enumerated() {
                answers[position] = Int32(index.locate(point) ?? -1)
            }
        }
    )
}
let found = answers.count { $0 >= 0 }

// The batch call, locate(_ points:).
var batchAnswers = [Int?]()
var batchTimes = [(cpu: Double, wall: Double)]()
for _ in 0..<5 {
    batchTimes.append(measure { batchAnswers = index.locate(data.points) })
}
let batchDisagreements = zip(batchAnswers, answers).count { Int32($0 ?? -1) != $1 }

// nearest(to:) on points outside every grid, as for the error message.
let outside = data.points.indices.filter { answers[$0] < 0 }.prefix(10_000).map { data.points[$0] }
var nearestChecksum = 0.0
let nearestTime = measure {
    for point in outside { nearestChecksum += index.nearest(to: point)?.distanceMeters ?? 0 }
}

let answerBytes = answers.withUnsafeBytes { Data($0) }
_ = FileManager.default.createFile(atPath: arguments[2], contents: answerBytes)

let build = buildTimes.min { $0.cpu < $1.cpu }!
let lookup = lookupTimes.min { $0.cpu < $1.cpu }!
let batch = batchTimes.min { $0.cpu < $1.cpu }!
let count = Double(data.points.count)
let result: [String: Any] = [
    "impl": "GongzhiGeo GridIndex",
    "polygons": data.entries.count,
    "points": data.points.count,
    "invalid_polygons": invalid,
    "validation_ms": validationTime.cpu * 1000,
    "build_ms": build.cpu * 1000,
    "build_wall_ms": build.wall * 1000,
    "lookup_ns": lookup.cpu / count * 1e9,
    "lookup_wall_ns": lookup.wall / count * 1e9,
    "lookups_per_sec": count / lookup.cpu,
    "batch_ns": batch.cpu / count * 1e9,
    "batch_wall_ns": batch.wall / count * 1e9,
    "batch_lookups_per_sec": count / batch.cpu,
    "batch_disagreements": batchDisagreements,
    "found": found,
    "nearest_points": outside.count,
    "nearest_us": outside.isEmpty ? 0 : nearestTime.cpu / Double(outside.count) * 1e6,
]
let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
