// swift-tools-version:6.1
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Gongzhi",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GongzhiRPC", targets: ["GongzhiRPC"]),
        .library(name: "GongzhiRPCPosix", targets: ["GongzhiRPCPosix"]),
        .library(name: "GongzhiRPCLifecycle", targets: ["GongzhiRPCLifecycle"]),
        .library(name: "GongzhiSchemas", targets: ["GongzhiSchemas"]),
        .executable(name: "protoc-gen-gongzhi-ttrpc", targets: ["protoc-gen-gongzhi-ttrpc"]),
        .executable(name: "gongzhi-echo", targets: ["gongzhi-echo"]),
        .executable(name: "gongzhi-echo-server", targets: ["gongzhi-echo-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Without the default BinaryDelimitedStreams trait, which pulls in all of Foundation (and ICU).
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The wire: frames, envelopes, status codes, stream states, call abstractions. No sockets.
        .target(
            name: "GongzhiRPC",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Unix-domain-socket transport on SwiftNIO: server and client.
        .target(
            name: "GongzhiRPCPosix",
            dependencies: [
                "GongzhiRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Runs an RPCServer as a swift-service-lifecycle Service.
        .target(
            name: "GongzhiRPCLifecycle",
            dependencies: [
                "GongzhiRPCPosix",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Messages and typed service stubs generated from Schemas/.
        .target(
            name: "GongzhiSchemas",
            dependencies: [
                "GongzhiRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // protoc plugin that writes typed client and server stubs for the services in Schemas/.
        .executableTarget(
            name: "protoc-gen-gongzhi-ttrpc",
            dependencies: [
                .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf")
            ]
        ),
        // The echo test service, its interoperability checks and its benchmark client.
        .target(
            name: "GongzhiEcho",
            dependencies: [
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The echo service as a lean server process: used by end-to-end tests, interop and benchmarks.
        .executableTarget(
            name: "gongzhi-echo-server",
            dependencies: [
                "GongzhiEcho",
                "GongzhiRPCPosix",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Client commands for the echo service: interoperability checks and the benchmark client.
        .executableTarget(
            name: "gongzhi-echo",
            dependencies: [
                "GongzhiEcho",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "GongzhiTestSupport",
            dependencies: [
                "GongzhiEcho",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/GongzhiTestSupport"
        ),
        .testTarget(
            name: "GongzhiRPCTests",
            dependencies: [
                "GongzhiRPC",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiRPCPosixTests",
            dependencies: [
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                "GongzhiEcho",
                "GongzhiTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
