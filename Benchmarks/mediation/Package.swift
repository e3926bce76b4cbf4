// swift-tools-version:6.1
import PackageDescription

// The mediation plugin's benchmark: Stats and the list of disputes with an overdue clock through gongzhi-host to
// gongzhi-mediation, against the host's own List of the same Dispute objects, with 100,000 disputes stored, and the
// plugin's memory per dispute. A package of its own, because it links the main package's generated clients and
// transport, which the echo runner must not depend on. `Benchmarks/run.sh --mediation-only` builds it into
// `.build-bench-mediation-client` at the repository's root, and the host and plugin into `.build-bench-mediation`.
let package = Package(
    name: "GongzhiMediationBenchmark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gongzhi-mediation-bench", targets: ["gongzhi-mediation-bench"])
    ],
    dependencies: [
        .package(name: "Gongzhi", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "gongzhi-mediation-bench",
            dependencies: [
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "GongzhiRPCPosix", package: "Gongzhi"),
                .product(name: "GongzhiSchemas", package: "Gongzhi"),
                .product(name: "GongzhiMediationSchemas", package: "Gongzhi"),
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
