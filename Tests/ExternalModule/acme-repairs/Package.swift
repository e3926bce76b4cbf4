// swift-tools-version:6.1
import PackageDescription

// A module outside Gongzhi's repository: its own package, depending on Gongzhi for the plugin SDK, the testing
// kit and the schemas' `sensitive` option. Tests/ExternalModule/check.sh builds it, installs it into a host and
// calls it. In a package of your own, name Gongzhi by its URL instead of this checkout's path.
let package = Package(
    name: "AcmeRepairs",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Gongzhi", path: "../../.."),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
    ],
    targets: [
        // The messages and stubs that `swift package gongzhi-generate` writes from Protos/.
        .target(
            name: "AcmeRepairsSchemas",
            dependencies: [
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "GongzhiSchemas", package: "Gongzhi"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The plugin executable that the host starts.
        .executableTarget(
            name: "acme-repairs",
            dependencies: [
                "AcmeRepairsSchemas",
                .product(name: "GongzhiPluginSDK", package: "Gongzhi"),
                .product(name: "GongzhiRPC", package: "Gongzhi"),
            ]
        ),
        // A program calling the module through the host with an API token, as a front end would.
        .executableTarget(
            name: "acme-repairs-client",
            dependencies: [
                "AcmeRepairsSchemas",
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "GongzhiRPCPosix", package: "Gongzhi"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "AcmeRepairsTests",
            dependencies: [
                "AcmeRepairsSchemas",
                .product(name: "GongzhiPluginTesting", package: "Gongzhi"),
                .product(name: "GongzhiRPC", package: "Gongzhi"),
            ]
        ),
    ]
)

for target in package.targets {
    target.swiftSettings = [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]
}
