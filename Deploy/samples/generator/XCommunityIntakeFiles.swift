import GongzhiIntake
import GongzhiIntakeSchemas
import SwiftProtobuf

/// The files of X社区's data intake, as the intake plugin and `gongzhictl intake` read them:
///
/// - `intake-sources.json`: the sources file (`INTAKE_SOURCES`): the district's Open311 jurisdiction and HTTP front
///   end, and the sources `sensors-x` (MQTT), `hotline-12345` and `wechat-mini` (Open311) and `urban-management`
///   (CSV files), each with its budget;
/// - `hotline-12345.mapping.json`, `wechat-mini.mapping.json`, `urban-management.mapping.json`: each source's
///   mapping (named relative to the sources file);
/// - `devices.json`: the sensor devices, a JSON array of `gongzhi.intake.v1.SensorDevice` in protobuf's JSON
///   mapping with the .proto's field names, for `gongzhictl intake devices put`;
/// - `urban-management-2026-11.csv`: the street's urban-management export of November 2026, for
///   `gongzhictl intake import … --source urban-management`.
///
/// Every file is read back with the module's own readers before it is written (``check(_:)``).
extension XCommunityIntake {
    /// A file's name and its bytes.
    struct File {
        var name: String
        var bytes: [UInt8]
    }

    /// Why the files are not what the plan says: a defect of the generator, never of its input.
    struct Defect: Error, CustomStringConvertible {
        var description: String
    }

    static let sourcesFile = "intake-sources.json"
    static let devicesFile = "devices.json"

    static func mappingFile(_ source: String) -> String { "\(source).mapping.json" }

    /// The files, with the MQTT source's broker at `broker` (`unix:/path` or `HOST:PORT`), checked.
    func files(broker: String) throws -> [File] {
        let files = [
            File(name: Self.sourcesFile, bytes: sources(broker: broker).text),
            File(name: Self.mappingFile(Plan.hotlineSource), bytes: hotlineMapping().text),
            File(name: Self.mappingFile(Plan.miniProgramSource), bytes: miniProgramMapping().text),
            File(name: Self.mappingFile(Plan.fileSource), bytes: exportMapping().text),
            File(name: Self.devicesFile, bytes: try devicesJSON()),
            File(name: Plan.exportFile, bytes: exportCSV()),
        ]
        try check(files)
        return files
    }

    // MARK: - The sources file

    func sources(broker: String) -> OrderedJSON {
        .object([
            ("jurisdiction_id", .string(Plan.jurisdictionID)),
            (
                "http",
                .object([
                    ("address", .string(Plan.httpAddress)),
                    ("contact", .string(Plan.contact)),
                    ("key_service", .string(Plan.keyService)),
                ])
            ),
            (
                "sources",
                .array([
                    .object([
                        ("name", .string(Plan.sensorSource)),
                        ("kind", .string("mqtt")),
                        ("broker", .string(broker)),
                        ("client_id", .string("gongzhi-intake-\(Plan.jurisdictionID)-\(Plan.sensorSource)")),
                        ("topics", .array(Plan.sensorTopics.map { .string($0) })),
                        (
                            "alert_categories",
                            .object(Plan.alertCategories.map { ($0.kind.rawValue, .string($0.category)) })
                        ),
                        ("max_in_flight", .integer(100_000)),
                    ]),
                    .object([
                        ("name", .string(Plan.hotlineSource)),
                        ("kind", .string("open311")),
                        ("mapping", .string(Self.mappingFile(Plan.hotlineSource))),
                        ("services", .array(Plan.hotlineServices.map { service($0, ticketNumber: true) })),
                        ("ticket_number_attribute", .string(Plan.hotlineTicketAttribute)),
                        ("max_in_flight", .integer(10_000)),
                    ]),
                    .object([
                        ("name", .string(Plan.miniProgramSource)),
                        ("kind", .string("open311")),
                        ("mapping", .string(Self.mappingFile(Plan.miniProgramSource))),
                        ("services", .array(Plan.miniProgramServices.map { service($0, ticketNumber: false) })),
                        ("max_in_flight", .integer(10_000)),
                    ]),
                    .object([
                        ("name", .string(Plan.fileSource)),
                        ("kind", .string("file")),
                        ("mapping", .string(Self.mappingFile(Plan.fileSource))),
                        ("format", .string("csv")),
                        ("encoding", .string("utf-8")),
                        ("max_in_flight", .integer(50_000)),
                    ]),
                ])
            ),
        ])
    }

