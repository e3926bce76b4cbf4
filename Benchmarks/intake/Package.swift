// swift-tools-version:6.1
import PackageDescription

// The intake plugin's benchmark: MQTT QoS 1 readings from paho-mqtt publishers through Mosquitto to intake's
// durable inbox, against Mosquitto's own pass-through to a bare C subscriber; Open311 POSTs (wrk) through
// intake to grid cases, against the host's bare creates; a critical reading's latency to its case; intake's
// memory. A package of its own, because it links the main package's generated clients and transport, which the
// echo runner must not depend on. `Benchmarks/run.sh --intake-only` builds it into `.build-bench-intake-client`
// at the repository's root, and the host and plugins into `.build-bench-intake`.
let package = Package(
    name: "GongzhiIntakeBenchmark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gongzhi-intake-bench", targets: ["gongzhi-intake-bench"])
    ],
    dependencies: [
        .package(name: "Gongzhi", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "gongzhi-intake-bench",
            dependencies: [
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "GongzhiRPCPosix", package: "Gongzhi"),
                .product(name: "GongzhiSchemas", package: "Gongzhi"),
                .product(name: "GongzhiGridSchemas", package: "Gongzhi"),
                .product(name: "GongzhiIntakeSchemas", package: "Gongzhi"),
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
