import Foundation
import GongzhiIntakeSchemas
import GongzhiRPC
import GongzhiSchemas

/// Intake's sources and devices for the benchmark.
enum IntakeSetup {
    static let sensors = "sensors-x"
    static let hotline = "hotline-12345"
    static let topics = ["gz/v1/readings/+", "gz/v1/gateways/+/readings", "gz/v1/gateways/+/readings.pb"]

    /// The sources file (one MQTT source on the broker, one Open311 source on a free port, their default in-flight
    /// budgets) and the hotline's mapping, as the end-to-end tests' world has them; answers the file's path.
    static func writeSources(root: String, broker: String) throws -> String {
        let mapping = """
            {"source": "\(hotline)", "grid_source": "hotline", "dedupe_window_minutes": 10,
             "fields": {"external_id": "external_id", "category": "service_code", "description": "description",
                        "latitude": "lat", "longitude": "long", "address": "address_string", "reporter_name": "name",
                        "reporter_phone": "phone"},
             "categories": {"E0405": {"type": "complaint", "category": "E0405"}}}
            """
        let sources = """
            {"jurisdiction_id": "330199",
             "http": {"address": "127.0.0.1:0", "contact": "bench"},
             "sources": [
               {"name": "\(sensors)", "kind": "mqtt", "broker": "unix:\(broker)",
                "client_id": "gongzhi-intake-bench-sensors-x",
                "topics": [\(topics.map { "\"\($0)\"" }.joined(separator: ", "))],
                "alert_categories": {"water_level": "E0405"}},
               {"name": "\(hotline)", "kind": "open311", "mapping": "hotline.mapping.json",
                "ticket_number_attribute": "ticket_no",
                "services": [
                  {"code": "E0405", "name": "道路积水",
                   "attributes": [{"code": "ticket_no", "datatype": "string", "description": "12345 工单编号"}]}]}
             ]}
            """
        try mapping.write(toFile: "\(root)/hotline.mapping.json", atomically: true, encoding: .utf8)
        try sources.write(toFile: "\(root)/intake-sources.json", atomically: true, encoding: .utf8)
        return "\(root)/intake-sources.json"
    }

    /// The places of the critical readings' devices: the world's first cells, one each.
    static func criticalLocations(world: GridWorld, devices: [String]) -> [String: Gongzhi_Core_V1_Point] {
        var places: [String: Gongzhi_Core_V1_Point] = [:]
        for (index, device) in devices.enumerated() { places[device] = world.point(index) }
        return places
    }

    /// Registers the publishers' devices (`FL-PP-K`, four a publisher, behind gateway `FL-gw-PP`, in cells far from
    /// the others) and the critical readings' devices (`CR-NNNN`), all water-level gauges.
    static func putDevices(
        _ intake: Gongzhi_Intake_V1_IntakeClient,
        world: GridWorld,
        publishers: Int,
        critical: [String]
    ) async throws {
        var devices: [Gongzhi_Intake_V1_SensorDevice] = []
        for publisher in 0..<publishers {
            for gauge in 0..<4 {
                var device = Gongzhi_Intake_V1_SensorDevice()
                device.id = "FL-\(digits(publisher, width: 2))-\(gauge)"
                device.kinds = ["water_level"]
                device.location = world.point(world.cellCount - 1 - publisher * 4 - gauge)
                device.name = "\(device.id) 积水监测点"
                device.gatewayID = "FL-gw-\(digits(publisher, width: 2))"
                device.active = true
                devices.append(device)
            }
        }
        for (device, point) in criticalLocations(world: world, devices: critical) {
            var gauge = Gongzhi_Intake_V1_SensorDevice()
            gauge.id = device
            gauge.kinds = ["water_level"]
            gauge.location = point
            gauge.name = "\(device) 积水监测点"
            gauge.gatewayID = "CR-gw"
            gauge.active = true
            devices.append(gauge)
        }
        for start in stride(from: 0, to: devices.count, by: 100) {
            var request = Gongzhi_Intake_V1_PutDevicesRequest()
            request.devices = Array(devices[start..<min(devices.count, start + 100)])
            _ = try await intake.putDevices(request)
        }
    }