    /// An Open311 service as GET services shows it; the hotline's carry its work-order number as an attribute.
    private func service(_ service: Plan.Service, ticketNumber: Bool) -> OrderedJSON {
        var members: [(String, OrderedJSON)] = [
            ("code", .string(service.code)),
            ("name", .string(service.name)),
            ("description", .string(service.description)),
            ("type", .string("realtime")),
            ("keywords", .array(service.keywords.map { .string($0) })),
            ("group", .string(service.group)),
        ]
        if ticketNumber {
            members.append(
                (
                    "attributes",
                    .array([
                        .object([
                            ("code", .string(Plan.hotlineTicketAttribute)),
                            ("datatype", .string("string")),
                            ("required", .bool(false)),
                            ("description", .string("12345 工单编号")),
                            ("variable", .bool(true)),
                        ])
                    ])
                )
            )
        }
        return .object(members)
    }

    // MARK: - Mappings

    /// The keys of the record the plugin reads an Open311 POST into: `name` is the last name then the first name,
    /// `external_id` the ticket number attribute or else the Idempotency-Key, and each attribute is
    /// `attribute[CODE]`.
    static let open311RecordKeys: Set<String> = [
        "service_code", "description", "lat", "long", "address_string", "address_id", "name", "phone", "external_id",
    ]

    /// The fields of an Open311 POST, as the plugin reads them into a record (`open311RecordKeys`). The hotline's
    /// external id is its work-order number (an attribute); an app's is the Idempotency-Key it sends.
    private static func open311Fields(externalID: String) -> OrderedJSON {
        .object([
            ("external_id", .string(externalID)),
            ("category", .string("service_code")),
            ("description", .string("description")),
            ("latitude", .string("lat")),
            ("longitude", .string("long")),
            ("address", .string("address_string")),
            ("address_id", .string("address_id")),
            ("reporter_name", .string("name")),
            ("reporter_phone", .string("phone")),
        ])
    }

    private static func routes(_ services: [Plan.Service]) -> OrderedJSON {
        .object(
            services.map { service in
                var route: [(String, OrderedJSON)] = [("type", .string(service.type))]
                if !service.category.isEmpty { route.append(("category", .string(service.category))) }
                return (service.code, .object(route))
            }
        )
    }

    /// The hotline's coordinates come from the city's Amap-based work-order system: GCJ-02.
    func hotlineMapping() -> OrderedJSON {
        .object([
            ("source", .string(Plan.hotlineSource)),
            ("grid_source", .string("hotline")),
            ("datum", .string("gcj02")),
            ("dedupe_window_minutes", .integer(10)),
            ("fields", Self.open311Fields(externalID: "attribute[\(Plan.hotlineTicketAttribute)]")),
            ("categories", Self.routes(Plan.hotlineServices)),
        ])
    }

    /// WeChat gives GCJ-02 coordinates.
    func miniProgramMapping() -> OrderedJSON {
        .object([
            ("source", .string(Plan.miniProgramSource)),
            ("grid_source", .string("online")),
            ("datum", .string("gcj02")),
            ("dedupe_window_minutes", .integer(10)),
            ("fields", Self.open311Fields(externalID: "external_id")),
            ("categories", Self.routes(Plan.miniProgramServices)),
        ])
    }

