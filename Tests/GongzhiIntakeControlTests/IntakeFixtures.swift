import Foundation
import GongzhiControlTestSupport
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas
import Synchronization

/// The answers the fake intake plugin gives.
enum IntakeFixtures {
    static let now = Fixtures.nowMs
    static let itemID = "T0123456789abcdef"
    static let deadID = "D0123456789abcdef"

    static let sources = Gongzhi_Intake_V1_ListSourcesResponse.with {
        $0.sources = [
            .with {
                $0.name = "sensors-x"
                $0.kind = .mqtt
                $0.address = "unix:/run/gongzhi/mqtt.sock"
                $0.topicFilters = ["gz/v1/readings/+"]
                $0.state = .connected
                $0.sinceMs = Fixtures.minutesAgo(90)
            },
            .with {
                $0.name = "hotline-12345"
                $0.kind = .open311
                $0.address = "127.0.0.1:8311"
                $0.state = .paused
                $0.sinceMs = Fixtures.minutesAgo(2)
                $0.detail = "in-flight budget full (10,000)"
            },
            .with {
                $0.name = "urban-management"
                $0.kind = .file
                $0.address = "urban-management.mapping.json"
                $0.state = .connected
                $0.sinceMs = Fixtures.minutesAgo(90)
            },
        ]
    }

    static let hotline = Gongzhi_Intake_V1_SourceCounters.with {
        $0.source = "hotline-12345"
        $0.received = 12
        $0.accepted = 10
        $0.duplicates = 1
        $0.deadLettered = 1
        $0.inFlight = 0
        $0.items = 4
        $0.reports = 6
        $0.refused = 3
        $0.refusedByReason = ["http.429": 2, "http.400": 1]
        $0.pauses = 1
    }

    static let sensors = Gongzhi_Intake_V1_SourceCounters.with {
        $0.source = "sensors-x"
        $0.received = 30_000
        $0.accepted = 29_000
        $0.duplicates = 500
        $0.deadLettered = 400
        $0.inFlight = 99
        $0.oldestInFlightMs = Fixtures.nowMs - 4000
        $0.readingsStored = 28_990
        $0.alerts = 10
        $0.discarded = 20
        $0.replayed = 5
        $0.reconnects = 2
        $0.sessionsLost = 1
    }

    static let stats = Gongzhi_Intake_V1_StatsResponse.with {
        $0.sources = [hotline, sensors]
        $0.brokerDropped = 0
        $0.atMs = Fixtures.nowMs
    }

    static let history: [Gongzhi_Intake_V1_ItemEvent] = [
        .with {
            $0.action = "received"
            $0.actor = "client:hotline"
            $0.principal = "client:hotline"
            $0.atMs = Fixtures.minutesAgo(30)
        }
    ]

    static let waiting = Gongzhi_Intake_V1_IntakeItem.with {
        $0.id = itemID
        $0.source = "hotline-12345"
        $0.sourceKind = .open311
        $0.externalID = "GD20251121001"
        $0.serviceRequestID = "17"
        $0.type = .complaint
        $0.state = .waiting
        $0.serviceCode = "X9999"
        $0.description_p = "小区门口\n道路积水严重，车辆无法通行"
        $0.location = .with {
            $0.latitude = 30.2741
            $0.longitude = 120.1551
        }
        $0.address = "西溪路 100 号"
        $0.gridCode = "330106001001"
        $0.communityCode = "330106001"
        $0.requester = .with {
            $0.name = "张伟"
            $0.phone = "13800000001"
        }
        $0.attributes = [
            .with {
                $0.code = "ticket_no"
                $0.values = ["GD20251121001"]
            }
        ]
        $0.history = history
        $0.submittedBy = "client:hotline"
        $0.inboxSequence = 17
        $0.receivedAtMs = Fixtures.minutesAgo(30)
        $0.updatedAtMs = Fixtures.minutesAgo(30)
    }

    /// The waiting item after a person's step.
    static func stepped(
        _ action: String,
        state: Gongzhi_Intake_V1_ItemState,
        note: String = ""
    ) -> Gongzhi_Intake_V1_IntakeItem {
        var item = waiting
        item.state = state
        item.history.append(
            .with {
                $0.action = action
                $0.actor = "胡伟"
                $0.actorID = "hu-wei"
                $0.principal = "person:hu-wei"
                $0.atMs = Fixtures.nowMs
                $0.note = note
            }
        )
        return item
    }

