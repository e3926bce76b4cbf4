import Foundation
import GongzhiHost
import GongzhiPluginSDK
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiRPCPosix
import GongzhiSchemas
import GongzhiSensorsSchemas
import GongzhiTestSchemas
import GongzhiTestSupport
import SwiftProtobuf
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The C sensor plugin (Plugins/sensors, built on the C SDK) under the real host beside a Swift plugin:
/// registered with its descriptors, supervised, called through the host, restarted, stopped, and answering
/// bad input.
final class CPluginEndToEndTests: XCTestCase {
    static var sensors: String { get throws { try BuiltExecutables.path("gongzhi-sensors") } }

    static func sensorsPlugin(environment: [String: String] = [:]) throws -> TestPlugin {
        TestPlugin(
            name: "sensors",
            executable: try sensors,
            services: ["gongzhi.sensors.v1.Sensors"],
            environment: environment
        )
    }

    private func reading(
        _ device: String,
        _ kind: String,
        _ value: Double,
        attributes: [String: String] = [:]
    ) -> Gongzhi_Sensors_V1_Reading {
        var reading = Gongzhi_Sensors_V1_Reading()
        reading.deviceID = device
        reading.kind = kind
        reading.value = value
        reading.timeUnixMs = 1_763_800_000_000
        reading.attributes = attributes
        return reading
    }

    private func echo(_ text: String) -> Gongzhi_Test_V1_EchoRequest {
        var request = Gongzhi_Test_V1_EchoRequest()
        request.text = text
        return request
    }

    /// A host with the C plugin and the Swift test plugin, and a client allowed to call both.
    private func startHost(
        sensorsEnvironment: [String: String] = [:]
    ) async throws -> (HostUnderTest, HostChannel) {
        let host = try await HostUnderTest(plugins: [
            try Self.sensorsPlugin(environment: sensorsEnvironment), try HostUnderTest.testPlugin("alpha"),
        ])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("sensors")
        try await host.waitUntil("alpha")
        let issued = try await host.issueClientToken(scopes: ["gongzhi.sensors.v1.Sensors/*", "gongzhi.test.v1.Echo/*"])
        let channel = host.channel(token: issued.token)
        addTeardownBlock { await channel.close() }
        return (host, channel)
    }

    func testTheCPluginAndASwiftPluginAnswerThroughTheHostAndTheCPluginIsRestartedAfterSIGKILL() async throws {
        let (host, channel) = try await startHost()
        let sensors = Gongzhi_Sensors_V1_SensorsClient(channel: channel)
        let echo = Gongzhi_Test_V1_EchoClient(channel: channel)

        var batch = Gongzhi_Sensors_V1_CheckRequest()
        batch.readings = [
            reading("WL-330199-0042", "water_level", 32, attributes: ["vendor": "hz-iot", "firmware": "2.4.1"]),
            reading("WL-330199-0043", "water_level", 3),
            reading("BT-7", "battery", 12),
            reading("X-1", "humidity", 50),
        ]
        let checked = try await sensors.check(batch)
        XCTAssertEqual(checked.checked, 3)
        XCTAssertEqual(checked.alerts.map(\.index), [0, 2])
        XCTAssertEqual(checked.alerts.map(\.severity), [.critical, .warning])
        XCTAssertEqual(
            checked.alerts.first?.message,
            "water_level 32 cm at WL-330199-0042 reached the critical threshold 30 cm"
        )
        XCTAssertEqual(checked.alerts.first?.attributes, ["vendor": "hz-iot", "firmware": "2.4.1"])
        XCTAssertEqual(checked.rejections.map(\.index), [3])
        XCTAssertTrue(checked.rejections.first?.reason.contains("unknown kind \"humidity\"") == true)
        XCTAssertEqual(checked.checkedByKind, ["water_level": 2, "battery": 1])

        let thresholds = try await sensors.listThresholds(Gongzhi_Sensors_V1_ListThresholdsRequest())
        XCTAssertEqual(thresholds.thresholds.count, 7)
        XCTAssertEqual(thresholds.thresholds.first { $0.kind == "battery" }?.direction, .below)
        let answer = try await echo.unary(self.echo("from Swift"))
        XCTAssertEqual(answer.text, "from Swift")

        // The host supervises the C plugin like any other: killed, it is started again and answers.
        let before = try await host.status("sensors")
        let alpha = try await host.status("alpha")
        XCTAssertTrue(processIsAlive(before.pid))
        kill(before.pid, SIGKILL)
        let gone = await waitUntilGone(before.pid)
        XCTAssertTrue(gone)
        let after = try await host.waitUntilRestarted("sensors", from: before.pid)
        XCTAssertGreaterThanOrEqual(after.restarts, 1)
        XCTAssertTrue(after.reason.isEmpty || !after.reason.contains("quarantine"), after.reason)
        let again = try await sensors.check(batch)
        XCTAssertEqual(again, checked, "the restarted plugin answers the same")

        // The Swift plugin was not disturbed.
        let alphaAfter = try await host.status("alpha")
        XCTAssertEqual(alphaAfter.pid, alpha.pid)
        let echoed = try await echo.unary(self.echo("still here"))
        XCTAssertEqual(echoed.text, "still here")
    }