    /// The urban-management system's columns, and its categories' catalogue codes: its inspectors' findings are
    /// reports from patrols (巡查). Its category 共享单车乱停放 is not mapped.
    func exportMapping() -> OrderedJSON {
        let columns = Plan.exportColumns
        return .object([
            ("source", .string(Plan.fileSource)),
            ("grid_source", .string("patrol")),
            ("datum", .string("wgs84")),
            (
                "fields",
                .object([
                    ("external_id", .string(columns[0])),
                    ("category", .string(columns[3])),
                    ("description", .string(columns[4])),
                    ("latitude", .string(columns[7])),
                    ("longitude", .string(columns[6])),
                    ("address", .string(columns[5])),
                    ("reporter_name", .string(columns[8])),
                    ("reporter_phone", .string(columns[9])),
                ])
            ),
            (
                "categories",
                .object(
                    Plan.exportCategories.map {
                        ($0.name, .object([("type", .string("report")), ("category", .string($0.category))]))
                    }
                )
            ),
        ])
    }

    // MARK: - Devices

    /// The devices as the registry's messages.
    func deviceMessages() -> [Gongzhi_Intake_V1_SensorDevice] {
        devices.map { device in
            var message = Gongzhi_Intake_V1_SensorDevice()
            message.id = device.id
            message.kinds = [device.kind.rawValue]
            message.location = device.point.message
            message.gridCode = community.grids[device.grid].code
            message.communityCode = XCommunityPlan.communityCode
            message.name = device.name
            message.gatewayID = Plan.gateway(ofCompound: XCommunityPlan.compounds[device.compound].key)
            message.vendor = Plan.vendor
            message.active = true
            for attribute in device.attributes {
                message.attributes[attribute.key] = attribute.value
            }
            return message
        }
    }

    /// A JSON array, one device a line.
    func devicesJSON() throws -> [UInt8] {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        options.useDeterministicOrdering = true
        var bytes = Array("[\n".utf8)
        let messages = deviceMessages()
        for (index, message) in messages.enumerated() {
            bytes += Array("  ".utf8)
            bytes += Array(try message.jsonString(options: options).utf8)
            bytes += Array((index + 1 < messages.count ? ",\n" : "\n").utf8)
        }
        bytes += Array("]\n".utf8)
        return bytes
    }

    // MARK: - The export