    static let deadLetter = Gongzhi_Intake_V1_DeadLetter.with {
        $0.id = deadID
        $0.source = "urban-management"
        $0.sourceKind = .file
        $0.inboxSequence = 1234
        $0.origin = "tickets.csv:1234"
        $0.contentType = "text/csv"
        $0.raw = Data("工单编号,诉求内容\nGD9,\"未闭合".utf8)
        $0.rawSize = UInt64($0.raw.count)
        $0.rawSha256 = String(repeating: "ab", count: 32)
        $0.stage = .decode
        $0.reasonCode = "csv.quote"
        $0.reason = "line 1234, column 5: a quoted field opened here is never closed; the file ends inside it"
        $0.receivedAtMs = Fixtures.minutesAgo(10)
        $0.deadAtMs = Fixtures.minutesAgo(10)
        $0.state = .open
    }

    static let binaryDeadLetter = Gongzhi_Intake_V1_DeadLetter.with {
        $0.id = "D1123456789abcdef"
        $0.source = "sensors-x"
        $0.sourceKind = .mqtt
        $0.origin = "gz/v1/gateways/GW-7/readings.pb"
        $0.contentType = "application/x-protobuf"
        $0.raw = Data([0x0A, 0x03, 0xFF, 0xFE, 0x00] + [UInt8](repeating: 0x41, count: 40))
        $0.rawSize = 70_000
        $0.rawTruncated = true
        $0.rawSha256 = String(repeating: "cd", count: 32)
        $0.stage = .decode
        $0.reasonCode = "protobuf.decode"
        $0.reason = "the payload is not a ReadingBatch"
        $0.state = .open
    }

    static let device = Gongzhi_Intake_V1_SensorDevice.with {
        $0.id = "WL-330199-0042"
        $0.kinds = ["water_level"]
        $0.location = .with {
            $0.latitude = 30.2741
            $0.longitude = 120.1551
        }
        $0.gridCode = "330106001001"
        $0.communityCode = "330106001"
        $0.name = "XX路下穿隧道积水监测点"
        $0.gatewayID = "GW-7"
        $0.vendor = "海康"
        $0.active = true
        $0.attributes = ["install_depth_cm": "120"]
        $0.registeredAtMs = Fixtures.minutesAgo(600)
    }

    static let readings: [Gongzhi_Sensors_V1_Reading] = [
        .with {
            $0.deviceID = "WL-330199-0042"
            $0.kind = "water_level"
            $0.value = 32
            $0.timeUnixMs = Fixtures.minutesAgo(1)
        },
        .with {
            $0.deviceID = "WL-330199-0042"
            $0.kind = "water_level"
            $0.value = 12.5
            $0.timeUnixMs = Fixtures.minutesAgo(6)
        },
    ]
}

/// The intake plugin's service as the host routes it: it records each request in a line and answers from the
/// fixtures, refuses what the plugin refuses (an unknown item or dead letter, a step the item's state does not
/// allow, an unknown source), and takes imports as the plugin does: each chunk answered with the import's
/// progress, a record with `BAD` in it dead-lettered, and, after the last chunk, `settling` records still in
/// flight, one fewer for each time it is asked again. As `failure`, it answers every call with that error.
final class FakeIntakeService: Gongzhi_Intake_V1_IntakeHandler {
    let failure: RPCError?
    let settling: UInt64
    let requests = Mutex<[String]>([])
    let callers = Mutex<[String]>([])
    /// Every chunk of every import stream, a list a stream.
    let streams = Mutex<[[Gongzhi_Intake_V1_ImportChunk]]>([])
    /// The devices of the last PutDevices, as sent.
    let putDevicesSent = Mutex<[Gongzhi_Intake_V1_SensorDevice]>([])
    /// How often the progress of an import was asked for after it ended, and what the import received.
    private let asked = Mutex<(times: UInt64, received: UInt64, dead: UInt64)>((0, 0, 0))

    /// Leave out the personal data of items and dead letters, and name it in the response metadata, as the host
    /// does for a caller without the grant.
    let redacting: Bool

    init(failure: RPCError? = nil, settling: UInt64 = 0, redacting: Bool = false) {
        self.failure = failure
        self.settling = settling
        self.redacting = redacting
    }

    private func record(_ request: String, _ context: ServerCallContext) throws {
        requests.withLock { $0.append(request) }
        callers.withLock { $0.append(FakeCaller.describe(context)) }
        if let failure { throw failure }
    }

    private func item(_ id: String) throws -> Gongzhi_Intake_V1_IntakeItem {
        guard id == IntakeFixtures.itemID else { throw RPCError(code: .notFound, message: "there is no item \(id)") }
        return IntakeFixtures.waiting
    }

