import ArgumentParser
import Foundation

/// Runs the echo benchmark: every implementation's server and client, one after another, on this machine.
@main
struct GongzhiBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-bench",
        abstract: """
            Compare Gongzhi's unary echo with grpc-swift-2, Go ttrpc and a C floor on a Unix socket, measure \
            calls routed through gongzhi-host and the host's idle memory, load the host's object store, \
            compare a plugin written in C with one written in Swift, measure what the host's handling of \
            personal data in plugins' answers costs a routed call, what deciding by a person's roles and \
            places costs a routed call and a list, and how the host holds under overload and abuse.
            """,
        discussion: """
            Prints markdown tables on standard output and progress on standard error: the echo comparison, then \
            the host benchmark ("host" in --only; --host-only runs it alone), then the object-store benchmark \
            ("store" in --only; --store-only runs it alone), then the plugin-language benchmark, a C and a Swift \
            echo plugin under gongzhi-host ("plugins" in --only, not run by default; --plugins-only runs it \
            alone), then the personal-data benchmark, routed calls whose answers the host redacts or audits \
            against routed echo calls ("privacy" in --only, not run by default; --privacy-only runs it alone), \
            then the people benchmark, a person's routed calls and lists of 10,000 Residents against an \
            administrator's ("people" in --only, not run by default; --people-only runs it alone), then the \
            overload benchmark, Get and routed-call latency, plugin restarts and host memory while a heavy reader, \
            a never-reading client and thousands of idle connections load the host ("overload" in --only, not run \
            by default; --overload-only runs it alone). An implementation that cannot be built or run gets \
            "n/a" cells and the reason in its notes; the others still run.

            Binaries can be given instead of built, by option or by the environment variables \
            GONGZHI_ECHO, GRPC_ECHO, TTRPC_PEER, PINGPONG, GONGZHI_BIN_DIR and GONGZHI_STORE_BENCH.
            """
    )

    /// Runs the benchmarks, or one of the overload benchmark's load generators when the first argument names one
    /// (the runner starts them as processes of its own: `gongzhi-bench overload-heavy …`).
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, OverloadLoad.names.contains(first) {
            OverloadLoad.main(arguments)
        } else {
            Self.main(nil)
        }
    }

    @Flag(help: "Few calls, for a check that everything runs rather than for figures.")
    var quick = false

    @Option(help: "Also write the table to this file.")
    var output: String?

    @Option(help: "The Benchmarks package directory (default: ./Benchmarks or the current directory).")
    var benchmarksDir: String?

    @Option(help: "The main package directory (default: the parent of the Benchmarks directory).")
    var repoRoot: String?

    @Option(
        help: """
            What to run, comma-separated: gongzhi,grpc,ttrpc,c (the echo comparison), host, store, plugins, \
            privacy, people and overload (the last four not by default).
            """
    )
    var only: String = (Peer.ID.allCases.map(\.rawValue) + [hostBenchmarkName, storeBenchmarkName]).joined(
        separator: ","
    )

    @Flag(help: "Run only the host benchmark (the same as --only host).")
    var hostOnly = false

    @Flag(help: "Run only the object-store benchmark (the same as --only store).")
    var storeOnly = false

    @Flag(help: "Run only the plugin-language benchmark, C against Swift (the same as --only plugins).")
    var pluginsOnly = false

    @Flag(help: "Run only the personal-data benchmark of routed calls (the same as --only privacy).")
    var privacyOnly = false

    @Flag(help: "Run only the people benchmark, a person against an administrator (the same as --only people).")
    var peopleOnly = false

    @Flag(help: "Run only the overload benchmark, the host under load and abuse (the same as --only overload).")
    var overloadOnly = false

    @OptionGroup(title: "Overload benchmark")
    var overload: OverloadOptions

    @Option(help: "People benchmark: measured listings of the Residents per run. [default: 50, quick: 5]")
    var peopleListCalls: Int?

    @Option(
        help: """
            Store benchmark: measured seconds of the creates, each naive SQLite run, each get run and the watch. \
            [default: 10, quick: 2]
            """
    )
    var storeSeconds: Double?

    @Option(help: "Store benchmark: unmeasured seconds before the creates and naive runs. [default: 2, quick: 1]")
    var storeWarmup: Double?

    @Option(help: "Store benchmark: concurrent writers (connections; threads of the naive SQLite peer).")
    var storeWriters: Int = 64

    @Option(help: "Store benchmark: Residents stored before the reads. [default: 1000000, quick: 100000]")
    var storePreload: Int?

    @Option(help: "Store benchmark: measured List calls per row. [default: 20, quick: 5]")
    var storeListCalls: Int?

    @Option(help: "The gongzhi-store-bench binary, instead of building it.")
    var gongzhiStoreBench: String?

    @Option(
        help: """
            Seconds the host and its four plugins (the plugin-language benchmark: both hosts and their plugins) \
            stay idle, once ready, before RSS is read.
            """
    )
    var hostIdle: Double = 5

    @Option(
        help: """
            Payload sizes of the echo comparison in bytes, comma-separated. Payloads of 512 KiB or more make a \
            tenth of the calls (warm-up included).
            """
    )
    var payloads: String = "100,4096,65536,1048576"

    @Option(help: "The payload of the host benchmark's echo calls, in bytes.")
    var hostPayload: Int = 100

    @Option(help: "Sequential calls (1 in flight) measured for latency. [default: 20000, quick: 2000]")
    var calls: Int?

    @Option(help: "Unmeasured calls before each measured run. [default: 2000, quick: 200]")
    var warmup: Int?

    @Option(help: "Calls in flight on the one connection for the throughput run.")
    var concurrency: Int = 64

    @Option(help: "Calls of the throughput run for payloads under 16 KiB. [default: 200000, quick: 20000]")
    var concurrentCallsSmall: Int?

    @Option(help: "Calls of the throughput run for payloads of 16 KiB or more. [default: 20000, quick: 2000]")
    var concurrentCallsLarge: Int?

    @Option(
        name: .customLong("repeat"),
        help: "Measure every implementation this many times, taking turns, and report the medians."
    )
    var repeats: Int = 1

    @Option(help: "Seconds one client run may take.")
    var clientTimeout: Double = 900

    @Flag(help: "Build nothing; use the binaries given or left by an earlier run.")
    var noBuild = false

    @Option(help: "Our gongzhi-echo binary, instead of building it.")
    var gongzhiEcho: String?

    @Option(help: "The grpc-echo binary, instead of building it.")
    var grpcEcho: String?

    @Option(help: "The Go ttrpc peer binary, instead of building it.")
    var ttrpcPeer: String?

    @Option(help: "The C pingpong binary, instead of building it.")
    var pingpong: String?

    @Option(
        help: """
            A folder holding gongzhi-host, gongzhictl, gongzhi-test-plugin and gongzhi-echo for the host and \
            plugin-language benchmarks (gongzhi-host and gongzhictl for the store benchmark), instead of building \
            them.
            """
    )
    var gongzhiBinDir: String?

    func validate() throws {
        guard self.concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard self.repeats > 0 else { throw ValidationError("--repeat must be positive") }
        for value in [self.calls, self.concurrentCallsSmall, self.concurrentCallsLarge] {
            if let value, value <= 0 { throw ValidationError("call counts must be positive") }
        }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative") }
        guard self.hostIdle >= 0 else { throw ValidationError("--host-idle must not be negative") }
        guard self.hostPayload >= 0 else { throw ValidationError("--host-payload must not be negative") }
        if let storeSeconds, storeSeconds <= 0 { throw ValidationError("--store-seconds must be positive") }
        if let storeWarmup, storeWarmup < 0 { throw ValidationError("--store-warmup must not be negative") }
        guard self.storeWriters > 0 else { throw ValidationError("--store-writers must be positive") }
        if let storePreload, storePreload < 10_000 {
            throw ValidationError("--store-preload must be at least 10000 (a list reads 10,000 of them)")
        }
        if let storeListCalls, storeListCalls <= 0 { throw ValidationError("--store-list-calls must be positive") }
        if let peopleListCalls, peopleListCalls <= 0 {
            throw ValidationError("--people-list-calls must be positive")
        }
        _ = try self.selection()
        _ = try self.payloadSizes()
    }

    func run() throws {
        let workspace = try self.workspace()
        try FileManager.default.createDirectory(atPath: workspace.logsDir, withIntermediateDirectories: true)
        let settings = RunSettings(
            sequentialCalls: self.calls ?? (self.quick ? 2_000 : 20_000),
            warmup: self.warmup ?? (self.quick ? 200 : 2_000),
            concurrency: self.concurrency,
            concurrentCallsSmall: self.concurrentCallsSmall ?? (self.quick ? 20_000 : 200_000),
            concurrentCallsLarge: self.concurrentCallsLarge ?? (self.quick ? 2_000 : 20_000),
            clientTimeout: self.clientTimeout
        )
        progress(
            "Settings: \(settings.sequentialCalls) sequential calls, \(settings.warmup) warm-up calls per run, "
                + "\(settings.concurrentCallsSmall) (< 16 KiB) or \(settings.concurrentCallsLarge) calls with "
                + "\(settings.concurrency) in flight; logs in \(workspace.logsDir)"
        )

        let selection = try self.selection()
        var prepared: [Peer.ID: Result<Peer, BenchFailure>] = [:]
        for id in selection.peers {
            progress("Preparing \(Peer.displayName(id))…")
            do {
                prepared[id] = .success(try workspace.prepare(id, explicitPath: self.explicitPath(for: id)))
            } catch let failure as BenchFailure {
                progress("  skipped: \(failure)")
                prepared[id] = .failure(failure)
            } catch {
                progress("  skipped: \(error)")
                prepared[id] = .failure(BenchFailure("\(error)"))
            }
        }

        let socketDir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: socketDir) }

        // Rounds take turns over all implementations, so that a change in the machine's load during the run
        // falls on all of them alike.
        var rounds: [[Measurement]] = []
        for round in 1...self.repeats where !selection.peers.isEmpty {
            var rows: [Measurement] = []
            for payload in try self.payloadSizes() {
                for id in selection.peers {
                    switch prepared[id] {
                    case .success(let peer):
                        let counter = self.repeats > 1 ? " (round \(round) of \(self.repeats))" : ""
                        progress("Measuring \(peer.name) with \(formatPayload(payload))\(counter)…")
                        rows.append(
                            measure(
                                peer,
                                payload: payload,
                                settings: settings,
                                socketDir: socketDir,
                                logsDir: workspace.logsDir
                            )
                        )
                    case .failure(let failure):
                        var row = Measurement(peerID: id, name: Peer.displayName(id), payload: payload)
                        row.notes.append(failure.description)
                        rows.append(row)
                    case nil:
                        break
                    }
                }
            }
            rounds.append(rows)
        }
        var tables: [String] = []
        if let first = rounds.first {
            let rows = first.indices.map { index in Measurement.median(of: rounds.map { $0[index] }) }
            tables.append(renderTable(rows, concurrency: settings.concurrency))
        }

        if selection.host {
            tables.append(self.runHostBenchmark(workspace: workspace, settings: settings, workDir: socketDir))
        }

        if selection.store {
            tables.append(self.runStoreBenchmark(workspace: workspace, workDir: socketDir))
        }

        if selection.plugins {
            tables.append(self.runPluginLanguageBenchmark(workspace: workspace, settings: settings, workDir: socketDir))
        }

        if selection.privacy {
            tables.append(self.runPrivacyBenchmark(workspace: workspace, settings: settings, workDir: socketDir))
        }

        if selection.people {
            tables.append(self.runPeopleBenchmark(workspace: workspace, settings: settings, workDir: socketDir))
        }

        if selection.overload {
            tables.append(self.runOverloadBenchmark(workspace: workspace, workDir: socketDir))
        }

        let table = tables.joined(separator: "\n")
        print(table, terminator: "")
        if let output = self.output {
            do {
                try table.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw BenchFailure("cannot write \(output): \(error)")
            }
        }
    }

    /// The implementations of the echo comparison to run, and whether to run the host, store, plugin-language,
    /// personal-data, people and overload benchmarks.
    private func selection() throws -> (
        peers: [Peer.ID], host: Bool, store: Bool, plugins: Bool, privacy: Bool, people: Bool, overload: Bool
    ) {
        if self.hostOnly || self.storeOnly || self.pluginsOnly || self.privacyOnly || self.peopleOnly
            || self.overloadOnly
        {
            return (
                [], self.hostOnly, self.storeOnly, self.pluginsOnly, self.privacyOnly, self.peopleOnly,
                self.overloadOnly
            )
        }
        let names = self.only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var ids: [Peer.ID] = []
        var host = false
        var store = false
        var plugins = false
        var privacy = false
        var people = false
        var overload = false
        for name in names where !name.isEmpty {
            if name == overloadBenchmarkName {
                overload = true
                continue
            }
            if name == pluginLanguageBenchmarkName {
                plugins = true
                continue
            }
            if name == privacyBenchmarkName {
                privacy = true
                continue
            }
            if name == peopleBenchmarkName {
                people = true
                continue
            }
            if name == hostBenchmarkName {
                host = true
                continue
            }
            if name == storeBenchmarkName {
                store = true
                continue
            }
            guard let id = Peer.ID(rawValue: name) else {
                throw ValidationError(
                    "unknown benchmark '\(name)' "
                        + "(use gongzhi, grpc, ttrpc, c, host, store, plugins, privacy, people, overload)"
                )
            }
            if !ids.contains(id) { ids.append(id) }
        }
        guard !ids.isEmpty || host || store || plugins || privacy || people || overload else {
            throw ValidationError("--only names no benchmark")
        }
        // The table's order, whatever the order given.
        return (Peer.ID.allCases.filter(ids.contains), host, store, plugins, privacy, people, overload)
    }

    /// Builds (or finds) the store benchmark's binaries, runs it and renders its tables.
    private func runStoreBenchmark(workspace: Workspace, workDir: String) -> String {
        let settings = StoreSettings(
            seconds: self.storeSeconds ?? (self.quick ? 2 : 10),
            warmup: self.storeWarmup ?? (self.quick ? 1 : 2),
            writers: self.storeWriters,
            preload: self.storePreload ?? (self.quick ? 100_000 : 1_000_000),
            listCalls: self.storeListCalls ?? (self.quick ? 5 : 20),
            clientTimeout: self.clientTimeout
        )
        progress("Preparing the store benchmark (gongzhi-host, gongzhictl, gongzhi-store-bench, naive SQLite)…")
        var result: StoreMeasurement
        do {
            let environment = ProcessInfo.processInfo.environment
            let directory = self.gongzhiBinDir ?? environment["GONGZHI_BIN_DIR"]
            let client = self.gongzhiStoreBench ?? environment["GONGZHI_STORE_BENCH"]
            let binaries = try workspace.prepareStore(
                explicitDirectory: directory.flatMap { $0.isEmpty ? nil : absolutePath($0) },
                explicitClient: client.flatMap { $0.isEmpty ? nil : absolutePath($0) }
            )
            progress(
                "Measuring the object store: \(settings.writers) writers, \(grouped(settings.preload)) Residents, "
                    + "\(fixed(settings.seconds, places: 0)) s per timed step…"
            )
            result = measureStore(binaries, settings: settings, workDir: workDir, logsDir: workspace.logsDir)
        } catch {
            progress("  skipped: \(error)")
            result = StoreMeasurement(settings: settings)
            result.notes.append("\(error)")
        }
        return renderStoreTables(result)
    }

    /// Builds (or finds) the host's binaries, runs the host benchmark and renders its tables.
    private func runHostBenchmark(workspace: Workspace, settings: RunSettings, workDir: String) -> String {
        let payload = self.hostPayload
        progress("Preparing the host benchmark (gongzhi-host, gongzhictl, gongzhi-test-plugin, gongzhi-echo)…")
        var result: HostMeasurement
        do {
            let explicit = self.gongzhiBinDir ?? ProcessInfo.processInfo.environment["GONGZHI_BIN_DIR"]
            let binaries = try workspace.prepareHost(
                explicitDirectory: explicit.flatMap { $0.isEmpty ? nil : absolutePath($0) }
            )
            progress("Measuring the host with four plugins, \(formatPayload(payload)) echo calls…")
            result = measureHost(
                binaries,
                payload: payload,
                settings: settings,
                rounds: self.repeats,
                idleSeconds: self.hostIdle,
                workDir: workDir,
                logsDir: workspace.logsDir
            )
        } catch {
            progress("  skipped: \(error)")
            result = HostMeasurement(payload: payload, concurrency: settings.concurrency)
            result.notes.append("\(error)")
        }
        return renderHostTables(result)
    }

    private func payloadSizes() throws -> [Int] {
        let sizes = try self.payloads.split(separator: ",").map { text in
            guard let size = Int(text.trimmingCharacters(in: .whitespaces)), size >= 0 else {
                throw ValidationError("bad payload size '\(text)'")
            }
            return size
        }
        guard !sizes.isEmpty else { throw ValidationError("--payloads names no size") }
        return sizes
    }

    private func explicitPath(for id: Peer.ID) -> String? {
        let environment = ProcessInfo.processInfo.environment
        let path: String?
        switch id {
        case .gongzhi: path = self.gongzhiEcho ?? environment["GONGZHI_ECHO"]
        case .grpc: path = self.grpcEcho ?? environment["GRPC_ECHO"]
        case .ttrpc: path = self.ttrpcPeer ?? environment["TTRPC_PEER"]
        case .c: path = self.pingpong ?? environment["PINGPONG"]
        }
        guard let path, !path.isEmpty else { return nil }
        return absolutePath(path)
    }

    private func workspace() throws -> Workspace {
        let benchmarks: String
        if let benchmarksDir {
            benchmarks = absolutePath(benchmarksDir)
        } else {
            let current = FileManager.default.currentDirectoryPath
            let candidates = ["\(current)/Benchmarks", current]
            guard let found = candidates.first(where: { isBenchmarksDir($0) }) else {
                throw ValidationError("run from the repository or Benchmarks/, or pass --benchmarks-dir")
            }
            benchmarks = found
        }
        guard isBenchmarksDir(benchmarks) else {
            throw ValidationError("\(benchmarks) is not the Benchmarks package (no c/pingpong.c)")
        }
        let root = self.repoRoot.map(absolutePath) ?? URL(fileURLWithPath: benchmarks).deletingLastPathComponent().path
        return Workspace(
            benchmarksDir: benchmarks,
            repoRoot: root,
            outputDir: "\(benchmarks)/.build/bench",
            build: !self.noBuild,
            buildTimeout: 3_600
        )
    }
}

private func isBenchmarksDir(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: "\(path)/c/pingpong.c")
}

func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        .standardizedFileURL.path
}

/// A fresh directory with a short path, since a Unix socket path must fit in about 100 bytes.
private func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/gongzhi-bench-XXXXXX".utf8CString)
    guard let created = mkdtemp(&template) else {
        throw BenchFailure("cannot create a temporary directory in /tmp")
    }
    let path = String(cString: created)
    // A host run as root starts each plugin as a user of its own, which must pass through this folder to reach
    // its own folders inside (pass only: others cannot list it).
    guard chmod(path, 0o711) == 0 else { throw BenchFailure("cannot make \(path) passable (chmod 0711)") }
    return path
}