    /// The Open311 POSTs' places, "latitude longitude" a line: every cell after the critical devices' and before
    /// the publishers' devices'.
    static func writePostPoints(world: GridWorld, first: Int, to path: String) throws {
        var lines: [String] = []
        for index in first..<(world.cellCount - 200) {
            let point = world.point(index)
            lines.append("\(fixed(point.latitude, places: 6)) \(fixed(point.longitude, places: 6))")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// The outside tools the run drives: paho-mqtt publishers, the bare subscriber, wrk.
struct BenchTools: Sendable {
    var root: String
    var repoRoot: String
    var countSubscriber: String
    var pythonPath: String
    var wrk: String

    private var script: String { "\(repoRoot)/Benchmarks/intake/scripts/publish.py" }

    /// `publish.py flood`: all publishers connected, then every reading published at QoS 1 and acknowledged.
    func flood(socket: String, settings: IntakeSettings, clientPrefix: String, log: String) async throws -> FloodLine {
        let child = try ChildProcess(
            [
                "/usr/bin/env", "python3", script, "flood", "--socket", socket, "--client-prefix", clientPrefix,
                "--publishers", String(settings.publishers), "--messages", String(settings.readings),
                "--inflight", String(settings.publisherInflight), "--timeout", String(Int(settings.settleTimeout)),
            ],
            logPath: "\(root)/\(log).log",
            environment: ["PYTHONPATH": pythonPath]
        )
        guard await child.exited(within: settings.settleTimeout + 120) else {
            child.stop(grace: 5)
            throw BenchFailure("the publishers did not finish: \(child.log().suffix(300))")
        }
        let text = child.output()
        guard child.status == 0, let line = try? JSONDecoder().decode(FloodLine.self, from: Data(text.utf8)) else {
            throw BenchFailure(
                "the publishers failed (\(child.status)): \(text.suffix(200)) \(child.log().suffix(300))"
            )
        }
        guard line.complete, line.acked == line.messages else {
            throw BenchFailure("the publishers had \(line.acked) of \(line.messages) PUBACKs")
        }
        return line
    }

    /// `publish.py critical`: one critical reading per device, each acknowledged; answers the publish times.
    func critical(socket: String, devices: [String], gapMs: Int) async throws -> [String: Double] {
        struct Published: Decodable { var published: [String: Double] }
        let child = try ChildProcess(
            [
                "/usr/bin/env", "python3", script, "critical", "--socket", socket, "--client-prefix", "bench-",
                "--devices", devices.joined(separator: ","), "--gap-ms", String(gapMs),
            ],
            logPath: "\(root)/publish-critical.log",
            environment: ["PYTHONPATH": pythonPath]
        )
        guard await child.exited(within: Double(devices.count) * (Double(gapMs) / 1_000 + 30) + 30) else {
            child.stop(grace: 5)
            throw BenchFailure("the critical publisher did not finish")
        }
        let text = child.output()
        guard child.status == 0, let line = try? JSONDecoder().decode(Published.self, from: Data(text.utf8)) else {
            throw BenchFailure("the critical publisher failed (\(child.status)): \(child.log().suffix(300))")
        }
        return line.published
    }

    /// wrk with `open311-post.lua`: `connections` connections on two threads for `seconds`.
    func posts(
        url: String,
        apiKey: String,
        pointsFile: String,
        connections: Int,
        seconds: Int
    ) async throws
        -> WrkLine
    {
        let threads = 2
        let child = try ChildProcess(
            [
                wrk, "-t", String(threads), "-c", String(connections), "-d", "\(seconds)s", "--timeout", "30s",
                "-s", "\(repoRoot)/Benchmarks/intake/scripts/open311-post.lua", url, "--", apiKey, pointsFile,
                String(threads), "r\(getpid())",
            ],
            logPath: "\(root)/wrk.log"
        )
        guard await child.exited(within: Double(seconds) + 90) else {
            child.stop(grace: 5)
            throw BenchFailure("wrk did not finish")
        }
        let text = child.output()
        try text.write(toFile: "\(root)/wrk.out", atomically: true, encoding: .utf8)
        guard let last = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let line = try? JSONDecoder().decode(WrkLine.self, from: Data(last.utf8))
        else {
            throw BenchFailure("wrk gave no result (\(child.status)): \(text.suffix(300)) \(child.log().suffix(300))")
        }
        return line
    }
}
