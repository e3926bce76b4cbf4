// gongzhi-intake: smart-city data intake (城市大脑数据接入). Sensors over MQTT through a Mosquitto broker,
// tickets over Open311 GeoReport v2 from the 12345 hotline and apps, and departments' files — every input
// made durable in the plugin's inbox before it is acknowledged, then validated, deduplicated, located,
// classified and routed: readings to telemetry and the sensor adapter, critical alerts and complaints to grid
// cases, consultations to items people answer, what a stage refuses to dead letters. For every source,
// received = accepted + duplicates + dead-lettered + in flight. See Docs/intake.md.

import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import GongzhiOpen311
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiRPCPosix
import Logging
import ServiceLifecycle

@main
struct IntakePlugin {
    static func main() async {
        await Plugin.main(name: "intake", version: "1.0.0") { context in
            [IntakeService(desk: try await openDesk(context, settings: try IntakeSettings.fromEnvironment()))]
        }
    }

    /// Registers the kinds, opens the inbox, follows the items, dead letters and devices, and starts the
    /// sources' routers, the MQTT receivers, the Open311 server, the case follower and the retention sweep;
    /// they stop with the plugin.
    static func openDesk(_ context: PluginContext, settings: IntakeSettings) async throws -> IntakeDesk {
        try await IntakeKinds.register(context.objects)
        let store = try IntakeStore(path: "\(context.dataDirectory)/intake.sqlite")
        let books = IntakeBooks(objects: context.objects, logger: context.logger)
        let following = Task { await books.run() }
        await books.waitUntilSynced()

        let downstream = Downstream(
            host: context.host,
            objects: context.objects,
            clock: settings.clock,
            graceMs: settings.moduleGraceMs
        )
        let pipeline = IntakePipeline(
            settings: settings,
            store: store,
            downstream: downstream,
            books: books,
            logger: context.logger
        )
        let (alerts, _) = try await context.objects.list(Gongzhi_Intake_V1_SensorAlert.self, selector: "state=open")
        pipeline.restoreAlerts(alerts.map(\.message))

        let waiters = InputWaiters()
        var routers: [String: SourceRouter] = [:]
        for source in settings.sources.sources {
            routers[source.name] = SourceRouter(source: source, pipeline: pipeline, waiters: waiters)
        }
        let desk = IntakeDesk(pipeline: pipeline, routers: routers, waiters: waiters)
        var tasks: [Task<Void, Never>] = [following]
        for router in routers.values {
            tasks.append(Task { await router.run() })
        }
        tasks.append(Task { await desk.resumeReplays() })
        tasks.append(Task { await MQTTSources(desk: desk, logger: context.logger).run() })
        tasks.append(Task { await CaseFollower(pipeline: pipeline).run() })
        tasks.append(Task { await Retention(pipeline: pipeline).run() })

        // The Open311 front end, when a source serves it.
        let open311Sources = settings.sources.sources.filter {
            if case .open311 = $0.kind { return true }
            return false
        }
        var server: Task<Void, Never>?
        var serverGroup: ServiceGroup?
        if !open311Sources.isEmpty {
            let hostClient = RPCClient(configuration: .init(socketPath: context.host.socketPath))
            let open311 = Open311Server(
                address: Open311Address(host: settings.httpAddress.host, port: settings.httpAddress.port),
                jurisdictionID: settings.sources.jurisdictionID,
                discovery: .init(contact: settings.sources.contact, keyService: settings.sources.keyService),
                backend: Open311Desk(desk: desk, host: hostClient),
                logger: context.logger,
                now: { settings.clock.nowMs() },
                onListening: { host, port in
                    context.logger.info("Open311 is served", metadata: ["address": "http://\(host):\(port)/open311/"])
                    for source in open311Sources {
                        desk.setStatus(source.name) {
                            $0.state = .connected
                            $0.address = "http://\(host):\(port)/open311/\(source.name)/v2/"
                        }
                    }
                }
            )
            let group = ServiceGroup(
                configuration: .init(services: [open311], logger: context.logger)
            )
            serverGroup = group
            server = Task {
                do {
                    try await group.run()
                } catch {
                    context.logger.error("the Open311 server stopped", metadata: ["error": "\(error)"])
                    for source in open311Sources {
                        desk.setStatus(source.name) {
                            $0.state = .stopped
                            $0.detail = "the HTTP server stopped: \(error)"
                        }
                    }
                }
            }
        }
        for source in settings.sources.sources {
            if case .file = source.kind { desk.setStatus(source.name) { $0.state = .connected } }
        }
        context.setHealthCheck {
            let stopped = desk.statuses.withLock { $0.filter { $0.value.state == .stopped }.map(\.key) }
            return stopped.isEmpty
                ? .serving : .degraded("sources stopped: \(stopped.sorted().joined(separator: ", "))")
        }
        context.logger.info(
            "taking inputs",
            metadata: [
                "sources": "\(settings.sources.sources.map(\.name).joined(separator: ","))",
                "items": "\(books.items.count)", "dead letters": "\(books.deadLetters.count)",
                "devices": "\(books.devices.count)",
            ]
        )
        context.onStop { [serverGroup, server, tasks] _ in
            await serverGroup?.triggerGracefulShutdown()
            // The HTTP server finishes the requests it has, but for a bounded time: the plugin's grace period only
            // starts once the stop actions returned, and when the host is gone (SIGKILLed, the parent-death signal)
            // nobody else ends a plugin whose requests wait on it.
            if let server { await finished(server, within: .seconds(2)) }
            for task in tasks { task.cancel() }
        }
        return desk
    }
}

/// Waits until `task` has ended or `limit` has passed, whichever comes first; the task goes on either way.
func finished(_ task: Task<Void, Never>, within limit: Duration) async {
    let done = AsyncStream<Void>.makeStream()
    let waiting = Task {
        await task.value
        done.continuation.finish()
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        done.continuation.finish()
    }
    for await _ in done.stream {}
    waiting.cancel()
    timer.cancel()
}

/// Drops readings and finished inbox rows older than the retention period, once an hour.
struct Retention: Sendable {
    let pipeline: IntakePipeline

    func run() async {
        while !Task.isCancelled {
            let days = pipeline.settings.withLock { $0.retentionDays }
            let before = pipeline.clock.nowMs() - Int64(days) * 86_400_000
            do {
                let readings = try pipeline.store.pruneReadings(olderThanMs: before)
                let rows = try pipeline.store.pruneFinishedInbox(olderThanMs: before)
                // Ticket numbers are remembered as long as the inputs; fingerprints for the longest window (a week).
                let remembered = try pipeline.store.pruneDedupe(
                    seenOlderThanMs: before,
                    fingerprintsOlderThanMs: pipeline.clock.nowMs() - 8 * 86_400_000
                )
                if readings + rows + remembered > 0 {
                    pipeline.logger.info(
                        "retention",
                        metadata: [
                            "readings dropped": "\(readings)", "inputs dropped": "\(rows)",
                            "dedupe entries dropped": "\(remembered)",
                        ]
                    )
                }
            } catch {
                pipeline.logger.warning("the retention sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3_600))
        }
    }
}
