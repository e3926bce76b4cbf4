// swift-tools-version:6.1
import PackageDescription

// A separate package so that the main package never depends on gRPC. Nothing here is shipped:
// it builds the peers the echo benchmark compares against, and the runner that drives them.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "GongzhiBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "grpc-echo", targets: ["grpc-echo"]),
        .executable(name: "gongzhi-bench", targets: ["gongzhi-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Command-line contract shared by the Swift peers: options, latency statistics, the JSON line.
        // Deliberately free of Foundation so that it adds nothing to a server's memory footprint.
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]
        ),
        // gRPC peer: the echo service over grpc-swift-2's HTTP/2 transport on a Unix-domain socket.
        .executableTarget(
            name: "grpc-echo",
            dependencies: [
                "BenchSupport",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Builds the peers, runs every server/client pair and prints the comparison table.
        .executableTarget(
            name: "gongzhi-bench",
            dependencies: [
                "BenchSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
