import ArgumentParser
import Foundation
import GongzhiGridSchemas
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import NIOCore
import NIOPosix

/// The intake plugin's benchmark (issue 19), in one run: MQTT QoS 1 readings from 16 paho-mqtt publishers through
/// Mosquitto to intake's durable inbox against Mosquitto's pass-through to a bare C subscriber; Open311 POSTs (wrk,
/// 64 connections) through intake to grid cases against the host's bare Objects/Create with 64 callers; a critical
/// reading's latency from publish to its grid case; intake's peak RSS. Prints markdown tables.
@main
struct IntakeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-intake-bench",
        abstract: "MQTT readings/s to durable, Open311 POSTs/s to cases and alert latency of the intake plugin.",
        discussion: """
            Prints markdown tables on standard output (and to --output); progress goes to standard error. \
            Benchmarks/run.sh --intake-only builds the binaries, the C subscriber and paho-mqtt, and runs this.
            """
    )

    @Option(
        help: "The folder holding gongzhi-host, gongzhictl, gongzhi-grid, gongzhi-sensors and gongzhi-intake."
    )
    var gongzhiBinDir: String
    @Option(help: "The repository's root (Deploy/install-plugin.sh, the plugins' manifests, the scripts).")
    var repoRoot = "."
    @Option(help: "The bare C subscriber (Benchmarks/intake/scripts/count-subscriber.c, built).")
    var countSubscriber: String
    @Option(help: "The folder paho-mqtt is installed in (PYTHONPATH).") var pythonPath: String
    @Option(help: "The wrk binary.") var wrk = "/usr/bin/wrk"

    @Option(help: "Readings published in each MQTT round, spread over the publishers.") var readings: Int?
    @Option(help: "MQTT publishers, each a process and a connection of its own.") var publishers = 16
    @Option(help: "Each publisher's QoS 1 messages in flight (paho's window).") var publisherInflight = 100
    @Option(help: "Critical readings, each on a device (and alert) of its own.") var criticalReadings: Int?
    @Option(help: "Milliseconds between critical readings (each waits for its PUBACK first).") var criticalGapMs = 50
    @Option(help: "Open311 connections (wrk -c), and the bare creates' callers.") var connections = 64
    @Option(help: "Seconds of Open311 POSTs (wrk -d).") var postSeconds: Int?
    @Option(help: "Measured bare creates.") var creates: Int?
    @Option(help: "Seconds to wait for intake to drain a round (nothing in flight) or for cases to appear.")
    var settleTimeout = 300.0
    @Option(help: "The host's log_level (the plugins' follows it).") var logLevel = "warning"
    @Flag(help: "A tenth of the work, for trying it out.") var quick = false
    @Option(help: "Also write the tables to this file.") var output: String?
    @Flag(help: "Keep the run's folder (data, logs) instead of removing it.") var keep = false

    static func main() async {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    func validate() throws {
        guard publishers > 0, connections > 0, publisherInflight > 0 else {
            throw ValidationError("--publishers, --connections and --publisher-inflight must be positive")
        }
    }

    func run() async throws {
        let scale = quick ? 10 : 1
        let settings = IntakeSettings(
            readings: readings ?? 32_000 / scale,
            publishers: publishers,
            publisherInflight: publisherInflight,
            criticalReadings: criticalReadings ?? 200 / scale,
            criticalGapMs: criticalGapMs,
            connections: connections,
            postSeconds: postSeconds ?? (quick ? 3 : 15),
            creates: creates ?? 20_000 / scale,
            settleTimeout: settleTimeout
        )
        let binaries = IntakeBinaries(directory: gongzhiBinDir)
        try binaries.check()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gongzhi-intake-bench-\(getpid())")
            .path
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let tools = BenchTools(
            root: root,
            repoRoot: repoRoot,
            countSubscriber: countSubscriber,
            pythonPath: pythonPath,
            wrk: wrk
        )
        var result = IntakeMeasurement(settings: settings)
        result.loadAtStart = loadAverages()
        result.processesAtStart = busiestProcesses(logPath: "\(root)/ps.log")
        result.startedAt = Date()
        note("broker, host and logs in \(root)")
        let broker = try BrokerUnderBench(root: root)
        var host: HostUnderBench?
        do {
            try await measure(broker: broker, binaries: binaries, tools: tools, host: &host, into: &result)
        } catch {
            result.notes.append("stopped early: \(error)")
            note("stopped early: \(error)")
        }
        result.loadAtEnd = loadAverages()
        result.processesAtEnd = busiestProcesses(logPath: "\(root)/ps.log")
        result.endedAt = Date()
        host?.stop()
        broker.stop()
        if keep || !result.notes.isEmpty {
            note("the run's folder (logs, data) is kept in \(root)")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
        let tables = renderTables(result)
        print(tables, terminator: "")
        if let output { try tables.write(toFile: output, atomically: true, encoding: .utf8) }
    }

    private func measure(
        broker: BrokerUnderBench,
        binaries: IntakeBinaries,
        tools: BenchTools,
        host hostOut: inout HostUnderBench?,
        into result: inout IntakeMeasurement
    ) async throws {
        let settings = result.settings
        let world = GridWorld(columns: 25, rows: 20)

        // 1. The pass-through baseline, before the host starts (intake would share the topics' messages).
        note("baseline: \(grouped(settings.readings)) readings through Mosquitto to the bare C subscriber")
        let subscriber = try ChildProcess(
            [
                tools.countSubscriber, broker.socketPath, "bench-bare-subscriber", String(settings.readings),
                String(Int(settings.settleTimeout)),
            ] + IntakeSetup.topics,
            logPath: "\(tools.root)/count-subscriber.log"
        )
        let readyBy = Date().addingTimeInterval(30)
        while !subscriber.log().contains("READY") {
            guard subscriber.isRunning, Date() < readyBy else {
                throw BenchFailure("the bare subscriber did not subscribe: \(subscriber.log().suffix(300))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let baselineFlood = try await tools.flood(
            socket: broker.socketPath,
            settings: settings,
            clientPrefix: "bench-bare-",
            log: "publish-baseline"
        )
        guard await subscriber.exited(within: settings.settleTimeout) else {
            subscriber.stop()
            throw BenchFailure("the bare subscriber did not get every reading")
        }
        let counted = try JSONDecoder().decode(SubscriberLine.self, from: Data(subscriber.output().utf8))
        result.baseline = MQTTRound(
            readings: settings.readings,
            firstPublish: baselineFlood.firstPublish,
            lastDurable: counted.lastArrival,
            lastPuback: baselineFlood.lastPuback,
            acked: baselineFlood.acked
        )
        result.baseline?.delivered = counted.received
        note("baseline: \(fixed(result.baseline?.perSecond ?? 0, places: 0)) readings/s")

        // 2. The host with grid, sensors and intake; the world, the devices, the hotline's key.
        let sourcesFile = try IntakeSetup.writeSources(root: tools.root, broker: broker.socketPath)
        note("starting gongzhi-host with gongzhi-grid, gongzhi-sensors and gongzhi-intake")
        let host = try HostUnderBench(
            root: "\(tools.root)/host",
            repoRoot: tools.repoRoot,
            binaries: binaries,
            sourcesFile: sourcesFile,
            logLevel: logLevel
        )
        hostOut = host
        let pids = try host.waitUntilReady(["grid", "sensors", "intake"], timeout: 120)
        let intakePID = pids["intake"]
        let setup = RPCClient(socketPath: host.adminSocket)
        defer { Task { await setup.close() } }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: setup)
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: setup)
        let intake = Gongzhi_Intake_V1_IntakeClient(channel: setup)
        try await world.create(on: objects)
        let lastGrid = GridWorld.gridCode(column: world.columns - 1, row: world.rows - 1)
        var locate = Gongzhi_Grid_V1_LocateRequest()
        locate.point.longitude = GridWorld.originLongitude + (Double(world.columns) - 0.5) * world.size
        locate.point.latitude = GridWorld.originLatitude + (Double(world.rows) - 0.5) * world.size
        try await waitFor("the grid plugin sees the grids", timeout: 60) {
            (try? await grid.locate(locate))?.gridCode == lastGrid
        }
        let critical = (0..<settings.criticalReadings).map { "CR-\(digits($0, width: 4))" }
        try await IntakeSetup.putDevices(
            intake,
            world: world,
            publishers: settings.publishers,
            critical: critical
        )
        var open311Address = ""
        try await waitFor("intake's sources are up", timeout: 60) {
            let sources = try await intake.listSources(Gongzhi_Intake_V1_ListSourcesRequest()).sources
            open311Address = sources.first { $0.name == IntakeSetup.hotline }?.address ?? ""
            return open311Address.hasPrefix("http://")
                && sources.first { $0.name == IntakeSetup.sensors }?.state == .connected
        }
        let apiKey = try host.issueClientToken(scopes: ["gongzhi.intake.v1.Intake/SubmitTicket"])
        result.intakeIdle = Memory(pid: intakePID)
        result.hostIdle = Memory(pid: host.pid)

        // 3. The same readings through intake, to its inbox: done when Stats counts them all received.
        note("intake: \(grouped(settings.readings)) readings through Mosquitto to intake's inbox")
        let receivedBefore = try await counters(intake, IntakeSetup.sensors).received
        let intakeCPUBefore = intakePID.flatMap { cpuMicros(pid: $0) }
        let brokerSocket = broker.socketPath
        let floodTask = Task {
            try await tools.flood(
                socket: brokerSocket,
                settings: settings,
                clientPrefix: "bench-intake-",
                log: "publish-intake"
            )
        }
        var lastCommit = 0.0
        var polls = 0
        let pollDeadline = Date().addingTimeInterval(settings.settleTimeout)
        while Date() < pollDeadline {
            let received = try await counters(intake, IntakeSetup.sensors).received - receivedBefore
            polls += 1
            if received >= UInt64(settings.readings) {
                lastCommit = Date().timeIntervalSince1970
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let intakeFlood = try await floodTask.value
        guard lastCommit > 0 else { throw BenchFailure("intake did not receive every reading in time") }
        result.intake = MQTTRound(
            readings: settings.readings,
            firstPublish: intakeFlood.firstPublish,
            lastDurable: lastCommit,
            lastPuback: intakeFlood.lastPuback,
            acked: intakeFlood.acked
        )
        if let before = intakeCPUBefore, let pid = intakePID, let after = cpuMicros(pid: pid) {
            result.intakeCPUPerReading = (after - before) / Double(settings.readings)
        }
        note("intake: \(fixed(result.intake?.perSecond ?? 0, places: 0)) readings/s to the inbox (\(polls) polls)")
        let drainStarted = Date()
        let drained = try await settle(intake, IntakeSetup.sensors)
        result.sensorsAfterFlood = drained
        result.drainSeconds = Date().timeIntervalSince(drainStarted)
        result.floodWindowSeconds = Date().timeIntervalSince1970 - intakeFlood.firstPublish
        note("intake: the readings' routing drained \(fixed(result.drainSeconds, places: 1)) s after the inbox")

        // 4. Critical readings, one device each: publish to case.
        let caseLog = CaseLog()
        let adminSocket = host.adminSocket
        let watcher = Task { await watchCases(socket: adminSocket, log: caseLog) }
        try await Task.sleep(for: .milliseconds(500))
        note("latency: \(critical.count) critical readings, \(settings.criticalGapMs) ms apart")
        let published = try await tools.critical(
            socket: broker.socketPath,
            devices: critical,
            gapMs: settings.criticalGapMs
        )
        try await waitFor("a case for every critical reading", timeout: settings.settleTimeout, failing: false) {
            caseLog.cases(source: .sensor).count >= critical.count
        }
        result.latency = AlertLatency(
            published: published,
            cases: caseLog.cases(source: .sensor),
            devices: IntakeSetup.criticalLocations(world: world, devices: critical)
        )
        result.sensorsAfterCritical = try await settle(intake, IntakeSetup.sensors)

        // 5. The host's bare creates, then Open311 POSTs with as many connections.
        note("creates: \(grouped(settings.creates)) bare Objects/Create with \(settings.connections) callers")
        _ = try await closedLoop(socket: host.adminSocket, workers: settings.connections, total: 500) {
            channel,
            index in
            try await createResident(channel, world: world, id: "warm-\(index)", index: index)
        }
        result.creates = try await closedLoop(
            socket: host.adminSocket,
            workers: settings.connections,
            total: settings.creates
        ) { channel, index in
            try await createResident(channel, world: world, id: "bare-\(index)", index: index)
        }
        note("creates: \(fixed(result.creates?.perSecond ?? 0, places: 0))/s")

        let pointsFile = "\(tools.root)/open311-points.txt"
        try IntakeSetup.writePostPoints(world: world, first: settings.criticalReadings, to: pointsFile)
        let hotlineBefore = try await counters(intake, IntakeSetup.hotline)
        let casesBefore = caseLog.cases(source: .hotline).count
        let url = open311Address + "requests.json"
        note("open311: POSTs to \(url) for \(settings.postSeconds) s with \(settings.connections) connections")
        let wrkStarted = Date().timeIntervalSince1970
        let posts = try await tools.posts(
            url: url,
            apiKey: apiKey,
            pointsFile: pointsFile,
            connections: settings.connections,
            seconds: settings.postSeconds
        )
        let wrkEnded = Date().timeIntervalSince1970
        note("open311: \(grouped(posts.ok)) answered 200, \(grouped(posts.other)) otherwise")
        try await waitFor("a case for every POST answered 200", timeout: settings.settleTimeout, failing: false) {
            caseLog.cases(source: .hotline).count - casesBefore >= posts.ok
        }
        let hotlineAfter = try await settle(intake, IntakeSetup.hotline)
        // POSTs wrk sent but stopped waiting for at its end are committed too: wait for their cases as well.
        let committed = Int(hotlineAfter.accepted - hotlineBefore.accepted)
        try await waitFor("a case for every ticket accepted", timeout: 30, failing: false) {
            caseLog.cases(source: .hotline).count - casesBefore >= committed
        }
        let hotlineCases = Array(caseLog.cases(source: .hotline).dropFirst(casesBefore))
        result.open311 = Open311Round(
            posts: posts,
            started: wrkStarted,
            ended: wrkEnded,
            cases: hotlineCases.count,
            lastCase: hotlineCases.map(\.seen).max() ?? 0,
            accepted: hotlineAfter.accepted - hotlineBefore.accepted,
            received: hotlineAfter.received - hotlineBefore.received,
            duplicates: hotlineAfter.duplicates - hotlineBefore.duplicates,
            deadLettered: hotlineAfter.deadLettered - hotlineBefore.deadLettered,
            refused: hotlineAfter.refused - hotlineBefore.refused
        )
        watcher.cancel()

        result.intakeEnd = Memory(pid: intakePID)
        result.hostEnd = Memory(pid: host.pid)
        result.gridEnd = Memory(pid: pids["grid"])
    }

    /// One source's counters.
    private func counters(
        _ intake: Gongzhi_Intake_V1_IntakeClient,
        _ source: String
    ) async throws -> Gongzhi_Intake_V1_SourceCounters {
        var request = Gongzhi_Intake_V1_StatsRequest()
        request.source = source
        guard let counters = try await intake.stats(request).sources.first else {
            throw BenchFailure("Stats gave no counters for \(source)")
        }
        return counters
    }

    /// Waits until nothing of `source` is in flight; answers its counters.
    private func settle(
        _ intake: Gongzhi_Intake_V1_IntakeClient,
        _ source: String
    ) async throws -> Gongzhi_Intake_V1_SourceCounters {
        var last = Gongzhi_Intake_V1_SourceCounters()
        try await waitFor("\(source) has nothing in flight", timeout: settleTimeout, failing: false) {
            last = try await counters(intake, source)
            return last.inFlight == 0
        }
        return last
    }
}

/// Polls `condition` every 20 ms until it holds; at the timeout throws, or (`failing` false) notes it and returns.
func waitFor(
    _ what: String,
    timeout: Double,
    failing: Bool = true,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try await !condition() {
        guard Date() < deadline else {
            if failing { throw BenchFailure("gave up waiting after \(Int(timeout)) s: \(what)") }
            note("gave up waiting after \(Int(timeout)) s: \(what)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// One bare Objects/Create of a small Resident in a grid of the world.
@Sendable
func createResident(_ channel: any RPCClientChannel, world: GridWorld, id: String, index: Int) async throws -> Outcome {
    let client = Gongzhi_Host_V1_ObjectsClient(channel: channel)
    let point = world.point(index + 31)
    let column = Int((point.longitude - GridWorld.originLongitude) / world.size)
    let row = Int((point.latitude - GridWorld.originLatitude) / world.size)
    var resident = Gongzhi_Core_V1_Resident()
    resident.id = id
    resident.name = "居民\(digits(index % 10_000, width: 4))"
    resident.phone = "139" + digits(index, width: 8)
    var request = Gongzhi_Host_V1_CreateRequest()
    request.object.kind = "Resident"
    request.object.id = id
    request.object.parent = GridWorld.gridCode(column: column, row: row)
    request.object.data = try resident.serializedBytes()
    let created = try await client.create(request, options: CallOptions(timeout: .seconds(60)))
    return created.revision > 0 ? .expected : .unexpected
}
