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
        .library(name: "GongzhiGridSchemas", targets: ["GongzhiGridSchemas"]),
        .library(name: "GongzhiPointsSchemas", targets: ["GongzhiPointsSchemas"]),
        .library(name: "GongzhiMediationSchemas", targets: ["GongzhiMediationSchemas"]),
        .library(name: "GongzhiSensorsSchemas", targets: ["GongzhiSensorsSchemas"]),
        .library(name: "GongzhiIntakeSchemas", targets: ["GongzhiIntakeSchemas"]),
        .library(name: "GongzhiExampleSchemas", targets: ["GongzhiExampleSchemas"]),
        .executable(name: "protoc-gen-gongzhi-ttrpc", targets: ["protoc-gen-gongzhi-ttrpc"]),
        // `swift package --allow-writing-to-package-directory gongzhi-generate` in a module's own package.
        .plugin(name: "GongzhiGenerate", targets: ["GongzhiGenerate"]),
        .executable(name: "gongzhi-echo", targets: ["gongzhi-echo"]),
        .executable(name: "gongzhi-echo-server", targets: ["gongzhi-echo-server"]),
        .library(name: "GongzhiHost", targets: ["GongzhiHost"]),
        .library(name: "GongzhiPluginSDK", targets: ["GongzhiPluginSDK"]),
        .library(name: "GongzhiPluginTesting", targets: ["GongzhiPluginTesting"]),
        .executable(name: "gongzhi-host", targets: ["gongzhi-host"]),
        .executable(name: "gongzhictl", targets: ["gongzhictl"]),
        .executable(name: "gongzhi-noticeboard", targets: ["gongzhi-noticeboard"]),
        .library(name: "CGongzhiPlugin", targets: ["CGongzhiPlugin"]),
        .executable(name: "gongzhi-sensors", targets: ["gongzhi-sensors"]),
        .executable(name: "gongzhi-grid", targets: ["gongzhi-grid"]),
        .executable(name: "gongzhi-points", targets: ["gongzhi-points"]),
        .executable(name: "gongzhi-mediation", targets: ["gongzhi-mediation"]),
        .executable(name: "gongzhi-intake", targets: ["gongzhi-intake"]),
        .library(name: "GongzhiGeo", targets: ["GongzhiGeo"]),
        .executable(name: "gongzhi-samples", targets: ["gongzhi-samples"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Without the default BinaryDelimitedStreams trait, which pulls in all of Foundation (and ICU).
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Open311's HTTP server; without the ConfigurationSupport and FullFoundation traits.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
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
                "CGongzhiConcurrencyHook",
                "CGongzhiMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Sets Swift concurrency's global-executor hook for EventLoopExecutor (also with a static runtime).
        .target(name: "CGongzhiConcurrencyHook"),
        // Sets glibc's allocator thresholds (mallopt) for MallocSettings.
        .target(name: "CGongzhiMalloc"),
        // Starts a plugin as its own user: fork, drop to the user's ids, close the host's descriptors on exec, execve.
        .target(name: "CGongzhiSpawn"),
        // Runs an RPCServer as a swift-service-lifecycle Service.
        .target(
            name: "GongzhiRPCLifecycle",
            dependencies: [
                "GongzhiRPCPosix",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The platform's messages and typed service stubs generated from Schemas/: core kinds, host, plugin.
        .target(
            name: "GongzhiSchemas",
            dependencies: [
                "GongzhiRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // One schema module per module that owns messages: the host links none of them.
        .target(
            name: "GongzhiGridSchemas",
            dependencies: [
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "GongzhiPointsSchemas",
            dependencies: [
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "GongzhiMediationSchemas",
            dependencies: [
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "GongzhiSensorsSchemas",
            dependencies: [
                "GongzhiRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "GongzhiIntakeSchemas",
            dependencies: [
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiGridSchemas",
                "GongzhiSensorsSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "GongzhiExampleSchemas",
            dependencies: [
                "GongzhiRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The echo and probe services of the tests, the interoperability checks and the benchmarks.
        .target(
            name: "GongzhiTestSchemas",
            dependencies: [
                "GongzhiRPC",
                "GongzhiSchemas",
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
        // The command that generates a module's messages and stubs into its own package (gongzhi-generate.json).
        .plugin(
            name: "GongzhiGenerate",
            capability: .command(
                intent: .custom(
                    verb: "gongzhi-generate",
                    description: "Generate Swift messages and ttrpc stubs from a module's .proto files"
                ),
                permissions: [
                    .writeToPackageDirectory(reason: "to write the generated Swift files into the module's targets")
                ]
            ),
            // No tool dependencies: the command builds protoc-gen-swift and protoc-gen-gongzhi-ttrpc when it
            // runs, so that `swift build` of this package, and of every package depending on it, does not
            // build them a second time as plugin tools.
            path: "Sources/GongzhiGenerate"
        ),
        // The echo test service, its interoperability checks and its benchmark client.
        .target(
            name: "GongzhiEcho",
            dependencies: [
                "GongzhiTestSchemas",
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
                "GongzhiTestSchemas",
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
        // Documents people write and read: JSON values with their lines, a line-aware JSON reader and writer,
        // JSON's string escapes, YAML's plain scalars. No dependencies.
        .target(name: "GongzhiDocuments"),
        // The kinds of objects: the core kinds' schemas, their sensitive fields, wire-level redaction.
        .target(
            name: "GongzhiObjects",
            dependencies: [
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The object store: objects with one global revision, transactions, change history; SQLite (GRDB)
        // is the embedded backend.
        .target(
            name: "GongzhiStore",
            dependencies: [
                "GongzhiDocuments",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C interface, for the point reads that skip GRDB's per-read transaction.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // SHA-256 in C (fast even in debug builds, where plugin executables are hashed).
        .target(name: "CGongzhiSHA256"),
        // SHA-256 and hex in Swift, on CGongzhiSHA256: for the host and the grid alike.
        .target(
            name: "GongzhiHashing",
            dependencies: ["CGongzhiSHA256"]
        ),
        // The host: configuration, plugin manifests, supervision, registration, routing, grants, audit.
        .target(
            name: "GongzhiHost",
            dependencies: [
                "CGongzhiSpawn",
                "GongzhiHashing",
                "GongzhiObjects",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                "GongzhiStore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The host daemon.
        .executableTarget(
            name: "gongzhi-host",
            dependencies: [
                "GongzhiHost",
                "GongzhiRPCPosix",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What a plugin author imports: serve services, register with the host, call the host.
        .target(
            name: "GongzhiPluginSDK",
            dependencies: [
                "GongzhiObjects",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Starts a real host with an author's plugins inside a test.
        .target(
            name: "GongzhiPluginTesting",
            dependencies: [
                "GongzhiHost",
                "GongzhiPluginSDK",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The admin CLI's core verbs, their output, and the plumbing that modules' command lines share; as a
        // library so that tests can run them. It links no module's messages or logic.
        .target(
            name: "GongzhiControl",
            dependencies: [
                "GongzhiDocuments",
                "GongzhiObjects",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // `gongzhictl grid …`: the grid module's command line.
        .target(
            name: "GongzhiGridControl",
            dependencies: [
                "GongzhiControl",
                "GongzhiDocuments",
                "GongzhiGeo",
                "GongzhiGrid",
                "GongzhiGridSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // `gongzhictl points …`: the points module's command line.
        .target(
            name: "GongzhiPointsControl",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiControl",
                "GongzhiPointsSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // `gongzhictl mediation …`: the mediation module's command line.
        .target(
            name: "GongzhiMediationControl",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiControl",
                "GongzhiDocuments",
                "GongzhiMediation",
                "GongzhiMediationSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // `gongzhictl sensors …`: the sensor adapter's command line.
        .target(
            name: "GongzhiSensorsControl",
            dependencies: [
                "GongzhiControl",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiSensorsSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // `gongzhictl intake …`: the smart-city data intake module's command line.
        .target(
            name: "GongzhiIntakeControl",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiControl",
                "GongzhiHashing",
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiSensorsSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The admin CLI: the core verbs and the modules' command lines.
        .executableTarget(
            name: "gongzhictl",
            dependencies: [
                "GongzhiControl",
                "GongzhiGridControl",
                "GongzhiIntakeControl",
                "GongzhiMediationControl",
                "GongzhiPointsControl",
                "GongzhiSensorsControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The example plugin: a community notice board.
        .executableTarget(
            name: "gongzhi-noticeboard",
            dependencies: [
                "GongzhiExampleSchemas",
                "GongzhiPluginSDK",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Plugins/noticeboard",
            exclude: ["noticeboard.plugin.toml"]
        ),
        // Points and polygons: point-in-polygon, a spatial index of grids, polygon checks, distances.
        .target(name: "GongzhiGeo", dependencies: ["GongzhiDocuments"]),
        // The grid plugin's logic without I/O: the case workflow, categories, escalation, duplicates, stats.
        .target(
            name: "GongzhiGrid",
            dependencies: [
                "GongzhiGridSchemas",
                "GongzhiDocuments",
                "GongzhiGeo",
                "GongzhiHashing",
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The grid-management plugin (网格化管理).
        .executableTarget(
            name: "gongzhi-grid",
            dependencies: [
                "GongzhiGridSchemas",
                "GongzhiMediationSchemas",
                "GongzhiGeo",
                "GongzhiGrid",
                "GongzhiPluginSDK",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Plugins/grid",
            exclude: ["grid.plugin.toml"]
        ),
        // Days, months and legal periods in China Standard Time, for the modules' rules (caps, lots, deadlines).
        .target(name: "GongzhiCalendar"),
        // The points ledger without I/O: accounts, transfers, lots, caps, the hash chain, reports.
        .target(
            name: "GongzhiPoints",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiPointsSchemas",
                "GongzhiHashing",
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // People's mediation (人民调解) without I/O: the procedure, the agreement checker, the legal clocks,
        // the figures.
        .target(
            name: "GongzhiMediation",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiMediationSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Smart-city data intake (城市大脑数据接入) without I/O: source mappings, decoders, dedupe, routing,
        // the alert coalescer, the conservation ledger, Open311's wording and writers.
        .target(
            name: "GongzhiIntake",
            dependencies: [
                "GongzhiHashing",
                "GongzhiGridSchemas",
                "GongzhiIntakeSchemas",
                "GongzhiSensorsSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Intake's durable inbox, conservation counters, dedupe memory and telemetry: one SQLite file.
        .target(
            name: "GongzhiIntakeStore",
            dependencies: [
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiSensorsSchemas",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Open311 GeoReport v2 over HTTP on Hummingbird: one endpoint per Open311 source, as a Service.
        .target(
            name: "GongzhiOpen311",
            dependencies: [
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The points-exchange plugin (积分兑换).
        .executableTarget(
            name: "gongzhi-points",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiPointsSchemas",
                "GongzhiPoints",
                "GongzhiGridSchemas",
                "GongzhiPluginSDK",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Plugins/points",
            exclude: ["points.plugin.toml"]
        ),
        // The people's mediation plugin (人民调解).
        .executableTarget(
            name: "gongzhi-mediation",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiGridSchemas",
                "GongzhiHashing",
                "GongzhiMediation",
                "GongzhiMediationSchemas",
                "GongzhiPluginSDK",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Plugins/mediation",
            exclude: ["mediation.plugin.toml"]
        ),
        // The smart-city data intake plugin (城市大脑数据接入): MQTT, Open311 and department files.
        .executableTarget(
            name: "gongzhi-intake",
            dependencies: [
                "GongzhiGridSchemas",
                "GongzhiHashing",
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiIntakeStore",
                "GongzhiMQTT",
                "GongzhiOpen311",
                "GongzhiPluginSDK",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                "GongzhiSensorsSchemas",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Plugins/intake",
            exclude: ["intake.plugin.toml"]
        ),
        // libprotobuf-c, the protobuf runtime of the C plugin SDK.
        .systemLibrary(
            name: "CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        // The plugin SDK for C (plain C99 on libprotobuf-c); also built on its own by its Makefile.
        .target(
            name: "CGongzhiPlugin",
            dependencies: ["CProtobufC"],
            exclude: ["Makefile", "README.md"],
            cSettings: [.headerSearchPath("generated")]
        ),
        // The smart-city sensor adapter, a plugin written in C with the C SDK.
        .executableTarget(
            name: "gongzhi-sensors",
            dependencies: ["CGongzhiPlugin", "CProtobufC"],
            path: "Plugins/sensors",
            exclude: ["Makefile", "sensors.plugin.toml", "thresholds.example.conf"],
            cSettings: [.headerSearchPath("generated")]
        ),
        // Writes the sample district's objects (synthetic, deterministic) for `gongzhictl apply -f`.
        .executableTarget(
            name: "gongzhi-samples",
            dependencies: [
                "GongzhiSchemas",
                "GongzhiPointsSchemas",
                "GongzhiMediationSchemas",
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Deploy/samples/generator"
        ),
        // libmosquitto, the MQTT client library under GongzhiMQTT.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // An MQTT v5 session on libmosquitto that acknowledges a batch only when told to (C99; also built on its
        // own by its Makefile for its C tests).
        .target(
            name: "CGongzhiMQTT",
            dependencies: ["CMosquitto"],
            exclude: ["Makefile"]
        ),
        // MQTT sources for the intake plugin: a receiver that hands batches over and acknowledges them after they
        // were committed, reconnecting and pausing. Only the intake plugin links it.
        .target(
            name: "GongzhiMQTT",
            dependencies: [
                "CGongzhiMQTT",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // GongzhiMQTT against a real mosquitto.
        .testTarget(
            name: "GongzhiMQTTTests",
            dependencies: [
                "GongzhiMQTT",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A plugin for the host's end-to-end tests: echo, probes, and misbehaviour on request.
        .executableTarget(
            name: "gongzhi-test-plugin",
            dependencies: [
                "GongzhiTestSchemas",
                "GongzhiPluginSDK",
                "GongzhiEcho",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Plugins/gongzhi-test-plugin"
        ),
        // Seeded random values for tests: a failing test prints its seed, GONGZHI_TEST_SEED replays it.
        .target(
            name: "GongzhiTestSeeds",
            path: "Tests/GongzhiTestSeeds"
        ),
        .target(
            name: "GongzhiTestSupport",
            dependencies: [
                "GongzhiTestSchemas",
                "GongzhiEcho",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Tests/GongzhiTestSupport"
        ),
        .testTarget(
            name: "GongzhiRPCTests",
            dependencies: [
                "GongzhiTestSeeds",
                "GongzhiSensorsSchemas",
                "GongzhiTestSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiRPCPosixTests",
            dependencies: [
                "GongzhiTestSchemas",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                "GongzhiEcho",
                "GongzhiTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GongzhiHashingTests",
            dependencies: [
                "GongzhiTestSeeds",
                "GongzhiHashing",
                "GongzhiTestSupport",
            ]
        ),
        .testTarget(
            name: "GongzhiPluginSDKTests",
            dependencies: [
                "GongzhiPluginSDK",
                "GongzhiPluginTesting",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiHostTests",
            dependencies: [
                "GongzhiTestSeeds",
                "GongzhiHashing",
                "GongzhiHost",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiObjectsTests",
            dependencies: [
                "GongzhiTestSeeds",
                "GongzhiObjects",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiStoreTests",
            dependencies: [
                "GongzhiTestSeeds",
                "GongzhiStore",
                "GongzhiTestSupport",
            ]
        ),
        // What the tests of gongzhictl's core and of modules' command lines share: a console that runs a command
        // line in-process, a fixed clock, the Objects service in memory.
        .target(
            name: "GongzhiControlTestSupport",
            dependencies: [
                "GongzhiControl",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tests/GongzhiControlTestSupport"
        ),
        .testTarget(
            name: "GongzhiControlTests",
            dependencies: [
                "GongzhiTestSeeds",
                "GongzhiExampleSchemas",
                "GongzhiDocuments",
                "GongzhiGridSchemas",
                "GongzhiTestSchemas",
                "GongzhiControl",
                "GongzhiControlTestSupport",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiGridControlTests",
            dependencies: [
                "GongzhiControl",
                "GongzhiControlTestSupport",
                "GongzhiGridControl",
                "GongzhiGridSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GongzhiPointsControlTests",
            dependencies: [
                "GongzhiControl",
                "GongzhiControlTestSupport",
                "GongzhiPointsControl",
                "GongzhiPointsSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GongzhiMediationControlTests",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiControl",
                "GongzhiControlTestSupport",
                "GongzhiMediationControl",
                "GongzhiMediationSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GongzhiPointsTests",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiPointsSchemas",
                "GongzhiPoints",
                "GongzhiSchemas",
                "GongzhiTestSeeds",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiMediationTests",
            dependencies: [
                "GongzhiCalendar",
                "GongzhiMediationSchemas",
                "GongzhiMediation",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiIntakeTests",
            dependencies: [
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiGridSchemas",
                "GongzhiSensorsSchemas",
                "GongzhiTestSeeds",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The intake store against temporary SQLite files: conservation, exactly-once finishing, telemetry.
        .testTarget(
            name: "GongzhiIntakeStoreTests",
            dependencies: [
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiIntakeStore",
                "GongzhiSensorsSchemas",
                "GongzhiTestSeeds",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The Open311 server on a real port, with curl as the client.
        .testTarget(
            name: "GongzhiOpen311Tests",
            dependencies: [
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiOpen311",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The points plugin's engine against an in-process host.
        .testTarget(
            name: "PointsPluginTests",
            dependencies: [
                "gongzhi-points",
                "GongzhiPoints",
                "GongzhiPointsSchemas",
                "GongzhiGridSchemas",
                "GongzhiPluginSDK",
                "GongzhiPluginTesting",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The mediation plugin's desk and queries against an in-process host (the plugin's types by @testable import).
        // The intake plugin's settings, pipeline rules and desk (the plugin's types by @testable import).
        .testTarget(
            name: "IntakePluginTests",
            dependencies: [
                "gongzhi-intake",
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiIntakeStore",
                "GongzhiPluginSDK",
                "GongzhiPluginTesting",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "MediationPluginTests",
            dependencies: [
                "gongzhi-mediation",
                "GongzhiGridSchemas",
                "GongzhiMediation",
                "GongzhiMediationSchemas",
                "GongzhiPluginSDK",
                "GongzhiPluginTesting",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The intake commands against an in-process host on a real socket, and the import's chunking.
        .testTarget(
            name: "GongzhiIntakeControlTests",
            dependencies: [
                "GongzhiControl",
                "GongzhiControlTestSupport",
                "GongzhiIntakeControl",
                "GongzhiIntakeSchemas",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiSensorsSchemas",
                "GongzhiTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "GongzhiSensorsControlTests",
            dependencies: [
                "GongzhiControl",
                "GongzhiControlTestSupport",
                "GongzhiRPC",
                "GongzhiSensorsControl",
                "GongzhiSensorsSchemas",
                "GongzhiTestSupport",
            ]
        ),
        .testTarget(
            name: "GongzhiDocumentsTests",
            dependencies: ["GongzhiDocuments"]
        ),
        .testTarget(
            name: "GongzhiGeoTests",
            dependencies: [
                "GongzhiTestSeeds", "GongzhiGeo",
            ]
        ),
        .testTarget(
            name: "GongzhiGridTests",
            dependencies: [
                "GongzhiGridSchemas",
                "GongzhiGrid",
                "GongzhiGeo",
                "GongzhiSchemas",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The grid plugin's desk and book against an in-process host (the plugin's types by @testable import).
        .testTarget(
            name: "GridPluginTests",
            dependencies: [
                "gongzhi-grid",
                "GongzhiGeo",
                "GongzhiGrid",
                "GongzhiGridSchemas",
                "GongzhiMediationSchemas",
                "GongzhiPluginSDK",
                "GongzhiPluginTesting",
                "GongzhiRPC",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "GongzhiEndToEndTests",
            dependencies: [
                // libmosquitto for the intake fault tests' publisher, which records what the broker acknowledged.
                "CMosquitto",
                "GongzhiTestSeeds",
                "GongzhiIntake",
                "GongzhiIntakeSchemas",
                "GongzhiGrid",
                "GongzhiSensorsSchemas",
                "GongzhiGridSchemas",
                "GongzhiPointsSchemas",
                "GongzhiMediationSchemas",
                "GongzhiExampleSchemas",
                "GongzhiTestSchemas",
                "GongzhiHost",
                "GongzhiPluginSDK",
                "GongzhiPluginTesting",
                "GongzhiRPC",
                "GongzhiRPCPosix",
                "GongzhiSchemas",
                "GongzhiTestSupport",
                "gongzhi-host",
                "gongzhictl",
                "gongzhi-noticeboard",
                "gongzhi-samples",
                "gongzhi-grid",
                "gongzhi-points",
                "gongzhi-mediation",
                "gongzhi-intake",
                "gongzhi-sensors",
                "gongzhi-test-plugin",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ]
)

// Plugin targets take no settings; they are compiled in the tools version's language mode (Swift 6).
for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
