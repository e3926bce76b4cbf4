import Foundation
import GongzhiGeo
import GongzhiGrid
import GongzhiGridSchemas
import GongzhiIntake
import GongzhiIntakeSchemas
import GongzhiTestSupport
import XCTest

/// X社区's data intake as the real `gongzhi-samples x-community-intake` writes it: the same bytes on every run; a
/// sources file as the intake contract lays it out, whose mappings the module's own parser reads, whose categories
/// are the grid catalogue's and whose sensor kinds are the sensor adapter's; devices that the grid module's own
/// index locates in the grids they name; an export whose rows the mapping reads as planned. And the simulator
/// `gongzhi-samples sensors`: a gateway's batches that the module's payload decoder reads, the same for the same
/// seed and start, with a water level that rises past the critical limit and falls back.
final class IntakeSampleTests: XCTestCase {
    static let kinds = ["water_level", "smoke", "manhole_tilt"]
    static let start: Int64 = 1_796_086_800_000

    static func run(_ arguments: [String]) throws -> CompletedProcess {
        try CompletedProcess.run(try BuiltExecutables.path("gongzhi-samples"), arguments)
    }

    /// The files written with `arguments` after the folder, by name.
    static func generate(_ arguments: [String] = []) throws -> [String: Data] {
        let directory = try TemporaryDirectory(prefix: "gzintakesample")
        defer { directory.remove() }
        let outcome = try run(["x-community-intake", directory.file("out")] + arguments)
        guard outcome.status == 0 else {
            throw TestSupportError("gongzhi-samples exited with \(outcome.status): \(outcome.errors)")
        }
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.file("out")) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory.file("out/\(name)")))
        }
        return files
    }

    static let generated: Result<[String: Data], any Error> = Result { try generate() }

    func files() throws -> [String: Data] { try Self.generated.get() }

    func text(_ name: String) throws -> String {
        String(decoding: try XCTUnwrap(try files()[name], name), as: UTF8.self)
    }

    func sources() throws -> [String: Any] {
        let data = try XCTUnwrap(try files()["intake-sources.json"])
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func source(_ name: String) throws -> [String: Any] {
        let list = try XCTUnwrap(try sources()["sources"] as? [[String: Any]])
        return try XCTUnwrap(list.first { $0["name"] as? String == name }, name)
    }

    /// The grids of the sample community, as the grid module's own index locates points in them.
    static let gridIndex: Result<GridIndex, any Error> = Result {
        let grids = try SampleDataTests.generated.get().grids
        return GridIndex(
            grids.map { grid in
                (
                    code: grid.code,
                    polygon: GeoPolygon(
                        outer: grid.polygon.outer.points.map {
                            GeoPoint(longitude: $0.longitude, latitude: $0.latitude)
                        }
                    )
                )
            }
        )
    }

    func testTheFilesAreTheSameBytesOnEveryRunAndTheBrokerIsTheOnlyDifference() throws {
        let first = try files()
        XCTAssertEqual(
            Set(first.keys),
            [
                "intake-sources.json", "hotline-12345.mapping.json", "wechat-mini.mapping.json",
                "urban-management.mapping.json", "devices.json", "urban-management-2026-11.csv",
            ]
        )
        XCTAssertEqual(try Self.generate(), first)
        let socket = try Self.generate(["--broker", "unix:/srv/gongzhi/run/mqtt.sock"])
        for (name, bytes) in first where name != "intake-sources.json" {
            XCTAssertEqual(socket[name], bytes, name)
        }
        let before = try text("intake-sources.json").split(separator: "\n")
        let after = String(decoding: try XCTUnwrap(socket["intake-sources.json"]), as: UTF8.self).split(separator: "\n")
        let changed = zip(before, after).filter { $0.0 != $0.1 }.map { String($0.1) }
        XCTAssertEqual(before.count, after.count)
        XCTAssertEqual(changed, [#"      "broker": "unix:/srv/gongzhi/run/mqtt.sock","#])

        let relative = try Self.run(["x-community-intake", NSTemporaryDirectory() + "/gz-never", "--broker", "unix:x"])
        XCTAssertNotEqual(relative.status, 0)
        XCTAssertTrue(relative.errors.contains("needs an absolute path"), relative.errors)
    }

    /// The sources file holds exactly the members the intake contract gives each kind of source.
    func testTheSourcesFileFollowsTheContract() throws {
        let sources = try sources()
        XCTAssertEqual(Set(sources.keys), ["jurisdiction_id", "http", "sources"])
        XCTAssertEqual(sources["jurisdiction_id"] as? String, "330199")
        let http = try XCTUnwrap(sources["http"] as? [String: Any])
        XCTAssertEqual(Set(http.keys), ["address", "contact", "key_service"])
        XCTAssertEqual(http["address"] as? String, "127.0.0.1:8311")
        let list = try XCTUnwrap(sources["sources"] as? [[String: Any]])
        XCTAssertEqual(
            list.map { $0["name"] as? String },
            ["sensors-x", "hotline-12345", "wechat-mini", "urban-management"]
        )
        XCTAssertEqual(list.map { $0["kind"] as? String }, ["mqtt", "open311", "open311", "file"])
        let allowed: [String: Set<String>] = [
            "mqtt": ["name", "kind", "broker", "client_id", "topics", "alert_categories", "max_in_flight"],
            "open311": ["name", "kind", "mapping", "services", "ticket_number_attribute", "max_in_flight"],
            "file": ["name", "kind", "mapping", "format", "encoding", "max_in_flight"],
        ]
        for source in list {
            let kind = try XCTUnwrap(source["kind"] as? String)
            XCTAssertTrue(Set(source.keys).isSubset(of: try XCTUnwrap(allowed[kind])), "\(source.keys)")
            XCTAssertGreaterThan(source["max_in_flight"] as? Int ?? 0, 0)
        }

        let sensors = try source("sensors-x")
        XCTAssertEqual(sensors["broker"] as? String, "127.0.0.1:1883")
        XCTAssertEqual(sensors["client_id"] as? String, "gongzhi-intake-330199-sensors-x")
        XCTAssertEqual(
            sensors["topics"] as? [String],
            ["gz/v1/readings/+", "gz/v1/gateways/+/readings", "gz/v1/gateways/+/readings.pb"]
        )
        let file = try source("urban-management")
        XCTAssertEqual(file["format"] as? String, "csv")
        XCTAssertEqual(file["encoding"] as? String, "utf-8")
        XCTAssertEqual(file["mapping"] as? String, "urban-management.mapping.json")
    }

    /// Alerts go to categories of the grid catalogue, for kinds the sensor adapter knows; smoke has no category
    /// in the catalogue and is left to wait for a person.
    func testAlertCategoriesAreTheCataloguesForTheSensorAdaptersKinds() throws {
        let categories = try XCTUnwrap(try source("sensors-x")["alert_categories"] as? [String: String])
        XCTAssertEqual(categories, ["water_level": "E0405", "manhole_tilt": "P0103"])
        XCTAssertEqual(CategoryCatalogue.standard.category("E0405")?.name, "道路积水")
        XCTAssertEqual(CategoryCatalogue.standard.category("P0103")?.name, "雨水井盖")
        let adapterKinds = try Self.sensorAdapterKinds()
        for kind in Self.kinds {
            XCTAssertTrue(adapterKinds.contains(kind), kind)
        }
        XCTAssertFalse(
            CategoryCatalogue.standard.categories.contains { $0.name.contains("火") || $0.name.contains("烟") },
            "the catalogue has a fire category now: map smoke to it"
        )
    }

    /// The kinds of the sensor adapter's thresholds table (Plugins/sensors/thresholds.example.conf, the same as the
    /// built-in one).
    static func sensorAdapterKinds() throws -> Set<String> {
        let path = ObjectCommandsEndToEndTests.repositoryRoot + "/Plugins/sensors/thresholds.example.conf"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return Set(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            }
        )
    }

    /// Each Open311 source's mapping is read by `SourceMapping.parse`, routes exactly the services it offers, and
    /// sends complaints and reports to categories of the catalogue; the hotline's work-order number is an attribute
    /// of every service and the external id of its mapping.
    func testOpen311SourcesRouteTheirServicesToTheCatalogue() throws {
        for (name, gridSource) in [("hotline-12345", Gongzhi_Grid_V1_Source.hotline), ("wechat-mini", .online)] {
            let source = try source(name)
            XCTAssertEqual(source["mapping"] as? String, "\(name).mapping.json")
            let mapping = try SourceMapping.parse(try text("\(name).mapping.json"))
            XCTAssertEqual(mapping.source, name)
            XCTAssertEqual(mapping.gridSource, gridSource)
            XCTAssertEqual(mapping.datum, .gcj02)
            XCTAssertEqual(mapping.fields.category, "service_code")
            XCTAssertEqual(mapping.fields.latitude, "lat")
            XCTAssertEqual(mapping.fields.longitude, "long")
            let services = try XCTUnwrap(source["services"] as? [[String: Any]])
            let codes = services.compactMap { $0["code"] as? String }
            XCTAssertEqual(Set(mapping.routes.keys), Set(codes))
            XCTAssertEqual(codes.count, Set(codes).count)
            for service in services {
                XCTAssertEqual(service["type"] as? String, "realtime")
                XCTAssertFalse((service["name"] as? String ?? "").isEmpty)
            }
            for (code, route) in mapping.routes {
                switch route.type {
                case .complaint, .report:
                    XCTAssertNotNil(CategoryCatalogue.standard.category(route.categoryCode), code)
                default:
                    XCTAssertEqual(route.categoryCode, "", code)
                }
            }
        }
        let hotline = try SourceMapping.parse(try text("hotline-12345.mapping.json"))
        let types = Set(hotline.routes.values.map(\.type))
        XCTAssertEqual(types, [.complaint, .consultation, .help, .suggestion])
        XCTAssertEqual(try source("hotline-12345")["ticket_number_attribute"] as? String, "ticket_no")
        XCTAssertEqual(hotline.fields.externalID, "attribute[ticket_no]")
        for service in try XCTUnwrap(try source("hotline-12345")["services"] as? [[String: Any]]) {
            let attributes = try XCTUnwrap(service["attributes"] as? [[String: Any]])
            XCTAssertEqual(attributes.compactMap { $0["code"] as? String }, ["ticket_no"])
        }
        XCTAssertNil(try source("wechat-mini")["ticket_number_attribute"])
    }

    /// Forty devices, each located by the grid module's own index in the grid it names, of X社区, with the
    /// gateway of its compound; the smoke detectors in buildings where residents of 60 and over live alone.
    func testDevicesLieInTheGridsTheyNameWithTheirCompoundsGateway() throws {
        let devices = try Gongzhi_Intake_V1_SensorDevice.array(fromJSONString: try text("devices.json"))
        XCTAssertEqual(devices.count, 40)
        XCTAssertEqual(Set(devices.map(\.id)).count, 40)
        XCTAssertEqual(Set(devices.map(\.name)).count, 40)
        let byKind = Dictionary(grouping: devices) { $0.kinds.joined(separator: ",") }.mapValues(\.count)
        XCTAssertEqual(byKind, ["water_level": 8, "smoke": 20, "manhole_tilt": 12])
        let index = try Self.gridIndex.get()
        let sample = try SampleDataTests.generated.get()
        let compoundOfGrid = Dictionary(
            uniqueKeysWithValues: sample.lines.filter { $0.kind == "Grid" }.map { ($0.id, $0.labels["compound"] ?? "") }
        )
        let buildings = Dictionary(uniqueKeysWithValues: sample.buildings.map { ($0.id, $0) })
        let livingAlone = Set(
            sample.residents.filter { $0.tags.contains(.livingAlone) }.map(\.householdID)
        )
        let buildingsWithLivingAlone = Set(
            sample.households.filter { livingAlone.contains($0.id) }.map(\.buildingID)
        )
        for device in devices {
            let point = GeoPoint(longitude: device.location.longitude, latitude: device.location.latitude)
            XCTAssertEqual(index.locateCode(point), device.gridCode, device.id)
            XCTAssertEqual(device.communityCode, "330199001001")
            XCTAssertEqual(device.gatewayID, "x-" + (compoundOfGrid[device.gridCode] ?? "?"), device.id)
            XCTAssertTrue(device.active)
            XCTAssertTrue(
                device.id.hasPrefix(
                    ["water_level": "WL-330199-", "smoke": "SM-330199-", "manhole_tilt": "MT-330199-"][device.kinds[0]]
                        ?? "?"
                )
            )
            if device.kinds == ["smoke"] {
                let building = try XCTUnwrap(buildings[device.attributes["building"] ?? ""], device.id)
                XCTAssertEqual(building.gridCode, device.gridCode)
                XCTAssertEqual(building.location, device.location)
                XCTAssertTrue(buildingsWithLivingAlone.contains(building.id), device.id)
            }
        }
        XCTAssertEqual(Set(devices.map(\.gatewayID)), ["x-c1", "x-c2", "x-c3", "x-c4"])
    }

    /// The export as its mapping reads it: 200 rows, of which 2 are refused (with the line and the reason), 3
    /// repeat an earlier case number and content, 1 has a category the mapping does not know, 12 have no
    /// coordinates; every point lies in a grid of X社区; one description spans three lines.
    func testTheExportReadsAsPlanned() throws {
        let bytes = [UInt8](try XCTUnwrap(try files()["urban-management-2026-11.csv"]))
        XCTAssertEqual(Array(bytes.prefix(3)), [0xEF, 0xBB, 0xBF])
        let csv = try text("urban-management-2026-11.csv")
        XCTAssertTrue(csv.hasSuffix("\r\n"))
        let mapping = try SourceMapping.parse(try text("urban-management.mapping.json"))
        XCTAssertEqual(mapping.gridSource, .patrol)
        XCTAssertEqual(mapping.datum, .wgs84)
        let table = try CSVTable.parse(csv)
        XCTAssertEqual(table.rows.count, 200)
        for column in [
            mapping.fields.externalID, mapping.fields.category, mapping.fields.description, mapping.fields.latitude,
            mapping.fields.longitude, mapping.fields.address, mapping.fields.reporterName, mapping.fields.reporterPhone,
        ] {
            XCTAssertTrue(table.header.contains(try XCTUnwrap(column)), "\(column ?? "")")
        }
        for route in mapping.routes.values {
            XCTAssertEqual(route.type, .report)
            XCTAssertNotNil(CategoryCatalogue.standard.category(route.categoryCode), route.categoryCode)
        }
        let index = try Self.gridIndex.get()
        var refused: [String] = []
        var seen: Set<String> = []
        var fingerprints: Set<String> = []
        var duplicates = 0
        var unmapped: [String] = []
        var unlocated = 0
        var reports = 0
        for row in table.rows {
            let ticket: Ticket
            do {
                ticket = try mapping.ticket(from: table.fields(of: row), line: row.line)
            } catch {
                refused.append("\(error.code) line \(error.line)")
                continue
            }
            let fingerprint = Fingerprint.of(ticket, source: mapping.source)
            if !seen.insert(ticket.externalID).inserted {
                duplicates += 1
                XCTAssertFalse(fingerprints.insert(fingerprint).inserted, "line \(row.line) repeats its content too")
                continue
            }
            XCTAssertTrue(fingerprints.insert(fingerprint).inserted, "line \(row.line) is the same as another")
            if let coordinate = ticket.coordinate {
                let point = GeoPoint(longitude: coordinate.longitude, latitude: coordinate.latitude)
                XCTAssertNotNil(index.locateCode(point), "line \(row.line)")
            }
            if mapping.route(forCategory: ticket.sourceCategory) == nil {
                unmapped.append(ticket.sourceCategory)
            } else if ticket.coordinate == nil {
                unlocated += 1
            } else {
                reports += 1
            }
        }
        XCTAssertEqual(refused.count, 2, "\(refused)")
        XCTAssertEqual(Set(refused.map { $0.split(separator: " ")[0] }), ["field.type", "field.missing"])
        XCTAssertEqual(duplicates, 3)
        XCTAssertEqual(unmapped, ["共享单车乱停放"])
        XCTAssertEqual(unlocated, 12)
        XCTAssertEqual(reports, 182)
        XCTAssertEqual(200, (reports + unmapped.count + unlocated) + duplicates + refused.count)
        let multiLine = try XCTUnwrap(table.rows.firstIndex { $0.fields[4].contains("\n") })
        XCTAssertEqual(table.rows.filter { $0.fields[4].contains("\n") }.count, 1)
        XCTAssertEqual(table.rows[multiLine + 1].line, table.rows[multiLine].line + 3)
        XCTAssertTrue(table.rows[multiLine].fields[4].contains("\""))

        let summary = try Self.run(["x-community-intake", NSTemporaryDirectory() + "/gz-intake-summary", "--summary"])
        XCTAssertEqual(summary.status, 0, summary.errors)
        XCTAssertTrue(
            summary.errors.contains("received 200 = accepted 195 + duplicates 3 + dead-lettered 2 + in flight 0"),
            summary.errors
        )
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/gz-intake-summary")
    }

    /// The simulator's batches for gateway x-c1: what the intake module's gateway decoder reads, each reading of a
    /// device of the gateway with one of its kinds, the times one interval apart, every key once, the same lines for
    /// the same seed and start, quiet values under the warning limits but for the water level's rises past the
    /// critical limit.
    func testTheSimulatorPrintsGatewayBatchesTheDecoderReads() throws {
        let directory = try TemporaryDirectory(prefix: "gzsensors")
        defer { directory.remove() }
        let devicesPath = directory.file("devices.json")
        try XCTUnwrap(try files()["devices.json"]).write(to: URL(fileURLWithPath: devicesPath))
        let arguments = [
            "sensors", "--devices", devicesPath, "--gateway", "x-c1", "--count", "60", "--rate", "1000/s",
            "--critical-every", "20", "--start", String(Self.start),
        ]
        let first = try Self.run(arguments)
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertEqual(try Self.run(arguments).output, first.output)
        let reseeded = try Self.run(arguments + ["--seed", "2"])
        XCTAssertNotEqual(reseeded.output, first.output)

        let devices = try Gongzhi_Intake_V1_SensorDevice.array(fromJSONString: try text("devices.json"))
            .filter { $0.gatewayID == "x-c1" }
        let kinds = Dictionary(uniqueKeysWithValues: devices.map { ($0.id, Set($0.kinds)) })
        let lines = first.outputText.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 61)
        XCTAssertEqual(lines.last, "")
        var keys: Set<String> = []
        var critical: [String: Int] = [:]
        let warning = ["water_level": 15.0, "smoke": 1.5, "manhole_tilt": 10.0]
        for (number, line) in lines.dropLast().enumerated() {
            let readings = try ReadingPayload.decodeGateway(String(line))
            XCTAssertEqual(readings.count, devices.count)
            for decoded in readings {
                let reading = decoded.reading
                XCTAssertTrue(kinds[reading.deviceID]?.contains(reading.kind) ?? false, decoded.externalID)
                XCTAssertEqual(reading.timeUnixMs, Self.start + Int64(number))
                XCTAssertEqual(decoded.sequence, Int64(number + 1))
                XCTAssertTrue(keys.insert(decoded.externalID).inserted, decoded.externalID)
                if reading.kind == "water_level" && reading.value >= 30 {
                    critical[reading.deviceID, default: 0] += 1
                } else if reading.kind != "water_level" {
                    XCTAssertLessThan(reading.value, warning[reading.kind] ?? 0, decoded.externalID)
                }
                XCTAssertGreaterThanOrEqual(reading.value, 0)
            }
        }
        // A rise every 20 batches (the first within the first 20), the gateway's two water-level devices in turn,
        // each past 30 cm for three batches: two whole rises at least in 60 batches.
        XCTAssertEqual(Set(critical.keys), Set(devices.filter { $0.kinds == ["water_level"] }.map(\.id)))
        XCTAssertGreaterThanOrEqual(critical.values.reduce(0, +), 6)

        var quietArguments = arguments
        quietArguments[quietArguments.firstIndex(of: "20") ?? 0] = "0"
        let quiet = try Self.run(quietArguments)
        XCTAssertEqual(quiet.status, 0, quiet.errors)
        for line in quiet.outputText.split(separator: "\n") {
            for decoded in try ReadingPayload.decodeGateway(String(line)) {
                XCTAssertLessThan(decoded.reading.value, warning[decoded.reading.kind] ?? 0)
            }
        }

        let unchosen = try Self.run(["sensors", "--devices", devicesPath, "--count", "1"])
        XCTAssertNotEqual(unchosen.status, 0)
        XCTAssertTrue(unchosen.errors.contains("x-c1, x-c2, x-c3, x-c4"), unchosen.errors)
        let unknown = try Self.run(["sensors", "--devices", devicesPath, "--gateway", "x-c9", "--count", "1"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.errors.contains("no device"), unknown.errors)
        let badRate = try Self.run(["sensors", "--devices", devicesPath, "--gateway", "x-c1", "--rate", "fast"])
        XCTAssertNotEqual(badRate.status, 0)
    }
}
