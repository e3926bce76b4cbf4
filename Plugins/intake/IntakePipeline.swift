import GongzhiGridSchemas
import GongzhiHashing
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

/// What a stage refused: the input becomes a dead letter with this stage, stable code and reason (no personal
/// data in the reason).
struct Refusal: Error, Sendable {
    var stage: Gongzhi_Intake_V1_Stage
    var code: String
    var reason: String
    var externalID = ""
    var deviceID = ""
    var gridCode = ""

    init(_ stage: Gongzhi_Intake_V1_Stage, _ error: InputError) {
        self.stage = stage
        code = error.code
        reason = error.description
    }

    init(_ stage: Gongzhi_Intake_V1_Stage, code: String, reason: String) {
        self.stage = stage
        self.code = code
        self.reason = reason
    }
}

/// How the pipeline ended with one input.
enum RowResult: Sendable {
    /// Through the pipeline; `detail` says where it went ("case C…", "item T…", "3 readings stored").
    case accepted(AcceptedOutcome, detail: String, dedupe: DedupeRecord?)
    /// The same input came before (as inbox row `first`, 0 when only its readings are known).
    case duplicate(of: UInt64, detail: String)
    /// A stage refused it.
    case dead(Refusal)
    /// Not now (a module busy or restarting): it stays in flight and is tried again.
    case retry(String)
}

/// The stages every input goes through after it is durable in the inbox: decode, validate, dedupe, locate,
/// classify, route (统一受理、对口办理、归口处理). Everything here is idempotent — item and dead-letter ids and
/// grid report keys derive from the inbox sequence — so that running an input again after a crash or a replay
/// makes nothing twice.
final class IntakePipeline: Sendable {
    let settings: Mutex<IntakeSettings>
    let store: IntakeStore
    let downstream: Downstream
    let books: IntakeBooks
    let logger: Logger
    let clock: PluginClock
    private let coalescer: Mutex<AlertCoalescer>
    /// Why the sensor check or the grid is not being used, for `ListSources` and the logs (once).
    let integrations = Mutex<[String: String]>([:])

    init(settings: IntakeSettings, store: IntakeStore, downstream: Downstream, books: IntakeBooks, logger: Logger) {
        self.settings = Mutex(settings)
        self.store = store
        self.downstream = downstream
        self.books = books
        self.logger = logger
        clock = settings.clock
        coalescer = Mutex(AlertCoalescer())
    }

    /// Takes the open alerts back into the coalescer after a start.
    func restoreAlerts(_ alerts: [Gongzhi_Intake_V1_SensorAlert]) {
        coalescer.withLock { coalescer in
            for alert in alerts where alert.state == .open {
                coalescer.restore(alert, caseOpen: !alert.caseID.isEmpty)
            }
        }
    }

    /// A critical alert's case closed: the next critical reading files a new report.
    func alertCaseClosed(caseID: String) {
        coalescer.withLock { $0.caseClosed(caseID: caseID) }
    }

    private func note(_ integration: String, _ why: String?) {
        let changed = integrations.withLock { notes -> Bool in
            let changed = notes[integration] != why
            notes[integration] = why
            return changed
        }
        if changed, let why { logger.warning("\(why)") }
    }

    // MARK: Tickets

    /// The fields of an input that are not in the mapping's record: who asked, the Open311 extras.
    struct TicketExtras: Sendable {
        var requester = Gongzhi_Intake_V1_Requester()
        var attributes: [Gongzhi_Intake_V1_Attribute] = []
        var media: [String] = []
        var serviceCode = ""
        var submittedBy = ""
        var fullDescription = ""
        var origin = ""
    }

