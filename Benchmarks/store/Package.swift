// swift-tools-version:6.1
import PackageDescription

// The object-store benchmark's client: a package of its own beside the echo benchmark's, because it links the
// main package's generated Objects client and transport, which the echo runner must not depend on. The runner
// (`gongzhi-bench --store-only`) builds it into `.build-bench-store` at the repository's root.
let package = Package(
    name: "GongzhiStoreBenchmark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gongzhi-store-bench", targets: ["gongzhi-store-bench"])
    ],
    dependencies: [
        .package(name: "Gongzhi", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "gongzhi-store-bench",
            dependencies: [
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "GongzhiRPCPosix", package: "Gongzhi"),
                .product(name: "GongzhiSchemas", package: "Gongzhi"),
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
