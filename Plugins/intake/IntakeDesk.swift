import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiIntakeStore
import GongzhiPluginSDK
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas
import Logging
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a source stands now, as `ListSources` shows it.
struct SourceStatus: Sendable {
    var state: Gongzhi_Intake_V1_SourceState = .connected
    var sinceMs: Int64 = 0
    var detail = ""
    var address = ""
}

/// A source's connection counters since the plugin started.
struct SourceHealth: Sendable {
    var connections: UInt64 = 0
    var reconnects: UInt64 = 0
    var sessionsLost: UInt64 = 0
    var pauses: UInt64 = 0
}

/// The intake module's operations behind its RPCs: it appends what sources send to the durable inbox and
/// wakes their routers, and carries out what people do with items, dead letters and devices.
final class IntakeDesk: Sendable {
    let pipeline: IntakePipeline
    let routers: [String: SourceRouter]
    let waiters: InputWaiters
    let statuses = Mutex<[String: SourceStatus]>([:])
    let health = Mutex<[String: SourceHealth]>([:])
    /// The broker's count of dropped messages, as `$SYS` last said it.
    let brokerDropped = Atomic<UInt64>(0)

    init(pipeline: IntakePipeline, routers: [String: SourceRouter], waiters: InputWaiters) {
        self.pipeline = pipeline
        self.routers = routers
        self.waiters = waiters
    }

    var store: IntakeStore { pipeline.store }
    var books: IntakeBooks { pipeline.books }
    var settings: IntakeSettings { pipeline.settings.withLock { $0 } }
    var now: Int64 { pipeline.clock.nowMs() }

    func setStatus(_ source: String, _ change: (inout SourceStatus) -> Void) {
        statuses.withLock { statuses in
            var status = statuses[source] ?? SourceStatus()
            let before = status.state
            change(&status)
            if status.state != before || status.sinceMs == 0 { status.sinceMs = now }
            statuses[source] = status
        }
    }

    // MARK: Sources and counters