    /// An inbox row of an Open311 or file source as a mapping record.
    func record(
        of row: InboxRow,
        source: IntakeSources.Source
    ) throws(Refusal)
        -> (record: [String: String], line: Int, extras: TicketExtras)
    {
        switch source.kind {
        case .open311(_, let ticketAttribute):
            let request: Gongzhi_Intake_V1_SubmitTicketRequest
            do {
                request = try Gongzhi_Intake_V1_SubmitTicketRequest(serializedBytes: row.payload)
            } catch {
                throw Refusal(.decode, code: "protobuf.invalid", reason: "the stored request does not decode: \(error)")
            }
            var record: [String: String] = ["service_code": request.serviceCode]
            record["description"] = request.description_p
            if request.hasLat { record["lat"] = String(request.lat) }
            if request.hasLong { record["long"] = String(request.long) }
            record["address_string"] = request.addressString
            record["address_id"] = request.addressID
            record["name"] = [request.lastName, request.firstName].filter { !$0.isEmpty }.joined()
            record["phone"] = request.phone
            for attribute in request.attributes {
                record["attribute[\(attribute.code)]"] = attribute.values.joined(separator: ",")
            }
            var extras = TicketExtras()
            extras.requester.name = record["name"] ?? ""
            extras.requester.phone = request.phone
            extras.requester.email = request.email
            extras.requester.accountID = request.accountID
            extras.requester.deviceID = request.deviceID
            extras.attributes = request.attributes
            extras.media = request.mediaURL.isEmpty ? [] : [request.mediaURL]
            extras.serviceCode = request.serviceCode
            extras.submittedBy = row.origin
            extras.fullDescription = request.description_p
            // The ticket number the hotline gives (工单编号) is the external id; else the Idempotency-Key.
            let number =
                ticketAttribute.isEmpty
                ? "" : request.attributes.first { $0.code == ticketAttribute }?.values.first ?? ""
            record["external_id"] = number.isEmpty ? request.idempotencyKey : number
            return (record, 0, extras)
        case .file(let format, _):
            guard let text = String(validating: row.payload, as: UTF8.self) else {
                throw Refusal(.decode, code: "text.encoding", reason: "the record is not UTF-8 text")
            }
            let line = Self.line(ofOrigin: row.origin)
            var extras = TicketExtras()
            extras.origin = row.origin
            switch format {
            case .csv:
                // The row holds the file's header line, then the record (see `IntakeService.import`).
                let table: CSVTable
                do throws(InputError) {
                    table = try CSVTable.parse(text)
                } catch {
                    var shifted = error
                    if shifted.line > 0 { shifted.line = line + shifted.line - 2 }
                    throw Refusal(.decode, shifted)
                }
                guard let first = table.rows.first, table.rows.count == 1 else {
                    throw Refusal(
                        .decode,
                        InputError(code: "csv.record", message: "line \(line) holds no single record", line: line)
                    )
                }
                guard first.fields.count == table.header.count else {
                    throw Refusal(
                        .validate,
                        InputError(
                            code: "csv.fields",
                            message: "the record has \(first.fields.count) fields, the header \(table.header.count)",
                            line: line
                        )
                    )
                }
                return (table.fields(of: first), line, extras)
            case .jsonl:
                do throws(InputError) {
                    guard let record = try JSONLines.records(text, firstLine: line).first else {
                        throw InputError(code: "json.empty", message: "the line is empty", line: line)
                    }
                    return (record.fields, line, extras)
                } catch {
                    throw Refusal(.decode, error)
                }
            }
        case .mqtt:
            throw Refusal(.decode, code: "source.kind", reason: "an MQTT source holds readings, not tickets")
        }
    }

    /// "tickets.csv:1234" → 1234.
    static func line(ofOrigin origin: String) -> Int {
        guard let colon = origin.lastIndex(of: ":"), let line = Int(origin[origin.index(after: colon)...]) else {
            return 0
        }
        return line
    }