    /// The export as Excel writes it on Chinese Windows when told UTF-8: a byte order mark, CRLF between rows,
    /// fields quoted when they hold a comma, a quote or a line break (a line break inside a field stays LF).
    func exportCSV() -> [UInt8] {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        for record in [Plan.exportColumns] + rows.map(\.fields) {
            bytes += Array(record.map(Self.csvField).joined(separator: ",").utf8)
            bytes += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
        }
        return bytes
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    // MARK: - Checks

    /// Reads every file back with the intake module's own readers: the mappings with `SourceMapping.parse`, each
    /// Open311 source's services against its mapping, the devices with swift-protobuf, and each row of the export
    /// with its mapping, which must refuse the malformed rows, leave the unmapped one unrouted, and find the
    /// duplicates and nothing else the same.
    func check(_ files: [File]) throws {
        func text(_ name: String) throws -> String {
            guard let file = files.first(where: { $0.name == name }) else { throw Defect(description: "no \(name)") }
            return String(decoding: file.bytes, as: UTF8.self)
        }
        func mapping(_ source: String) throws -> SourceMapping {
            do {
                let parsed = try SourceMapping.parse(try text(Self.mappingFile(source)))
                guard parsed.source == source else {
                    throw Defect(description: "\(Self.mappingFile(source)) names the source \(parsed.source)")
                }
                return parsed
            } catch let error as InputError {
                throw Defect(description: "\(Self.mappingFile(source)): \(error)")
            }
        }
        do {
            _ = try JSONDocument.parse(try text(Self.sourcesFile))
        } catch let error as InputError {
            throw Defect(description: "\(Self.sourcesFile): \(error)")
        }
        for (source, services) in [
            (Plan.hotlineSource, Plan.hotlineServices), (Plan.miniProgramSource, Plan.miniProgramServices),
        ] {
            let parsed = try mapping(source)
            guard Set(parsed.routes.keys) == Set(services.map(\.code)), parsed.datum == .gcj02 else {
                throw Defect(description: "\(Self.mappingFile(source)) does not route exactly the services offered")
            }
            let names = parsed.fields
            let named = [
                names.externalID, names.category, names.description, names.latitude, names.longitude, names.address,
                names.addressID, names.reporterName, names.reporterPhone,
            ]
            for name in named.compactMap({ $0 })
            where !Self.open311RecordKeys.contains(name) && !(name.hasPrefix("attribute[") && name.hasSuffix("]")) {
                throw Defect(
                    description: "\(Self.mappingFile(source)) names the field \(name), which an Open311 POST lacks"
                )
            }
        }

        let devices = try Gongzhi_Intake_V1_SensorDevice.array(fromJSONString: try text(Self.devicesFile))
        guard devices == deviceMessages(), Set(devices.map(\.id)).count == devices.count else {
            throw Defect(description: "\(Self.devicesFile) does not read back as the devices, each once")
        }

        let export = try mapping(Plan.fileSource)
        let table: CSVTable
        do {
            table = try CSVTable.parse(try text(Plan.exportFile))
        } catch let error as InputError {
            throw Defect(description: "\(Plan.exportFile): \(error)")
        }
        guard table.header == Plan.exportColumns, table.rows.count == rows.count else {
            throw Defect(description: "\(Plan.exportFile) does not read back with its header and \(rows.count) rows")
        }
        var seen: Set<String> = []
        var fingerprints: Set<String> = []
        for (record, row) in zip(table.rows, rows) {
            guard record.fields == row.fields else {
                throw Defect(description: "\(Plan.exportFile), line \(record.line): the fields do not read back")
            }
            let ticket: Ticket
            do {
                ticket = try export.ticket(from: table.fields(of: record), line: record.line)
            } catch {
                guard row.role == .malformedLatitude || row.role == .missingCategory else {
                    throw Defect(description: "\(Plan.exportFile): \(error)")
                }
                continue
            }
            let fresh = seen.insert(ticket.externalID).inserted
            let distinct = fingerprints.insert(Fingerprint.of(ticket, source: Plan.fileSource)).inserted
            let expected: (fresh: Bool, distinct: Bool, routed: Bool, located: Bool)
            switch row.role {
            case .malformedLatitude, .missingCategory:
                throw Defect(description: "\(Plan.exportFile), line \(record.line): a malformed row is read")
            case .duplicate: expected = (false, false, true, true)
            case .unmappedCategory: expected = (true, true, false, true)
            case .withoutCoordinates: expected = (true, true, true, false)
            case .normal, .multiLine: expected = (true, true, true, true)
            }
            let routed = export.route(forCategory: ticket.sourceCategory) != nil
            guard (fresh, distinct, routed, ticket.coordinate != nil) == expected else {
                throw Defect(description: "\(Plan.exportFile), line \(record.line): not read as a \(row.role) row")
            }
        }
    }

    // MARK: - Summary

    /// The devices by kind and gateway, and what importing the export gives.
    func summary() -> String {
        var lines = ["Devices (\(devices.count))"]
        for kind in Plan.SensorKind.allCases {
            let count = devices.filter { $0.kind == kind }.count
            let name = kind.rawValue
            lines.append("  \(name)\(String(repeating: " ", count: max(1, 14 - name.count)))\(count)")
        }
        for compound in XCommunityPlan.compounds.indices {
            let key = XCommunityPlan.compounds[compound].key
            let count = devices.filter { $0.compound == compound }.count
            lines.append("  gateway \(Plan.gateway(ofCompound: key))    \(count)")
        }
        let malformed = rows.filter { $0.role == .malformedLatitude || $0.role == .missingCategory }.count
        let duplicates = rows.filter { if case .duplicate = $0.role { true } else { false } }.count
        let accepted = rows.count - malformed - duplicates
        let unmapped = rows.filter { $0.role == .unmappedCategory }.count
        let unlocated = rows.filter { $0.role == .withoutCoordinates }.count
        lines.append("\(Plan.exportFile) (\(rows.count) rows)")
        lines.append(
            "  received \(rows.count) = accepted \(accepted) + duplicates \(duplicates) + dead-lettered \(malformed)"
                + " + in flight 0"
        )
        lines.append(
            "  accepted: \(accepted - unmapped - unlocated) grid reports, \(unmapped) unmapped category and "
                + "\(unlocated) without coordinates waiting for a person"
        )
        return lines.joined(separator: "\n") + "\n"
    }
}
