// swift-tools-version:6.1
import PackageDescription

// The points plugin's benchmark: transfers through gongzhi-host to gongzhi-points against a standard double-entry
// design on PostgreSQL 15 driven by pgbench, and against the host's bare creates. A package of its own, because it
// links the main package's generated clients and transport, which the echo runner must not depend on.
// `Benchmarks/run.sh --points-only` builds it into `.build-bench-points-client` at the repository's root, and the
// host and plugin into `.build-bench-points`.
let package = Package(
    name: "GongzhiPointsBenchmark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gongzhi-points-bench", targets: ["gongzhi-points-bench"])
    ],
    dependencies: [
        .package(name: "Gongzhi", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "gongzhi-points-bench",
            dependencies: [
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "GongzhiRPCPosix", package: "Gongzhi"),
                .product(name: "GongzhiSchemas", package: "Gongzhi"),
                .product(name: "GongzhiPointsSchemas", package: "Gongzhi"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
            ]
        )
    ]
)