    /// A ticket (an Open311 request or a department's record) through dedupe, locate, classify and route.
    func processTicket(_ row: InboxRow, source: IntakeSources.Source) async -> RowResult {
        guard let mapping = settings.withLock({ $0.mappings[source.name] }) else {
            return .dead(Refusal(.classify, code: "mapping.missing", reason: "the source has no mapping"))
        }
        var ticket: Ticket
        var extras: TicketExtras
        do throws(Refusal) {
            let (record, line, recordExtras) = try record(of: row, source: source)
            extras = recordExtras
            do throws(InputError) {
                ticket = try mapping.ticket(from: record, line: line)
            } catch {
                throw Refusal(.validate, error)
            }
            if case .open311 = source.kind {
                ticket.externalID = record["external_id"] ?? ""
            }
        } catch {
            return .dead(error)
        }
        if extras.fullDescription.isEmpty { extras.fullDescription = ticket.description }
        if mapping.datum == .gcj02, let point = ticket.coordinate {
            ticket.coordinate = GCJ02.toWGS84(point)
        }
        let now = clock.nowMs()
        let fingerprint = Fingerprint.of(ticket, source: source.name)
        do {
            if !ticket.externalID.isEmpty,
                let first = try store.seen(source: source.name, externalID: ticket.externalID),
                first != row.seq
            {
                return .duplicate(of: first, detail: "the same external id as input \(first)")
            }
            if let first = try store.recentFingerprint(
                source: source.name,
                fingerprint: fingerprint,
                sinceMs: now - mapping.dedupeWindowMs
            ), first != row.seq {
                return .duplicate(of: first, detail: "the same content as input \(first) within the window")
            }
        } catch {
            return .retry("reading the dedupe memory failed: \(error)")
        }
        let dedupe = DedupeRecord(externalID: ticket.externalID, fingerprint: fingerprint, atMs: row.receivedAtMs)

        // Locate.
        var place = Gongzhi_Grid_V1_LocateResponse()
        var located = false
        do {
            if let point = ticket.coordinate {
                if let found = try await downstream.locate(point) {
                    place = found
                    located = true
                    note("grid", nil)
                } else {
                    var refusal = Refusal(
                        .locate,
                        code: "locate.outside",
                        reason: String(
                            format: "the point %.6f, %.6f lies in no grid of the district",
                            point.latitude,
                            point.longitude
                        )
                    )
                    refusal.externalID = ticket.externalID
                    return .dead(refusal)
                }
            } else if !ticket.addressID.isEmpty {
                if let building = try await downstream.building(ticket.addressID), !building.gridCode.isEmpty {
                    place.gridCode = building.gridCode
                    located = true
                }
            }
        } catch {
            switch error {
            case .notDeployed(let why):
                note("grid", "the grid module is not deployed (\(why)): tickets wait for a person, unlocated")
            case .transient(let why):
                return .retry(why)
            case .refused(let rpc):
                var refusal = Refusal(.locate, code: "locate.refused", reason: rpc.message)
                refusal.externalID = ticket.externalID
                return .dead(refusal)
            }
        }

        var item = Gongzhi_Intake_V1_IntakeItem()
        item.id = IntakeIdentity.itemID(source: source.name, inboxSequence: row.seq)
        item.source = source.name
        item.sourceKind = source.sourceKind
        item.externalID = ticket.externalID
        item.serviceRequestID = String(row.seq)
        item.serviceCode = extras.serviceCode.isEmpty ? ticket.sourceCategory : extras.serviceCode
        item.description_p = extras.fullDescription
        if let point = ticket.coordinate {
            item.location.latitude = point.latitude
            item.location.longitude = point.longitude
        }
        item.address = ticket.address
        item.addressID = ticket.addressID
        item.gridCode = place.gridCode
        item.communityCode = place.communityCode
        item.streetCode = place.streetCode
        item.media = extras.media
        item.requester = extras.requester
        if item.requester.name.isEmpty { item.requester.name = ticket.reporterName }
        if item.requester.phone.isEmpty { item.requester.phone = ticket.reporterPhone }
        item.attributes = extras.attributes
        item.submittedBy = extras.submittedBy
        item.inboxSequence = row.seq
        item.receivedAtMs = row.receivedAtMs
        item.updatedAtMs = now

        let rules = RoutingRules(departmentsByCategory: books.departmentsByCategory(place: place))
        let decision = rules.decide(ticket: ticket, mapping: mapping, gridCode: located ? place.gridCode : nil)
        let outcome: AcceptedOutcome
        switch decision {
        case .gridReport(let gridSource, let category, let department):
            item.type = mapping.route(forCategory: ticket.sourceCategory)?.type ?? .complaint
            item.categoryCode = category
            var report = Gongzhi_Grid_V1_ReportRequest()
            report.source = gridSource
            report.categoryCode = category
            report.description_p = Self.reportDescription(ticket.description, itemID: item.id)
            if let point = ticket.coordinate {
                report.location.latitude = point.latitude
                report.location.longitude = point.longitude
            }
            report.gridCode = place.gridCode
            report.media = Array(extras.media.prefix(20))
            report.reporter.name = item.requester.name
            report.reporter.phone = item.requester.phone
            report.reporter.source = gridSource
            report.reporter.reportedAtMs = row.receivedAtMs
            report.idempotencyKey = IntakeIdentity.reportKey(
                source: source.name,
                externalID: ticket.externalID,
                inboxSequence: row.seq
            )
            let answer: Gongzhi_Grid_V1_ReportResponse
            do {
                answer = try await downstream.report(report)
            } catch {
                switch error {
                case .transient(let why): return .retry(why)
                case .notDeployed(let why):
                    return .retry("the grid module stopped serving reports (\(why))")
                case .refused(let rpc):
                    var refusal = Refusal(
                        .deliver,
                        code: "grid.refused",
                        reason: "the grid refused the report: \(rpc.message)"
                    )
                    refusal.externalID = ticket.externalID
                    refusal.gridCode = place.gridCode
                    return .dead(refusal)
                }
            }
            var gridCase = answer.case
            if !department.isEmpty, !answer.duplicate {
                do {
                    gridCase = try await downstream.dispatch(gridCase, toDepartment: department)
                } catch {
                    switch error {
                    case .transient(let why): return .retry(why)
                    case .notDeployed(let why): return .retry(why)
                    case .refused(let rpc):
                        // The case stands; only the dispatch to the department was refused: say so on the item.
                        logger.warning(
                            "the grid refused dispatching a case to its department",
                            metadata: [
                                "case": "\(gridCase.id)", "department": "\(department)", "why": "\(rpc.message)",
                            ]
                        )
                    }
                }
            }
            item.state = .inCase
            item.caseID = gridCase.id
            item.joinedOpenCase = answer.duplicate
            item.caseState = gridCase.state
            CaseFollower.follow(&item, gridCase)
            item.history.append(event("report", note: answer.duplicate ? "与已有案件合并处理" : "已转网格案件 \(gridCase.id)"))
            outcome = answer.duplicate ? .reportJoined : (department.isEmpty ? .report : .dispatchedToDepartment)
        case .item(let type):
            item.type = type
            item.categoryCode = mapping.route(forCategory: ticket.sourceCategory)?.categoryCode ?? ""
            item.state = .open
            item.statusNotes = "已受理，待答复"
            item.history.append(event("receive", note: ""))
            outcome = .item
        case .waitingForPerson(let reason):
            item.type = mapping.route(forCategory: ticket.sourceCategory)?.type ?? .unspecified
            item.categoryCode = mapping.route(forCategory: ticket.sourceCategory)?.categoryCode ?? ""
            item.state = .waiting
            item.statusNotes = "已受理，人工分拨中"
            item.history.append(event("wait", note: reason.description))
            outcome = .waitingForPerson
            if reason == .unlocated { try? store.note(source: source.name, event: .unlocated) }
        }
        do {
            item = try await books.createItem(item)
        } catch {
            return .retry("writing the item failed: \(error)")
        }
        let detail = item.caseID.isEmpty ? "item \(item.id)" : "case \(item.caseID) (item \(item.id))"
        return .accepted(outcome, detail: detail, dedupe: dedupe)
    }

