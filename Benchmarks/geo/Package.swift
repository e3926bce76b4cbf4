// swift-tools-version:6.1
import PackageDescription

// The grid-lookup benchmark (issue 5): times GongzhiGeo's GridIndex on the polygons and points that generate.py
// writes, for comparison with shapely's STRtree (shapely_bench.py). `run.sh` runs both.
//
let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "GongzhiGeoBenchmark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gongzhi-geo-bench", targets: ["gongzhi-geo-bench"])
    ],
    dependencies: [
        .package(name: "Gongzhi", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "gongzhi-geo-bench",
            dependencies: [.product(name: "GongzhiGeo", package: "Gongzhi")],
            swiftSettings: settings
        )
    ]
)
