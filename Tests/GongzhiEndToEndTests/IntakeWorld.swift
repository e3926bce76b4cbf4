import Foundation
import GongzhiGridSchemas
import GongzhiHost
import GongzhiIntakeSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiSensorsSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

/// The intake plugin (`gongzhi-intake`) under the real host, as the intake module's end-to-end tests start it:
/// a real Mosquitto broker on a Unix socket in a temporary folder, the grid plugin with the world of
/// ``GridEndToEndTests`` (street 330199001; grids 330199001001001, …001002 and 330199001002001), the C sensor
/// adapter, and intake with three sources:
///
/// - `sensors-x` (MQTT): `gz/v1/readings/+`, `gz/v1/gateways/+/readings` and `…/readings.pb`; water level
///   alerts are reported in E0405 (道路积水), manhole tilt in P0103.
/// - `hotline-12345` (Open311 on 127.0.0.1, a free port): services E0405 道路积水 (realtime), Q01 政策咨询
///   (consultation), B01 噪声扰民 (batch); the ticket number attribute `ticket_no`; coordinates in WGS-84.
/// - `urban-management` (CSV files): columns 工单编号, 问题类型, 问题描述, 纬度, 经度, 地址; 道路积水 → E0405,
///   政策咨询 → a consultation.
///
/// Devices: `WL-1` (water level) in grid …001001, `WL-2` in …001002, `MT-1` (manhole tilt) in …002001.
struct IntakeWorld {
    static let grid = "330199001001001"
    static let otherGrid = "330199001001002"

    var host: HostUnderTest
    var broker: MosquittoUnderTest
    var files: TemporaryDirectory
    /// The intake service as the administrator calls it: everything, with personal data.
    var intake: Gongzhi_Intake_V1_IntakeClient
    var grid: Gongzhi_Grid_V1_GridServiceClient
    var objects: Gongzhi_Host_V1_ObjectsClient
    /// `http://127.0.0.1:PORT/open311/hotline-12345/v2/`.
    var open311: String
    /// A client token with the scope of Intake/SubmitTicket: the hotline's api_key.
    var apiKey: String

    static let intakeGrants = [
        "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
        "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update",
        "gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.PersonalData/Read",
        "gongzhi.grid.v1.GridService/Locate", "gongzhi.grid.v1.GridService/Report",
        "gongzhi.grid.v1.GridService/Register", "gongzhi.grid.v1.GridService/Dispatch",
        "gongzhi.sensors.v1.Sensors/Check",
    ]

    static func mapping(source: String) -> String {
        """
        {"source": "\(source)", "grid_source": "hotline", "dedupe_window_minutes": 10,
         "fields": {"external_id": "external_id", "category": "service_code", "description": "description",
                    "latitude": "lat", "longitude": "long", "address": "address_string", "reporter_name": "name",
                    "reporter_phone": "phone"},
         "categories": {"E0405": {"type": "complaint", "category": "E0405"},
                        "Q01": {"type": "consultation"},
                        "B01": {"type": "complaint", "category": "E0303"}}}
        """
    }

    static let fileMapping = """
        {"source": "urban-management", "grid_source": "assigned",
         "fields": {"external_id": "工单编号", "category": "问题类型", "description": "问题描述",
                    "latitude": "纬度", "longitude": "经度", "address": "地址"},
         "categories": {"道路积水": {"type": "complaint", "category": "E0405"},
                        "政策咨询": {"type": "consultation"}}}
        """

