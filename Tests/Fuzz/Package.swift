// swift-tools-version:6.1
// The libFuzzer target for frame decoding and envelope decoding. It is a package of its own so that
// the main package never builds it: it links only with `-sanitize=fuzzer` (see run-fuzz.sh).
import PackageDescription

let package = Package(
    name: "GongzhiFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Gongzhi", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // As in the main package: without the default trait, which pulls in all of Foundation.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "GongzhiFuzz",
            dependencies: [
                "CLibFuzzerDriver",
                .product(name: "GongzhiRPC", package: "Gongzhi"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Declares libFuzzer's driver entry point for Swift.
        .target(name: "CLibFuzzerDriver"),
    ]
)