    /// The grid takes 2,000 characters of description; a longer one is cut there with a pointer to the item,
    /// which keeps it whole.
    static func reportDescription(_ text: String, itemID: String) -> String {
        let limit = 2_000
        guard text.count > limit else { return text }
        let pointer = "…（全文见受理件 \(itemID)）"
        return String(text.prefix(limit - pointer.count)) + pointer
    }

    func event(_ action: String, note: String) -> Gongzhi_Intake_V1_ItemEvent {
        var event = Gongzhi_Intake_V1_ItemEvent()
        event.action = action
        event.actor = "城市大脑数据接入"
        event.principal = "plugin:intake"
        event.atMs = clock.nowMs()
        event.note = note
        return event
    }

    // MARK: Readings

    /// Decodes an MQTT message into readings by its topic: `gz/v1/readings/{device}` (JSON),
    /// `gz/v1/gateways/{gateway}/readings` (JSON) or `gz/v1/gateways/{gateway}/readings.pb` (protobuf).
    static func readings(of row: InboxRow, maximumBytes: Int) throws(Refusal) -> [DecodedReading] {
        let size = IntakeContentType.truncatedSize(row.contentType) ?? row.payload.count
        if size > maximumBytes {
            throw Refusal(
                .decode,
                code: "payload.too_large",
                reason: "the message has \(size) bytes, more than the \(maximumBytes) a message may have"
            )
        }
        let parts = row.origin.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        do throws(InputError) {
            if parts.count == 4, parts[0] == "gz", parts[1] == "v1", parts[2] == "readings", !parts[3].isEmpty {
                guard let text = String(validating: row.payload, as: UTF8.self) else {
                    throw InputError(code: "text.encoding", message: "the payload is not UTF-8 JSON")
                }
                return try ReadingPayload.decodeDevice(text, deviceID: parts[3])
            }
            if parts.count == 5, parts[0] == "gz", parts[1] == "v1", parts[2] == "gateways", !parts[3].isEmpty {
                if parts[4] == "readings" {
                    guard let text = String(validating: row.payload, as: UTF8.self) else {
                        throw InputError(code: "text.encoding", message: "the payload is not UTF-8 JSON")
                    }
                    return try ReadingPayload.decodeGateway(text)
                }
                if parts[4] == "readings.pb" {
                    return try ReadingPayload.decodeBatch(row.payload, gatewayID: parts[3])
                }
            }
        } catch {
            throw Refusal(error.code.hasPrefix("json.") || error.code == "text.encoding" ? .decode : .validate, error)
        }
        throw Refusal(
            .decode,
            code: "topic.unknown",
            reason:
                "the topic \"\(row.origin)\" is none of gz/v1/readings/{device}, gz/v1/gateways/{gateway}/readings(.pb)"
        )
    }