    func testTheHostListsTheCPluginsMessageTypesFromTheDescriptorsItRegistered() async throws {
        let (host, _) = try await startHost()
        var ask = Gongzhi_Host_V1_ListServicesRequest()
        ask.name = Gongzhi_Sensors_V1_Sensors.serviceName
        let listed = try await host.adminClient.listServices(ask).services
        XCTAssertEqual(listed.map(\.plugin), ["sensors"])
        let service = try XCTUnwrap(listed.first)
        XCTAssertTrue(service.available)
        XCTAssertEqual(service.methods.map(\.name), ["Check", "ListThresholds"])
        XCTAssertEqual(service.methods.map(\.kind), [.unary, .unary])
        XCTAssertEqual(
            service.methods.map(\.inputType),
            ["gongzhi.sensors.v1.CheckRequest", "gongzhi.sensors.v1.ListThresholdsRequest"]
        )
        XCTAssertEqual(
            service.methods.map(\.outputType),
            ["gongzhi.sensors.v1.CheckResponse", "gongzhi.sensors.v1.ListThresholdsResponse"]
        )
        // The set the plugin embeds (Plugins/sensors/generated/sensors_descriptors.c), as the host keeps it.
        let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: service.fileDescriptorSet)
        XCTAssertEqual(set.file.map(\.name), ["gongzhi/sensors/v1/sensors.proto"])
        XCTAssertEqual(set.file.first?.service.map(\.name), ["Sensors"])
    }

    func testBadInputToTheCPluginIsAnsweredWithTheRightCodeAndItKeepsServing() async throws {
        let (host, channel) = try await startHost()
        let sensors = Gongzhi_Sensors_V1_SensorsClient(channel: channel)
        let before = try await host.status("sensors")

        // Bytes that are not a CheckRequest (field 1 declared as 100 bytes long, then the input ends).
        let malformed = await assertRPCError(.invalidArgument) {
            try await channel.unary(
                service: "gongzhi.sensors.v1.Sensors",
                method: "Check",
                payload: Data([0x0A, 0x64, 0x01]),
                options: CallOptions()
            )
        }
        XCTAssertTrue(malformed?.message.contains("gongzhi.sensors.v1.CheckRequest") == true, malformed?.message ?? "")

        // Too many readings in one call.
        var huge = Gongzhi_Sensors_V1_CheckRequest()
        huge.readings = Array(repeating: reading("WL-1", "water_level", 1), count: 10_001)
        let tooMany = await assertRPCError(.invalidArgument) { try await sensors.check(huge) }
        XCTAssertTrue(tooMany?.message.contains("at most 10000 readings") == true, tooMany?.message ?? "")

        // A method the plugin does not have.
        let unknown = await assertRPCError(.unimplemented) {
            try await channel.unary(
                service: "gongzhi.sensors.v1.Sensors",
                method: "Calibrate",
                payload: Data(),
                options: CallOptions()
            )
        }
        XCTAssertTrue(unknown?.message.contains("Calibrate") == true, unknown?.message ?? "")

        // A caller whose deadline has passed by the time the call arrives.
        var hurried = CallOptions()
        hurried.timeout = .nanoseconds(1)
        await assertRPCError(.deadlineExceeded) {
            try await sensors.check(Gongzhi_Sensors_V1_CheckRequest(), options: hurried)
        }

        // Nothing of that stopped or restarted it.
        var ok = Gongzhi_Sensors_V1_CheckRequest()
        ok.readings = [reading("WL-1", "water_level", 40)]
        let answer = try await sensors.check(ok)
        XCTAssertEqual(answer.alerts.count, 1)
        let after = try await host.status("sensors")
        XCTAssertEqual(after.pid, before.pid)
        XCTAssertEqual(after.restarts, 0)
    }

    func testTheHostStopsTheCPluginGracefullyAndAHostKilledWithSIGKILLTakesItAlong() async throws {
        let graceful = try await HostUnderTest(plugins: [try Self.sensorsPlugin()])
        let first = try await graceful.waitUntil("sensors")
        graceful.process.signal(SIGTERM)
        let status = await graceful.process.waitForExit(timeout: .seconds(20))
        XCTAssertEqual(status, 0, graceful.log)
        XCTAssertFalse(processIsAlive(first.pid))
        XCTAssertFalse(graceful.log.contains("killed by signal"), "the C plugin stopped on Shutdown:\n\(graceful.log)")
        await graceful.admin.close()

        let killed = try await HostUnderTest(plugins: [try Self.sensorsPlugin()])
        let second = try await killed.waitUntil("sensors")
        killed.process.signal(SIGKILL)
        _ = await killed.process.waitForExit()
        let gone = await waitUntilGone(second.pid)
        XCTAssertTrue(gone, "the C plugin outlived its host")
        await killed.admin.close()
    }

    func testThresholdsComeFromTheFileTheHostsConfigNamesAndABadFileSaysWhereItIsWrong() async throws {
        let files = try TemporaryDirectory(prefix: "gzsensors")
        let good = files.file("thresholds.conf")
        try "# for the test\nwater_level cm above 5 10 0 200\n".write(toFile: good, atomically: true, encoding: .utf8)
        let (_, channel) = try await startHost(sensorsEnvironment: ["SENSORS_THRESHOLDS": good])
        let sensors = Gongzhi_Sensors_V1_SensorsClient(channel: channel)
        let listed = try await sensors.listThresholds(Gongzhi_Sensors_V1_ListThresholdsRequest())
        XCTAssertEqual(listed.thresholds.map(\.kind), ["water_level"])
        XCTAssertEqual(listed.thresholds.first?.critical, 10)
        var batch = Gongzhi_Sensors_V1_CheckRequest()
        batch.readings = [reading("WL-1", "water_level", 12), reading("BT-1", "battery", 1)]
        let checked = try await sensors.check(batch)
        XCTAssertEqual(checked.alerts.map(\.severity), [.critical])
        XCTAssertTrue(checked.rejections.first?.reason.contains("unknown kind \"battery\"") == true)

        let bad = files.file("bad.conf")
        try "water_level cm above 5 10 0 200\nnoise dB sideways 60 70 0 140\n".write(
            toFile: bad,
            atomically: true,
            encoding: .utf8
        )
        var supervision = SupervisionPolicy.forTests
        supervision.crashLimit = 2
        let host = try await HostUnderTest(
            plugins: [try Self.sensorsPlugin(environment: ["SENSORS_THRESHOLDS": bad])],
            supervision: supervision
        )
        addTeardownBlock { await host.stop() }
        let deadline = ContinuousClock.now + .seconds(30)
        while !host.log.contains("\(bad):2: direction \"sideways\" must be above or below") {
            if ContinuousClock.now > deadline {
                XCTFail("the plugin's reason never reached the host's log:\n\(host.log)")
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let status = try await host.status("sensors")
        XCTAssertNotEqual(status.state, "ready", status.reason)
    }

    func testGongzhictlChecksReadingsAndShowsThresholdsThroughTheHost() async throws {
        let (host, _) = try await startHost()
        let files = try TemporaryDirectory(prefix: "gzsensors")
        let readings = files.file("readings.json")
        try """
        [
          {"device_id": "WL-330199-0042", "kind": "water_level", "value": 32, "time_unix_ms": 1763800000000,
           "location": {"longitude": 120.16, "latitude": 30.27}, "attributes": {"vendor": "hz-iot"}},
          {"device_id": "PM-7", "kind": "pm25", "value": 80, "time_unix_ms": 1763800000000},
          {"device_id": "", "kind": "noise", "value": 50, "time_unix_ms": 1763800000000}
        ]
        """.write(toFile: readings, atomically: true, encoding: .utf8)

        let checked = try await ControlEndToEndTests.ctl(
            ["sensors", "check", "-f", readings],
            socket: host.adminSocket
        )
        XCTAssertEqual(checked.status, 0, checked.errors)
        XCTAssertTrue(checked.output.contains("3 readings: 2 checked, 2 alerts, 1 rejected"), checked.output)
        XCTAssertTrue(
            checked.output.contains("water_level 32 cm at WL-330199-0042 reached the critical threshold 30 cm"),
            checked.output
        )
        XCTAssertTrue(checked.output.contains("device_id is missing"), checked.output)

        let json = try await ControlEndToEndTests.ctl(
            ["sensors", "check", "-f", readings, "-o", "json"],
            socket: host.adminSocket
        )
        XCTAssertEqual(json.status, 0, json.errors)
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        XCTAssertEqual((document["alerts"] as? [Any])?.count, 2)
        XCTAssertEqual(document["checked_by_kind"] as? [String: Int], ["water_level": 1, "pm25": 1])

        let thresholds = try await ControlEndToEndTests.ctl(["sensors", "thresholds"], socket: host.adminSocket)
        XCTAssertEqual(thresholds.status, 0, thresholds.errors)
        XCTAssertTrue(thresholds.output.contains("battery"), thresholds.output)
        XCTAssertTrue(thresholds.output.contains("at or below"), thresholds.output)

        let notJSON = files.file("notes.txt")
        try "water level high at the underpass".write(toFile: notJSON, atomically: true, encoding: .utf8)
        let refused = try await ControlEndToEndTests.ctl(["sensors", "check", "-f", notJSON], socket: host.adminSocket)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.errors.contains("is not a list of readings"), refused.errors)

        // Deployed but not running: the command says so, and where to see why.
        let disabled = try await ControlEndToEndTests.ctl(["plugins", "disable", "sensors"], socket: host.adminSocket)
        XCTAssertEqual(disabled.status, 0, disabled.errors)
        let stopped = try await ControlEndToEndTests.ctl(["sensors", "thresholds"], socket: host.adminSocket)
        XCTAssertEqual(stopped.status, 1)
        XCTAssertTrue(
            stopped.errors.hasPrefix(
                "error: the sensors plugin is not available: plugin sensors, which serves gongzhi.sensors.v1.Sensors, "
                    + "is not taking calls: "
            ),
            stopped.errors
        )
        XCTAssertTrue(stopped.errors.hasSuffix(" (see gongzhictl plugins describe sensors)\n"), stopped.errors)
        XCTAssertEqual(stopped.errors.split(separator: "\n").count, 1, stopped.errors)

        // Not deployed on the host: the command says which plugin is missing and how to enable it.
        let bare = try await HostUnderTest(plugins: [try HostUnderTest.testPlugin("alpha")])
        addTeardownBlock { await bare.stop() }
        try await bare.waitUntil("alpha")
        let missing = try await ControlEndToEndTests.ctl(["sensors", "thresholds"], socket: bare.adminSocket)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(
            missing.errors,
            "error: the sensors plugin is not deployed on this host (no plugin serves gongzhi.sensors.v1.Sensors); "
                + "install it with Deploy/install-plugin.sh, add [plugins.sensors] to the host's config and reload "
                + "the host\n"
        )
    }

    /// The C plugin's socket serves its host's process only: root in another process (this test), calling it
    /// directly with forged caller entries, is refused, as with the Swift SDK.
    func testTheCPluginServesItsHostOnlyAndRefusesAnotherRootProcess() async throws {
        let (host, channel) = try await startHost()
        let status = try await host.status("sensors")
        var batch = Gongzhi_Sensors_V1_CheckRequest()
        batch.readings = [reading("WL-330199-0042", "water_level", 32)]
        await assertForgedDirectCallRefused(
            socket: status.socketPath,
            service: "gongzhi.sensors.v1.Sensors",
            method: "Check",
            payload: try batch.serializedBytes(),
            hostPID: host.process.pid
        )
        // Through the host the same call is answered.
        let answer = try await Gongzhi_Sensors_V1_SensorsClient(channel: channel).check(batch)
        XCTAssertEqual(answer.checked, 1, "\(answer)")
    }
}