    static func sources(broker: String, budgets: [String: Int]) -> String {
        func budget(_ name: String) -> String {
            budgets[name].map { #", "max_in_flight": \#($0)"# } ?? ""
        }
        return """
            {"jurisdiction_id": "330199",
             "http": {"address": "127.0.0.1:0", "contact": "区大数据局"},
             "sources": [
               {"name": "sensors-x", "kind": "mqtt", "broker": "unix:\(broker)",
                "client_id": "gongzhi-intake-test-sensors-x",
                "topics": ["gz/v1/readings/+", "gz/v1/gateways/+/readings", "gz/v1/gateways/+/readings.pb"],
                "alert_categories": {"water_level": "E0405", "manhole_tilt": "P0103"}\(budget("sensors-x"))},
               {"name": "hotline-12345", "kind": "open311", "mapping": "hotline.mapping.json",
                "ticket_number_attribute": "ticket_no",
                "services": [
                  {"code": "E0405", "name": "道路积水",
                   "attributes": [{"code": "ticket_no", "datatype": "string", "description": "12345 工单编号"}]},
                  {"code": "Q01", "name": "政策咨询"},
                  {"code": "B01", "name": "噪声扰民", "type": "batch"}]\(budget("hotline-12345"))},
               {"name": "urban-management", "kind": "file", "mapping": "urban.mapping.json", "format": "csv"\(budget("urban-management"))}
             ]}
            """
    }

    static func intakePlugin(environment: [String: String]) throws -> TestPlugin {
        TestPlugin(
            name: "intake",
            executable: try BuiltExecutables.path("gongzhi-intake"),
            services: ["gongzhi.intake.v1.Intake"],
            requestedGrants: intakeGrants,
            environment: environment
        )
    }

    static func sensorsPlugin() throws -> TestPlugin {
        TestPlugin(
            name: "sensors",
            executable: try BuiltExecutables.path("gongzhi-sensors"),
            services: ["gongzhi.sensors.v1.Sensors"]
        )
    }

    /// Starts the broker, then a host with the grid plugin (unless `grid` is false), the sensor adapter (unless
    /// `sensors` is false) and intake; creates the world, registers the devices and issues the hotline's key.
    /// `budgets` sets sources' max_in_flight; `environment` adds to intake's; `supervision` is the host's (a test
    /// that freezes a plugin turns its health checks off). Everything stops at the end of `test`.
    static func start(
        _ test: XCTestCase,
        grid withGrid: Bool = true,
        sensors withSensors: Bool = true,
        budgets: [String: Int] = [:],
        environment: [String: String] = [:],
        supervision: SupervisionPolicy = .forTests,
        directory: TemporaryDirectory? = nil
    ) async throws -> IntakeWorld {
        let broker = try await MosquittoUnderTest()
        let files = try TemporaryDirectory(prefix: "gzintake")
        try sources(broker: broker.socketPath, budgets: budgets)
            .write(toFile: files.file("sources.json"), atomically: true, encoding: .utf8)
        try mapping(source: "hotline-12345")
            .write(toFile: files.file("hotline.mapping.json"), atomically: true, encoding: .utf8)
        try fileMapping.write(toFile: files.file("urban.mapping.json"), atomically: true, encoding: .utf8)
        var plugins: [TestPlugin] = []
        if withGrid { plugins.append(try GridEndToEndTests.gridPlugin(environment: [:])) }
        if withSensors { plugins.append(try sensorsPlugin()) }
        plugins.append(
            try intakePlugin(
                environment: environment.merging(["INTAKE_SOURCES": files.file("sources.json")]) { given, _ in given }
            )
        )
        let host = try await HostUnderTest(plugins: plugins, supervision: supervision, directory: directory)
        test.addTeardownBlock {
            await host.stop()
            await broker.remove()
            _ = files
        }
        let objects = Gongzhi_Host_V1_ObjectsClient(channel: host.admin)
        try await GridEndToEndTests.createWorld(objects)
        for plugin in plugins { try await host.waitUntil(plugin.name) }
        let grid = Gongzhi_Grid_V1_GridServiceClient(channel: host.admin)
        if withGrid {
            try await eventually("the grid plugin sees the grids") {
                var request = Gongzhi_Grid_V1_LocateRequest()
                request.point = GridEndToEndTests.point(inGrid: 0)
                return (try? await grid.locate(request))?.gridCode == Self.grid
            }
        }
        let intake = Gongzhi_Intake_V1_IntakeClient(channel: host.admin)
        var devices = Gongzhi_Intake_V1_PutDevicesRequest()
        devices.devices = [
            device("WL-1", kind: "water_level", inGrid: 0),
            device("WL-2", kind: "water_level", inGrid: 1),
            device("MT-1", kind: "manhole_tilt", inGrid: 2),
        ]
        _ = try await intake.putDevices(devices)
        var address = ""
        try await eventually("the Open311 front end listens") {
            let sources = try await intake.listSources(Gongzhi_Intake_V1_ListSourcesRequest())
            address = sources.sources.first { $0.name == "hotline-12345" }?.address ?? ""
            return address.hasPrefix("http://")
        }
        try await eventually("the MQTT source is connected") {
            let sources = try await intake.listSources(Gongzhi_Intake_V1_ListSourcesRequest())
            return sources.sources.first { $0.name == "sensors-x" }?.state == .connected
        }
        let key = try await host.issueClientToken(scopes: [
            "gongzhi.intake.v1.Intake/SubmitTicket", "gongzhi.intake.v1.Intake/GetTicket",
        ])
        return IntakeWorld(
            host: host,
            broker: broker,
            files: files,
            intake: intake,
            grid: grid,
            objects: objects,
            open311: address,
            apiKey: key.token
        )
    }

    static func device(_ id: String, kind: String, inGrid index: Int) -> Gongzhi_Intake_V1_SensorDevice {
        var device = Gongzhi_Intake_V1_SensorDevice()
        device.id = id
        device.kinds = [kind]
        device.location = GridEndToEndTests.point(inGrid: index, dx: 0.3, dy: 0.3)
        device.name = "\(id) 监测点"
        device.gatewayID = "gw-\(index)"
        device.active = true
        return device
    }

    /// A JSON reading as a device publishes it on `gz/v1/readings/{device}`.
    static func reading(kind: String, value: Double, atMs: Int64, seq: Int? = nil) -> String {
        var text = #"{"kind":"\#(kind)","value":\#(value),"time_unix_ms":\#(atMs)"#
        if let seq { text += #","seq":\#(seq)"# }
        return text + "}"
    }

    func publish(device: String, _ payload: String) throws {
        try broker.publish(topic: "gz/v1/readings/\(device)", payload: payload)
    }

    func stats(_ source: String) async throws -> Gongzhi_Intake_V1_SourceCounters {
        var request = Gongzhi_Intake_V1_StatsRequest()
        request.source = source
        let answer = try await intake.stats(request)
        guard let counters = answer.sources.first else { throw TestSupportError("no counters for \(source)") }
        return counters
    }

    /// Waits until nothing of `source` is in flight, and checks its conservation equation.
    func settled(_ source: String, timeout: Duration = .seconds(30)) async throws -> Gongzhi_Intake_V1_SourceCounters {
        var counters = Gongzhi_Intake_V1_SourceCounters()
        try await eventually("\(source) has nothing in flight", timeout: timeout, poll: .milliseconds(50)) {
            counters = try await stats(source)
            return counters.inFlight == 0
        }
        XCTAssertEqual(
            counters.received,
            counters.accepted + counters.duplicates + counters.deadLettered + counters.inFlight,
            "received = accepted + duplicates + dead-lettered + in flight for \(source): \(counters)"
        )
        return counters
    }

    /// curl as an Open311 client: the HTTP status and body. `form` is sent as the POST body when given.
    func curl(_ path: String, form: String? = nil, headers: [String] = []) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", open311 + path]
        if let form { arguments += ["--data-binary", form, "-H", "Content-Type: application/x-www-form-urlencoded"] }
        for header in headers { arguments += ["-H", header] }
        let done = try CompletedProcess.run("/usr/bin/curl", arguments)
        let text = done.outputText
        guard let newline = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: newline)...]) else {
            throw TestSupportError("curl gave no status: \(text) \(done.errors)")
        }
        return (status, String(text[..<newline]))
    }

    /// The cases grid holds, with personal data.
    func cases() async throws -> [Gongzhi_Grid_V1_Case] {
        var request = Gongzhi_Grid_V1_ListCasesRequest()
        request.limit = 1_000
        return try await grid.listCases(request).cases
    }
}