    /// A batch of MQTT messages: decoded, checked against the device registry, checked by the sensor adapter
    /// (once for the batch), stored as telemetry, and their alerts coalesced — a critical one files a grid report.
    func processReadings(_ rows: [InboxRow], source: IntakeSources.Source) async -> [RowResult] {
        guard case .mqtt(_, _, _, let alertCategories) = source.kind else {
            return rows.map { _ in .dead(Refusal(.route, code: "source.kind", reason: "not an MQTT source")) }
        }
        var results = [RowResult?](repeating: nil, count: rows.count)
        var decoded: [[DecodedReading]] = Array(repeating: [], count: rows.count)
        for (index, row) in rows.enumerated() {
            do throws(Refusal) {
                let readings = try Self.readings(of: row, maximumBytes: IntakeLimits.maximumMessageBytes)
                for reading in readings {
                    guard let device = books.device(reading.reading.deviceID), device.active else {
                        var refusal = Refusal(
                            .validate,
                            code: "device.unknown",
                            reason:
                                "the device \"\(reading.reading.deviceID)\" is not registered (gongzhictl intake devices put)"
                        )
                        refusal.deviceID = reading.reading.deviceID
                        throw refusal
                    }
                }
                decoded[index] = readings
            } catch {
                results[index] = .dead(error)
            }
        }
        // One check of every reading of the batch.
        var all: [Gongzhi_Sensors_V1_Reading] = []
        var owner: [Int] = []
        for (index, readings) in decoded.enumerated() where results[index] == nil {
            for reading in readings {
                var checked = reading.reading
                if let device = books.device(checked.deviceID) {
                    checked.location.latitude = device.location.latitude
                    checked.location.longitude = device.location.longitude
                }
                all.append(checked)
                owner.append(index)
            }
        }
        var alertsByRow: [Int: [Gongzhi_Sensors_V1_Alert]] = [:]
        if !all.isEmpty {
            do {
                let answer = try await downstream.check(all)
                note("sensors", nil)
                for rejection in answer.rejections where Int(rejection.index) < owner.count {
                    let index = owner[Int(rejection.index)]
                    var refusal = Refusal(.validate, code: "value.implausible", reason: rejection.reason)
                    refusal.deviceID = rejection.deviceID
                    results[index] = .dead(refusal)
                }
                for alert in answer.alerts where Int(alert.index) < owner.count {
                    alertsByRow[owner[Int(alert.index)], default: []].append(alert)
                }
            } catch {
                switch error {
                case .transient(let why):
                    for index in rows.indices where results[index] == nil { results[index] = .retry(why) }
                case .notDeployed(let why):
                    note(
                        "sensors",
                        "the sensor adapter is not deployed (\(why)): readings are stored without alerts"
                    )
                case .refused(let rpc):
                    for index in rows.indices where results[index] == nil {
                        results[index] = .dead(Refusal(.validate, code: "sensors.refused", reason: rpc.message))
                    }
                }
            }
        }
        for (index, row) in rows.enumerated() where results[index] == nil {
            results[index] = await storeAndAlert(
                row,
                readings: decoded[index],
                alerts: alertsByRow[index] ?? [],
                alertCategories: alertCategories,
                source: source
            )
        }
        return results.map { $0 ?? .retry("not processed") }
    }