    func sourceSummaries() -> Gongzhi_Intake_V1_ListSourcesResponse {
        let settings = self.settings
        let statuses = self.statuses.withLock { $0 }
        var response = Gongzhi_Intake_V1_ListSourcesResponse()
        for source in settings.sources.sources {
            var summary = Gongzhi_Intake_V1_SourceSummary()
            summary.name = source.name
            summary.kind = source.sourceKind
            let status = statuses[source.name] ?? SourceStatus()
            switch source.kind {
            case .mqtt(let broker, _, let topics, _):
                summary.address = broker.description
                summary.topicFilters = topics
            case .open311:
                summary.address = status.address
            case .file(let format, let encoding):
                summary.address = "\(source.mappingPath) (\(format.rawValue), \(encoding))"
            }
            summary.state = status.state
            summary.sinceMs = status.sinceMs
            var detail = status.detail
            for (_, why) in pipeline.integrations.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
                detail += (detail.isEmpty ? "" : "; ") + why
            }
            summary.detail = detail
            response.sources.append(summary)
        }
        return response
    }

    func stats(source name: String) throws -> Gongzhi_Intake_V1_StatsResponse {
        let names = settings.sources.sources.map(\.name)
        if !name.isEmpty, !names.contains(name) {
            throw RPCError(
                code: .notFound,
                message: "there is no source \"\(name)\" (sources: \(names.joined(separator: ", ")))"
            )
        }
        var response = Gongzhi_Intake_V1_StatsResponse()
        for source in names where name.isEmpty || source == name {
            var counters = try store.counters(source: source)
            counters.paused = statuses.withLock { $0[source]?.state == .paused }
            let health = self.health.withLock { $0[source] ?? SourceHealth() }
            counters.pauses = health.pauses
            counters.reconnects = health.reconnects
            counters.sessionsLost = health.sessionsLost
            response.sources.append(counters)
        }
        response.brokerDropped = brokerDropped.load(ordering: .relaxed)
        response.atMs = now
        return response
    }

    /// True when the source may take more inputs now.
    func admits(_ source: IntakeSources.Source) -> Bool {
        ((try? store.inFlight(source: source.name)) ?? 0) < source.maximumInFlight
    }

    /// Seconds an HTTP client is told to wait when its source is full.
    func retryAfterSeconds(_ source: IntakeSources.Source) -> Int {
        let inFlight = (try? store.inFlight(source: source.name)) ?? source.maximumInFlight
        return min(60, max(1, (inFlight - source.maximumInFlight * 8 / 10) / max(1, source.maximumInFlight / 20)))
    }

    /// Appends inputs of a source to the inbox (durable when this returns) and wakes its router.
    @discardableResult
    func append(_ inputs: [InboxInput], to source: String) throws -> [UInt64] {
        let seqs = try store.append(source: source, inputs)
        routers[source]?.wake()
        return seqs
    }

    // MARK: Open311

    func submit(
        _ request: Gongzhi_Intake_V1_SubmitTicketRequest,
        by caller: Caller
    ) async throws -> Gongzhi_Intake_V1_SubmitTicketResponse {
        guard let source = settings.sources.source(named: request.source),
            case .open311(let services, _) = source.kind
        else {
            throw RPCError(code: .notFound, message: "there is no Open311 source \"\(request.source)\"")
        }
        guard let service = services.first(where: { $0.code == request.serviceCode }) else {
            throw RPCError(
                code: .notFound,
                message: "the source \(source.name) offers no service \"\(request.serviceCode)\""
            )
        }
        guard admits(source) else {
            try? store.refused(source: source.name, reason: "busy")
            throw RPCError(
                code: .resourceExhausted,
                message: "the source \(source.name) has as many requests in flight as it may hold; "
                    + "retry after \(retryAfterSeconds(source)) seconds"
            )
        }
        let input = InboxInput(
            origin: caller.principal,
            externalID: request.idempotencyKey,
            contentType: IntakeContentType.open311Request,
            payload: try request.serializedBytes(),
            receivedAtMs: now
        )
        guard let seq = try append([input], to: source.name).first else {
            throw RPCError(code: .internal, message: "the inbox took the request but gave no sequence")
        }
        var response = Gongzhi_Intake_V1_SubmitTicketResponse()
        response.accountID = request.accountID
        response.serviceRequestID = String(seq)
        response.itemID = IntakeIdentity.itemID(source: source.name, inboxSequence: seq)
        if service.type == .batch {
            response.serviceRequestID = ""
            response.token = Open311Tickets.token(source: source.name, seq: seq)
            response.serviceNotice = "已受理"
            return response
        }
        let fate = await waiters.wait(for: seq, milliseconds: settings.realtimeWaitMs)
        switch fate?.result {
        case .duplicate(let first, _)?:
            response.duplicate = true
            if first != 0 {
                response.serviceRequestID = String(first)
                response.itemID = IntakeIdentity.itemID(source: source.name, inboxSequence: first)
            }
            response.serviceNotice = "重复诉求，已与工单 \(response.serviceRequestID) 合并"
        case .accepted?:
            response.serviceNotice = books.items[response.itemID]?.message.statusNotes ?? "已受理"
        case .dead(let refusal)?:
            // The request is durable and counted; the dead letter waits for a person.
            response.serviceNotice = "已受理，人工核实中（\(refusal.code)）"
        case .retry?, nil:
            response.serviceNotice = "已受理"
        }
        return response
    }

    func ticketItem(
        _ request: Gongzhi_Intake_V1_GetTicketRequest,
        for caller: Caller
    ) throws
        -> Gongzhi_Intake_V1_IntakeItem
    {
        var seq = UInt64(request.serviceRequestID)
        if seq == nil, !request.token.isEmpty {
            seq = Open311Tickets.seq(ofToken: request.token, source: request.source)
        }
        guard let seq, let item = books.items[IntakeIdentity.itemID(source: request.source, inboxSequence: seq)]
        else {
            throw RPCError(
                code: .notFound,
                message: "there is no request \(request.serviceRequestID)\(request.token) of \(request.source)"
            )
        }
        guard item.message.submittedBy == caller.principal || caller.kind == "admin" else {
            throw RPCError(
                code: .notFound,
                message: "there is no request \(request.serviceRequestID) of \(request.source) for this key"
            )
        }
        return item.message
    }

    // MARK: Items

    /// A list's page size (100 unless asked, at most 1,000) and the inbox sequence its page starts below: the
    /// page token is the last sequence of the page before, so that paging holds while new inputs arrive.
    static func page(limit: UInt32, token: String) throws -> (limit: Int, after: UInt64) {
        let size = limit == 0 ? 100 : min(Int(limit), 1_000)
        guard !token.isEmpty else { return (size, UInt64.max) }
        guard let after = UInt64(token) else {
            throw RPCError(code: .invalidArgument, message: "the page token \"\(token)\" is not one this service gave")
        }
        return (size, after)
    }

    func listItems(
        _ request: Gongzhi_Intake_V1_ListItemsRequest,
        for caller: Caller
    ) throws
        -> Gongzhi_Intake_V1_ListItemsResponse
    {
        let states = Set(request.states)
        let types = Set(request.types)
        let (limit, after) = try Self.page(limit: request.limit, token: request.pageToken)
        let matching = books.items.all().values.map(\.message).filter { item in
            item.inboxSequence < after && (states.isEmpty || states.contains(item.state))
                && (types.isEmpty || types.contains(item.type))
                && (request.source.isEmpty || item.source == request.source)
                && (request.place.isEmpty
                    || [item.gridCode, item.communityCode, item.streetCode].contains(request.place))
                && caller.places.covers(item.gridCode)
        }.sorted { $0.inboxSequence > $1.inboxSequence }
        var response = Gongzhi_Intake_V1_ListItemsResponse()
        response.items = Array(matching.prefix(limit))
        if matching.count > limit, let last = response.items.last {
            response.nextPageToken = String(last.inboxSequence)
        }
        return response
    }

    func item(_ id: String, for caller: Caller) throws -> Gongzhi_Intake_V1_IntakeItem {
        guard let item = books.items[id]?.message, caller.places.covers(item.gridCode) else {
            throw RPCError(code: .notFound, message: "there is no item \(id)")
        }
        return item
    }

    static func actor(_ caller: Caller) -> ItemActor {
        if let person = caller.person {
            return ItemActor(id: person.id, name: person.name, principal: caller.principal)
        }
        return ItemActor(principal: caller.principal)
    }

    static func rpcError(_ error: IntakeWorkflowError) -> RPCError {
        RPCError(code: error.code == .invalidArgument ? .invalidArgument : .failedPrecondition, message: error.message)
    }

    /// Takes a step of an item's workflow and writes it.
    func step(_ id: String, _ step: ItemStep, by caller: Caller) async throws -> Gongzhi_Intake_V1_IntakeItem {
        _ = try item(id, for: caller)
        let at = now
        let updated = try await books.items.change(id, retries: 5) { (current) throws(RPCError) in
            do throws(IntakeWorkflowError) {
                return try ItemWorkflow.apply(step, to: current, by: Self.actor(caller), atMs: at)
            } catch {
                throw Self.rpcError(error)
            }
        }
        return updated
    }

    /// A person routes a waiting item: into a grid case (a report filed for it), or as an item of its own.
    func route(
        _ request: Gongzhi_Intake_V1_RouteItemRequest,
        by caller: Caller
    ) async throws
        -> Gongzhi_Intake_V1_IntakeItem
    {
        let held = try item(request.id, for: caller)
        if request.type != .unspecified {
            return try await step(request.id, .routeAsItem(request.type, note: request.note), by: caller)
        }
        guard held.state == .waiting else {
            throw RPCError(
                code: .failedPrecondition,
                message: "item \(held.id) is not waiting for a person: only a waiting item is routed "
                    + "(it is \(IntakeKinds.label(held.state)))"
            )
        }
        guard SourceMapping.isCatalogueCode(request.categoryCode) else {
            throw RPCError(
                code: .invalidArgument,
                message: "give --category CODE (a catalogue code like E0405), --department ID with it, or --type"
            )
        }
        guard !held.gridCode.isEmpty else {
            throw RPCError(
                code: .failedPrecondition,
                message: "item \(held.id) lies in no grid (no point, or the grid module is not deployed): "
                    + "route it as a consultation, help or suggestion, or close it"
            )
        }
        var report = Gongzhi_Grid_V1_ReportRequest()
        report.source = settings.mappings[held.source]?.gridSource ?? .online
        report.categoryCode = request.categoryCode
        report.description_p = IntakePipeline.reportDescription(held.description_p, itemID: held.id)
        report.location = held.location
        report.gridCode = held.gridCode
        report.media = Array(held.media.prefix(20))
        report.reporter.name = held.requester.name
        report.reporter.phone = held.requester.phone
        report.reporter.source = report.source
        report.reporter.reportedAtMs = held.receivedAtMs
        report.idempotencyKey = "intake:route:\(held.id)"
        let answer: Gongzhi_Grid_V1_ReportResponse
        do {
            answer = try await pipeline.downstream.report(report)
        } catch {
            throw RPCError(code: .unavailable, message: "the grid did not take the report: \(error)")
        }
        var gridCase = answer.case
        var agency = ""
        if !request.departmentID.isEmpty, !answer.duplicate {
            gridCase =
                (try? await pipeline.downstream.dispatch(gridCase, toDepartment: request.departmentID)) ?? gridCase
            agency = request.departmentID
        }
        var updated = try await step(
            request.id,
            .routeToCase(caseID: gridCase.id, categoryCode: request.categoryCode, agency: agency, note: request.note),
            by: caller
        )
        if gridCase.state != .reported {
            updated = try await books.items.change(updated.id, retries: 5) { current in
                var next = current
                CaseFollower.follow(&next, gridCase)
                return next
            }
        }
        return updated
    }

    // MARK: Files

    /// A department's file, chunk by chunk: each chunk's records are appended to the inbox in one transaction
    /// and answered with the import's progress; a chunk waits while the source is full.
    func importFile(
        requests: RPCRequestStream<Gongzhi_Intake_V1_ImportChunk>,
        responses: RPCResponseWriter<Gongzhi_Intake_V1_ImportProgress>,
        by caller: Caller
    ) async throws {
        var source: IntakeSources.Source?
        var header = ""
        var fileName = ""
        var importID = ""
        var first = true
        for try await chunk in requests {
            if first {
                first = false
                guard let named = settings.sources.source(named: chunk.source), case .file = named.kind else {
                    let files = settings.sources.sources.filter {
                        if case .file = $0.kind { return true }
                        return false
                    }.map(\.name)
                    throw RPCError(
                        code: .notFound,
                        message:
                            "there is no file source \"\(chunk.source)\" (file sources: \(files.joined(separator: ", ")))"
                    )
                }
                source = named
                fileName = chunk.fileName.isEmpty ? "import" : chunk.fileName
                importID = chunk.importID.isEmpty ? "\(named.name):\(now)" : chunk.importID
            }
            guard let source, case .file(let format, _) = source.kind else { continue }
            var records = chunk.records[...]
            var line = Int(max(1, chunk.firstLine))
            if format == .csv, header.isEmpty, let head = records.first {
                header = head
                records = records.dropFirst()
                line += head.reduce(0) { $0 + ($1 == "\n" ? 1 : 0) } + 1
            }
            var inputs: [InboxInput] = []
            for record in records {
                let payload = format == .csv ? header + "\n" + record : record
                var input = InboxInput(
                    origin: "\(fileName):\(line)",
                    externalID: "",
                    contentType: format == .csv ? IntakeContentType.csvRecord : IntakeContentType.jsonLine,
                    payload: Array(payload.utf8),
                    receivedAtMs: now
                )
                input.importID = importID
                input.importLine = UInt64(line)
                inputs.append(input)
                line += record.reduce(0) { $0 + ($1 == "\n" ? 1 : 0) } + 1
            }
            // Backpressure: the chunk is taken only when the source has room; the client waits for its answer.
            if !inputs.isEmpty {
                while !admits(source) {
                    try await Task.sleep(for: .milliseconds(50))
                }
                try append(inputs, to: source.name)
            }
            var progress = try store.importProgress(importID: importID)
            progress.importID = importID
            try await responses.write(progress)
        }
        if first {
            throw RPCError(code: .invalidArgument, message: "the import sent no chunk; the first names the source")
        }
        _ = caller
    }

    // MARK: Dead letters

    func listDeadLetters(
        _ request: Gongzhi_Intake_V1_ListDeadLettersRequest,
        for caller: Caller
    ) throws
        -> Gongzhi_Intake_V1_ListDeadLettersResponse
    {
        let states = Set(request.states)
        let (limit, after) = try Self.page(limit: request.limit, token: request.pageToken)
        let matching = books.deadLetters.all().values.map(\.message).filter { letter in
            letter.inboxSequence < after && (states.isEmpty || states.contains(letter.state))
                && (request.source.isEmpty || letter.source == request.source)
                && (request.stage == .unspecified || letter.stage == request.stage)
                && (request.reasonCode.isEmpty || letter.reasonCode == request.reasonCode)
                && caller.places.covers(letter.gridCode)
        }.sorted { $0.inboxSequence > $1.inboxSequence }
        var response = Gongzhi_Intake_V1_ListDeadLettersResponse()
        response.deadLetters = Array(matching.prefix(limit))
        if matching.count > limit, let last = response.deadLetters.last {
            response.nextPageToken = String(last.inboxSequence)
        }
        return response
    }

    func deadLetter(_ id: String, for caller: Caller) throws -> Gongzhi_Intake_V1_DeadLetter {
        guard let letter = books.deadLetters[id]?.message, caller.places.covers(letter.gridCode) else {
            throw RPCError(code: .notFound, message: "there is no dead letter \(id)")
        }
        return letter
    }

    private func letterStep(
        _ id: String,
        _ step: DeadLetterStep,
        by caller: Caller
    ) async throws
        -> Gongzhi_Intake_V1_DeadLetter
    {
        let at = now
        return try await books.deadLetters.change(id, retries: 5) { (current) throws(RPCError) in
            do throws(IntakeWorkflowError) {
                return try DeadLetterWorkflow.apply(step, to: current, by: Self.actor(caller), atMs: at)
            } catch {
                throw Self.rpcError(error)
            }
        }
    }

    /// Replays dead letters through the pipeline with today's mappings and registry. A replay that succeeds
    /// moves the input from dead-lettered to accepted (or duplicates), once: item ids and report keys come
    /// from the input's inbox sequence, so running it again makes nothing twice.
    func replay(
        _ request: Gongzhi_Intake_V1_ReplayDeadLettersRequest,
        by caller: Caller
    ) async throws
        -> Gongzhi_Intake_V1_ReplayDeadLettersResponse
    {
        var ids = request.ids
        if ids.isEmpty {
            var filter = Gongzhi_Intake_V1_ListDeadLettersRequest()
            filter.source = request.source
            filter.reasonCode = request.reasonCode
            filter.states = [.open]
            filter.limit = 1_000
            ids = try listDeadLetters(filter, for: caller).deadLetters.map(\.id)
        }
        var response = Gongzhi_Intake_V1_ReplayDeadLettersResponse()
        for id in ids {
            var outcome = Gongzhi_Intake_V1_ReplayOutcome()
            outcome.id = id
            do {
                let letter = try deadLetter(id, for: caller)
                if request.dryRun {
                    outcome.outcome =
                        letter.state == .open
                        ? "would be replayed" : "is \(IntakeKinds.label(letter.state)): not replayed"
                    outcome.succeeded = letter.state == .open
                } else {
                    _ = try await letterStep(id, .beginReplay, by: caller)
                    (outcome.outcome, outcome.succeeded) = try await runReplay(letter, by: caller)
                }
            } catch let error as RPCError {
                outcome.outcome = error.message
            }
            response.outcomes.append(outcome)
        }
        return response
    }

    /// Runs a dead letter that is being replayed through the pipeline and records how it ended.
    func runReplay(_ letter: Gongzhi_Intake_V1_DeadLetter, by caller: Caller) async throws -> (String, Bool) {
        guard let source = settings.sources.source(named: letter.source) else {
            _ = try await letterStep(
                letter.id,
                .replayFailed(
                    stage: .route,
                    reasonCode: "source.unknown",
                    reason: "the source \(letter.source) is no longer configured"
                ),
                by: caller
            )
            return ("the source \(letter.source) is no longer configured", false)
        }
        guard let row = try store.row(seq: letter.inboxSequence) else {
            throw RPCError(
                code: .dataLoss,
                message: "the inbox no longer holds input \(letter.inboxSequence) of \(letter.id)"
            )
        }
        let result: RowResult
        if case .mqtt = source.kind {
            result = await pipeline.processReadings([row], source: source).first ?? .retry("not processed")
        } else {
            result = await pipeline.processTicket(row, source: source)
        }
        switch result {
        case .accepted(let outcome, let detail, let dedupe):
            try store.replayed(source: source.name, seq: row.seq, outcome: .accepted(outcome), dedupe: dedupe)
            _ = try await letterStep(letter.id, .replaySucceeded(outcome: detail), by: caller)
            return (detail, true)
        case .duplicate(let first, let detail):
            try store.replayed(source: source.name, seq: row.seq, outcome: .duplicate(of: first))
            _ = try await letterStep(
                letter.id,
                .replaySucceeded(outcome: first == 0 ? detail : "duplicate of input \(first)"),
                by: caller
            )
            return ("duplicate: \(detail)", true)
        case .dead(let refusal):
            _ = try await letterStep(
                letter.id,
                .replayFailed(stage: refusal.stage, reasonCode: refusal.code, reason: refusal.reason),
                by: caller
            )
            return ("dead again: \(refusal.reason)", false)
        case .retry(let why):
            _ = try await letterStep(
                letter.id,
                .replayFailed(stage: .deliver, reasonCode: "module.unavailable", reason: why),
                by: caller
            )
            return ("not now: \(why); replay it again later", false)
        }
    }

    /// Finishes replays a stop cut short (dead letters left REPLAYING).
    func resumeReplays() async {
        let caller = Caller(principal: "plugin:intake", kind: "plugin", seesPersonalData: true)
        for letter in books.deadLetters.all().values.map(\.message) where letter.state == .replaying {
            do {
                _ = try await runReplay(letter, by: caller)
            } catch {
                pipeline.logger.warning(
                    "resuming a replay failed",
                    metadata: ["dead letter": "\(letter.id)", "error": "\(error)"]
                )
            }
        }
    }

    func discard(
        _ request: Gongzhi_Intake_V1_DiscardDeadLettersRequest,
        by caller: Caller
    ) async throws
        -> Gongzhi_Intake_V1_DiscardDeadLettersResponse
    {
        guard !request.ids.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "name the dead letters to discard")
        }
        var response = Gongzhi_Intake_V1_DiscardDeadLettersResponse()
        for id in request.ids {
            let letter = try deadLetter(id, for: caller)
            let discarded = try await letterStep(id, .discard(reason: request.reason), by: caller)
            try store.discarded(source: letter.source, seq: letter.inboxSequence)
            response.deadLetters.append(discarded)
        }
        return response
    }

    // MARK: Devices and readings

    func putDevices(
        _ request: Gongzhi_Intake_V1_PutDevicesRequest,
        by caller: Caller
    ) async throws
        -> Gongzhi_Intake_V1_PutDevicesResponse
    {
        guard !request.devices.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "the request names no device")
        }
        var response = Gongzhi_Intake_V1_PutDevicesResponse()
        for (index, given) in request.devices.enumerated() {
            var device = given
            let trimmed = device.id.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 128, !trimmed.contains("/"), !trimmed.contains("+"),
                !trimmed.contains("#")
            else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "device \(index + 1): the id \"\(device.id)\" must be 1–128 characters without /, + or # "
                        + "(it is a topic level)"
                )
            }
            device.id = trimmed
            if device.gridCode.isEmpty, device.hasLocation {
                let point = Coordinate(latitude: device.location.latitude, longitude: device.location.longitude)
                if let place = try? await pipeline.downstream.locate(point) {
                    device.gridCode = place.gridCode
                    if device.communityCode.isEmpty { device.communityCode = place.communityCode }
                }
            }
            guard caller.places.covers(device.gridCode) else {
                throw RPCError(
                    code: .permissionDenied,
                    message:
                        "device \(device.id) lies in grid \(device.gridCode.isEmpty ? "(none)" : device.gridCode), "
                        + "outside your places"
                )
            }
            if device.registeredAtMs == 0 { device.registeredAtMs = books.device(device.id)?.registeredAtMs ?? now }
            response.devices.append(try await books.putDevice(device))
        }
        return response
    }

    func devices(place: String, kind: String, for caller: Caller) -> [Gongzhi_Intake_V1_SensorDevice] {
        books.devices.all().values.map(\.message).filter { device in
            (place.isEmpty || device.gridCode == place || device.communityCode == place)
                && (kind.isEmpty || device.kinds.contains(kind)) && caller.places.covers(device.gridCode)
        }.sorted { $0.id < $1.id }
    }

    func latestReadings(
        _ request: Gongzhi_Intake_V1_LatestReadingsRequest,
        for caller: Caller
    ) throws
        -> Gongzhi_Intake_V1_LatestReadingsResponse
    {
        let devices = Set(devices(place: request.place, kind: "", for: caller).map(\.id))
        var response = Gongzhi_Intake_V1_LatestReadingsResponse()
        response.readings = try store.latest(deviceIDs: devices, kind: request.kind.isEmpty ? nil : request.kind)
        return response
    }

    func readings(
        _ request: Gongzhi_Intake_V1_ReadingsRequest,
        for caller: Caller
    ) throws
        -> Gongzhi_Intake_V1_ReadingsResponse
    {
        guard let device = books.device(request.deviceID), caller.places.covers(device.gridCode) else {
            throw RPCError(code: .notFound, message: "there is no device \(request.deviceID)")
        }
        var response = Gongzhi_Intake_V1_ReadingsResponse()
        response.readings = try store.readings(
            deviceID: device.id,
            kind: request.kind.isEmpty ? nil : request.kind,
            sinceMs: request.sinceMs,
            untilMs: request.untilMs == 0 ? Int64.max : request.untilMs,
            limit: request.limit == 0 ? 1_000 : min(Int(request.limit), 10_000)
        )
        return response
    }

    // MARK: Reload

    /// Reads the sources file and its mappings again. Mappings, services and budgets take effect at once; a
    /// changed broker address, topic list or a new source needs a restart of the plugin, which the answer says.
    func reload() throws -> Gongzhi_Intake_V1_ListSourcesResponse {
        let current = settings
        let fresh = try IntakeSettings.load(sourcesPath: current.sourcesPath)
        var restartNeeded: [String] = []
        for source in fresh.sources.sources {
            guard let held = current.sources.source(named: source.name) else {
                restartNeeded.append("\(source.name) is new")
                continue
            }
            if case .mqtt = source.kind, held.kind != source.kind {
                restartNeeded.append("\(source.name)'s broker or topics changed")
            }
        }
        pipeline.settings.withLock { settings in
            var next = fresh
            next.httpAddress = settings.httpAddress
            next.retentionDays = settings.retentionDays
            next.realtimeWaitMs = settings.realtimeWaitMs
            next.moduleGraceMs = settings.moduleGraceMs
            next.clock = settings.clock
            // Sources the running plugin does not route keep out until it restarts.
            next.sources.sources = fresh.sources.sources.filter { routers[$0.name] != nil }
            settings = next
        }
        for name in restartNeeded.map({ String($0.split(separator: " ").first ?? "") }) {
            setStatus(name) { $0.detail = "restart the plugin to apply the change (gongzhictl plugins restart intake)" }
        }
        pipeline.logger.info("reloaded the sources file", metadata: ["restart needed for": "\(restartNeeded)"])
        return sourceSummaries()
    }
}