    func listSources(
        request: Gongzhi_Intake_V1_ListSourcesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListSourcesResponse {
        try record("ListSources", context)
        return IntakeFixtures.sources
    }

    func stats(
        request: Gongzhi_Intake_V1_StatsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_StatsResponse {
        try record("Stats source=\(request.source)", context)
        var stats = IntakeFixtures.stats
        if !request.source.isEmpty {
            stats.sources = stats.sources.filter { $0.source == request.source }
            if stats.sources.isEmpty {
                throw RPCError(
                    code: .notFound,
                    message:
                        "there is no source \(request.source) (sources: hotline-12345, sensors-x, urban-management)"
                )
            }
        }
        return stats
    }

    func submitTicket(
        request: Gongzhi_Intake_V1_SubmitTicketRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_SubmitTicketResponse {
        try record("SubmitTicket", context)
        throw RPCError(code: .unimplemented, message: "not used by the commands")
    }

    func getTicket(
        request: Gongzhi_Intake_V1_GetTicketRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try record("GetTicket", context)
        throw RPCError(code: .unimplemented, message: "not used by the commands")
    }

    func listItems(
        request: Gongzhi_Intake_V1_ListItemsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListItemsResponse {
        try record(
            "ListItems states=\(request.states.map(\.rawValue)) source=\(request.source) place=\(request.place) "
                + "types=\(request.types.map(\.rawValue)) limit=\(request.limit) page=\(request.pageToken)",
            context
        )
        return .with {
            $0.items = [IntakeFixtures.waiting]
            $0.nextPageToken = "p2"
        }
    }

    func getItem(
        request: Gongzhi_Intake_V1_GetItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try record("GetItem \(request.id)", context)
        var found = try item(request.id)
        if redacting {
            context.addResponseMetadata(
                "gongzhi-redacted-fields",
                "description, address,requester.name,requester.phone"
            )
            found.description_p = ""
            found.address = ""
            found.requester = .init()
        }
        return found
    }

    func answerItem(
        request: Gongzhi_Intake_V1_AnswerItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try record("AnswerItem \(request.id) close=\(request.close) answer=\(request.answer)", context)
        let found = try item(request.id)
        if found.type == .complaint {
            throw RPCError(
                code: .failedPrecondition,
                message: "item \(request.id) is a complaint waiting for a person: route it first (gongzhictl intake "
                    + "route); only consultations, requests for help and suggestions are answered"
            )
        }
        return IntakeFixtures.stepped("answered", state: .answered)
    }

    func closeItem(
        request: Gongzhi_Intake_V1_CloseItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try record("CloseItem \(request.id) note=\(request.note)", context)
        _ = try item(request.id)
        return IntakeFixtures.stepped("closed", state: .closed, note: request.note)
    }

    func routeItem(
        request: Gongzhi_Intake_V1_RouteItemRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_IntakeItem {
        try record(
            "RouteItem \(request.id) category=\(request.categoryCode) department=\(request.departmentID) "
                + "type=\(request.type.rawValue) note=\(request.note)",
            context
        )
        _ = try item(request.id)
        var routed = IntakeFixtures.stepped("routed", state: .inCase, note: request.note)
        routed.caseID = "C0a1b2c3d4e5f6071"
        routed.categoryCode = request.categoryCode
        return routed
    }

    func `import`(
        requests: RPCRequestStream<Gongzhi_Intake_V1_ImportChunk>,
        responses: RPCResponseWriter<Gongzhi_Intake_V1_ImportProgress>,
        context: ServerCallContext
    ) async throws {
        var chunks: [Gongzhi_Intake_V1_ImportChunk] = []
        defer {
            let kept = chunks
            streams.withLock { $0.append(kept) }
        }
        var received: UInt64 = 0
        var dead: UInt64 = 0
        for try await chunk in requests {
            try record(
                "Import first_line=\(chunk.firstLine) records=\(chunk.records.count) last=\(chunk.last)",
                context
            )
            chunks.append(chunk)
            if chunks.count == 1 && chunk.source != "urban-management" {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "\(chunk.source) is not a file source; the file sources are urban-management"
                )
            }
            let isQuery = chunks.count == 1 && chunk.last && chunk.records.isEmpty
            var records = chunk.records[...]
            if chunks.count == 1 && chunks[0].fileName.hasSuffix(".csv") { records = records.dropFirst() }
            received += UInt64(records.count)
            dead += UInt64(records.filter { $0.contains("BAD") }.count)
            var progress = Gongzhi_Intake_V1_ImportProgress.with {
                $0.importID = chunk.importID
                $0.recordsReceived = received
                $0.deadLettered = dead
                $0.inFlight = received - dead
            }
            if isQuery {
                let ended = asked.withLock { asked in
                    asked.times += 1
                    return asked
                }
                progress.recordsReceived = ended.received
                progress.deadLettered = ended.dead
                progress.inFlight = min(
                    settling > ended.times ? settling - ended.times : 0,
                    ended.received - ended.dead
                )
                progress.accepted = ended.received - ended.dead - progress.inFlight
            } else if chunk.last {
                progress.inFlight = min(settling, received - dead)
                progress.accepted = received - dead - progress.inFlight
                asked.withLock { $0 = (0, received, dead) }
            }
            try await responses.write(progress)
        }
    }

    func listDeadLetters(
        request: Gongzhi_Intake_V1_ListDeadLettersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListDeadLettersResponse {
        try record(
            "ListDeadLetters source=\(request.source) stage=\(request.stage.rawValue) reason=\(request.reasonCode) "
                + "states=\(request.states.map(\.rawValue)) limit=\(request.limit) page=\(request.pageToken)",
            context
        )
        return .with { $0.deadLetters = [IntakeFixtures.deadLetter, IntakeFixtures.binaryDeadLetter] }
    }

    func getDeadLetter(
        request: Gongzhi_Intake_V1_GetDeadLetterRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_DeadLetter {
        try record("GetDeadLetter \(request.id)", context)
        if redacting && request.id == IntakeFixtures.deadID {
            context.addResponseMetadata("gongzhi-redacted-fields", "raw")
            var d = IntakeFixtures.deadLetter
            d.raw = Data()
            return d
        }
        switch request.id {
        case IntakeFixtures.deadID: return IntakeFixtures.deadLetter
        case IntakeFixtures.binaryDeadLetter.id: return IntakeFixtures.binaryDeadLetter
        default: throw RPCError(code: .notFound, message: "there is no dead letter \(request.id)")
        }
    }

    func replayDeadLetters(
        request: Gongzhi_Intake_V1_ReplayDeadLettersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ReplayDeadLettersResponse {
        try record(
            "ReplayDeadLetters ids=\(request.ids) source=\(request.source) reason=\(request.reasonCode) "
                + "dry_run=\(request.dryRun)",
            context
        )
        let ids = request.ids.isEmpty ? [IntakeFixtures.deadID, IntakeFixtures.binaryDeadLetter.id] : request.ids
        var response = Gongzhi_Intake_V1_ReplayDeadLettersResponse()
        for id in ids {
            var outcome = Gongzhi_Intake_V1_ReplayOutcome()
            outcome.id = id
            outcome.succeeded = id == IntakeFixtures.deadID
            outcome.outcome = outcome.succeeded ? "item \(IntakeFixtures.itemID)" : "dead again: protobuf.decode"
            response.outcomes.append(outcome)
        }
        return response
    }

    func discardDeadLetters(
        request: Gongzhi_Intake_V1_DiscardDeadLettersRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_DiscardDeadLettersResponse {
        try record("DiscardDeadLetters ids=\(request.ids) reason=\(request.reason)", context)
        return .with {
            $0.deadLetters = request.ids.map { id in
                var d = IntakeFixtures.deadLetter
                d.id = id
                d.state = .discarded
                d.discardReason = request.reason
                return d
            }
        }
    }

    func putDevices(
        request: Gongzhi_Intake_V1_PutDevicesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_PutDevicesResponse {
        try record("PutDevices \(request.devices.map(\.id))", context)
        putDevicesSent.withLock { $0 = request.devices }
        return .with {
            $0.devices = request.devices.map { device in
                var registered = device
                registered.registeredAtMs = Fixtures.nowMs
                return registered
            }
        }
    }

    func listDevices(
        request: Gongzhi_Intake_V1_ListDevicesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListDevicesResponse {
        try record("ListDevices place=\(request.place) kind=\(request.kind)", context)
        return .with { $0.devices = [IntakeFixtures.device] }
    }

    func latestReadings(
        request: Gongzhi_Intake_V1_LatestReadingsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_LatestReadingsResponse {
        try record("LatestReadings place=\(request.place) kind=\(request.kind)", context)
        return .with { $0.readings = [IntakeFixtures.readings[0]] }
    }

    func readings(
        request: Gongzhi_Intake_V1_ReadingsRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ReadingsResponse {
        try record(
            "Readings \(request.deviceID) kind=\(request.kind) since=\(request.sinceMs) until=\(request.untilMs) "
                + "limit=\(request.limit)",
            context
        )
        return .with { $0.readings = IntakeFixtures.readings }
    }

    func reloadSources(
        request: Gongzhi_Intake_V1_ReloadSourcesRequest,
        context: ServerCallContext
    ) async throws -> Gongzhi_Intake_V1_ListSourcesResponse {
        try record("ReloadSources", context)
        return IntakeFixtures.sources
    }
}