    private func storeAndAlert(
        _ row: InboxRow,
        readings: [DecodedReading],
        alerts: [Gongzhi_Sensors_V1_Alert],
        alertCategories: [String: String],
        source: IntakeSources.Source
    ) async -> RowResult {
        let stored: Int
        do {
            stored = try store.storeReadings(readings.map(\.reading), seq: row.seq)
        } catch {
            return .retry("storing readings failed: \(error)")
        }
        if stored == 0, !readings.isEmpty {
            return .duplicate(of: 0, detail: "every reading was stored before")
        }
        var outcome = AcceptedOutcome.readingStored
        var detail = "\(stored) reading\(stored == 1 ? "" : "s") stored"
        let alerting = Set(alerts.map { "\($0.deviceID)\n\($0.kind)" })
        var actions: [AlertAction] = []
        coalescer.withLock { coalescer in
            for alert in alerts {
                let device = books.device(alert.deviceID)
                var located = alert
                if let device {
                    located.location.latitude = device.location.latitude
                    located.location.longitude = device.location.longitude
                }
                actions += coalescer.observe(located, gridCode: device?.gridCode ?? "", atMs: alert.timeUnixMs)
            }
            for reading in readings where !alerting.contains("\(reading.reading.deviceID)\n\(reading.reading.kind)") {
                actions += coalescer.observeQuiet(
                    deviceID: reading.reading.deviceID,
                    kind: reading.reading.kind,
                    atMs: reading.reading.timeUnixMs
                )
            }
        }
        for action in actions {
            do {
                switch action {
                case .open(let alert):
                    _ = try await books.putAlert(alert)
                    if outcome == .readingStored { outcome = .alert }
                case .update(let alert), .clear(let alert):
                    var latest = alert
                    if let held = coalescer.withLock({ $0.openAlert(deviceID: alert.deviceID, kind: alert.kind) }) {
                        latest.caseID = held.caseID
                    }
                    _ = try await books.putAlert(latest)
                case .fileReport(let alert):
                    let rules = RoutingRules(alertCategories: alertCategories)
                    guard
                        case .gridReport(_, let category, _) = rules.decideReport(
                            forAlertOfKind: alert.kind,
                            gridCode: alert.gridCode
                        )
                    else {
                        logger.warning(
                            "a critical alert with no category for its kind or no grid: no case is filed",
                            metadata: ["device": "\(alert.deviceID)", "kind": "\(alert.kind)"]
                        )
                        continue
                    }
                    var report = Gongzhi_Grid_V1_ReportRequest()
                    report.source = .sensor
                    report.categoryCode = category
                    let name = books.device(alert.deviceID)?.name ?? alert.deviceID
                    report.description_p = "\(name)（\(alert.deviceID)）\(alert.message)"
                    report.location = alert.location
                    report.gridCode = alert.gridCode
                    report.reporter.name = "城市大脑 \(source.name)"
                    report.reporter.source = .sensor
                    report.reporter.reportedAtMs = alert.lastAtMs
                    report.idempotencyKey = "intake:alert:\(alert.id)"
                    let answer = try await downstream.report(report)
                    coalescer.withLock {
                        $0.caseFiled(deviceID: alert.deviceID, kind: alert.kind, caseID: answer.case.id)
                    }
                    var filed = alert
                    filed.caseID = answer.case.id
                    _ = try await books.putAlert(filed)
                    outcome = .report
                    detail += "; case \(answer.case.id)"
                }
            } catch let failure as DownstreamFailure {
                switch failure {
                case .transient(let why), .notDeployed(let why):
                    // The readings stay stored; the alert's step is tried again with the input.
                    coalescer.withLock { coalescer in
                        if case .fileReport(let alert) = action {
                            coalescer.caseClosed(deviceID: alert.deviceID, kind: alert.kind)
                        }
                    }
                    return .retry(why)
                case .refused(let rpc):
                    logger.warning("the grid refused an alert's report", metadata: ["why": "\(rpc.message)"])
                }
            } catch {
                return .retry("writing an alert failed: \(error)")
            }
        }
        return .accepted(outcome, detail: detail, dedupe: nil)
    }
}

/// Limits on what a source may send.
enum IntakeLimits {
    /// An MQTT message above this is a dead letter (`payload.too_large`); the broker allows up to its own limit.
    static let maximumMessageBytes = 256 * 1024
    /// A dead letter keeps this much of its raw input; its size and SHA-256 say what the whole was.
    static let deadLetterRawBytes = 64 * 1024
}
