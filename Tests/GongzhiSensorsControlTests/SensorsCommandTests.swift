import ArgumentParser
import Foundation
import GongzhiControl
import GongzhiControlTestSupport
import GongzhiRPC
import GongzhiSensorsSchemas
import GongzhiTestSupport
import XCTest

@testable import GongzhiSensorsControl

/// `gongzhictl sensors …`: reading the readings, what is printed, and how a refusal is told, against an
/// in-process host on a real socket.
final class SensorsCommandTests: XCTestCase {
    private typealias Run = ([String], [UInt8]) async -> (status: Int32, output: String, errors: String)

    private func withFakeHost(
        _ sensors: FakeSensors = FakeSensors(),
        _ body: (_ run: @escaping Run, _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withRPCServer(services: [sensors]) { _, directory in
            let socket = directory.file("server.sock")
            try await body(
                { arguments, input in
                    let console = TestConsole(
                        SensorsCommandLine.self,
                        environment: ["GONGZHI_ADMIN_SOCKET": socket],
                        input: input
                    )
                    let status = await console.run(arguments)
                    return (status, console.output, console.errors)
                },
                directory
            )
        }
    }

    private static let readings = """
        [{"device_id": "WL-330199-0042", "kind": "water_level", "value": 32, "time_unix_ms": 1763800000000},
         {"device_id": "", "kind": "noise", "value": 50, "time_unix_ms": 1763800000000}]
        """

    func testCommandsParse() throws {
        let check = try XCTUnwrap(
            try SensorsCommandLine.parseAsRoot(["sensors", "check", "-f", "readings.json"]) as? SensorsCommand.Check
        )
        XCTAssertEqual(check.file, "readings.json")
        XCTAssertNotNil(try SensorsCommandLine.parseAsRoot(["sensors", "thresholds"]) as? SensorsCommand.Thresholds)
        XCTAssertThrowsError(try SensorsCommandLine.parseAsRoot(["sensors", "check"])) { error in
            XCTAssertEqual(SensorsCommandLine.exitCode(for: error), .validationFailure)
        }
    }

    func testReadingsAreAListOrAnObjectOfThem() throws {
        let list = try SensorsCalls.checkRequest(from: Array(Self.readings.utf8), name: "r.json")
        XCTAssertEqual(list.readings.map(\.deviceID), ["WL-330199-0042", ""])
        XCTAssertEqual(list.readings.first?.timeUnixMs, 1_763_800_000_000)
        let object = try SensorsCalls.checkRequest(
            from: Array(#" {"readings": [{"device_id": "BT-7", "kind": "battery", "value": 12}]}"#.utf8),
            name: "r.json"
        )
        XCTAssertEqual(object.readings.map(\.kind), ["battery"])
        XCTAssertThrowsError(try SensorsCalls.checkRequest(from: Array("water is high".utf8), name: "notes.txt")) {
            let error = $0 as? ControlError
            XCTAssertEqual(error?.exitCode, ControlExitCode.failed)
            XCTAssertTrue(error?.message.hasPrefix("notes.txt is not a list of readings (") == true, "\($0)")
            XCTAssertTrue(error?.message.hasSuffix("; see gongzhictl sensors check --help") == true, "\($0)")
        }
    }

    func testEveryCommandPrintsWhatItsRendererDoes() async throws {
        let sensors = FakeSensors()
        let request = try SensorsCalls.checkRequest(from: Array(Self.readings.utf8), name: "r.json")
        let answer = FakeSensors.answer(request)
        try await withFakeHost(sensors) { run, directory in
            let file = directory.file("readings.json")
            try Data(Self.readings.utf8).write(to: URL(fileURLWithPath: file))
            let cases: [([String], [UInt8], String)] = [
                (["sensors", "check", "-f", file], [], SensorsOutput.check(answer, readings: 2)),
                (["sensors", "check", "-f", "-"], Array(Self.readings.utf8), SensorsOutput.check(answer, readings: 2)),
                (["sensors", "check", "-f", file, "-o", "json"], [], PluginOutput.json(answer)),
                (["sensors", "thresholds"], [], SensorsOutput.thresholds(FakeSensors.thresholds.thresholds)),
                (["sensors", "thresholds", "-o", "json"], [], PluginOutput.json(FakeSensors.thresholds)),
            ]
            for (arguments, input, expected) in cases {
                let (status, output, errors) = await run(arguments, input)
                XCTAssertEqual(status, ControlExitCode.ok, "\(arguments): \(errors)")
                XCTAssertEqual(errors, "", "\(arguments)")
                XCTAssertEqual(output, expected, "\(arguments)")
            }
        }
        XCTAssertEqual(
            sensors.requests.withLock { $0 },
            [
                "Check WL-330199-0042,", "Check WL-330199-0042,", "Check WL-330199-0042,", "ListThresholds",
                "ListThresholds",
            ]
        )
    }

    func testWhatIsPrinted() {
        let request = try? SensorsCalls.checkRequest(from: Array(Self.readings.utf8), name: "r.json")
        let check = SensorsOutput.check(FakeSensors.answer(request ?? .init()), readings: 2)
        let lines = check.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "2 readings: 1 checked, 1 alerts, 1 rejected")
        XCTAssertTrue(check.contains("critical  WL-330199-0042  water_level  32"), check)
        XCTAssertTrue(check.contains("REJECTED"), check)
        XCTAssertTrue(check.contains("1  -         device_id is missing"), check)
        let thresholds = SensorsOutput.thresholds(FakeSensors.thresholds.thresholds)
        XCTAssertTrue(thresholds.contains("water_level  cm    at or above  20"), thresholds)
        XCTAssertTrue(thresholds.contains("battery      %     at or below  20       10        0 to 100"), thresholds)
    }

    func testTheAdaptersRefusalIsNamed() async throws {
        let refusing = FakeSensors(
            failure: RPCError(code: .invalidArgument, message: "at most 10,000 readings")
        )
        try await withFakeHost(refusing) { run, _ in
            let (status, output, errors) = await run(["sensors", "check", "-f", "-"], Array(Self.readings.utf8))
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(output, "")
            XCTAssertEqual(errors, "error: the sensor adapter refused the readings: at most 10,000 readings\n")
            let yaml = await run(["sensors", "thresholds", "-o", "yaml"], [])
            XCTAssertEqual(yaml.status, ControlExitCode.usage)
            XCTAssertEqual(yaml.errors, "error: -o yaml is for the object commands; use -o json or -o table\n")
        }
    }

    func testAnAdapterThatIsNotDeployedOrNotRunningIsNamed() async throws {
        let notDeployed = FakeSensors(
            failure: RPCError(
                code: .unimplemented,
                message: "no plugin serves gongzhi.sensors.v1.Sensors (served here: gongzhi.host.v1.Admin)"
            )
        )
        try await withFakeHost(notDeployed) { run, _ in
            for arguments in [["sensors", "thresholds"], ["sensors", "check", "-f", "-"]] {
                let (status, output, errors) = await run(arguments, Array(Self.readings.utf8))
                XCTAssertEqual(status, ControlExitCode.failed, "\(arguments)")
                XCTAssertEqual(output, "", "\(arguments)")
                XCTAssertEqual(
                    errors,
                    "error: the sensors plugin is not deployed on this host (no plugin serves "
                        + "gongzhi.sensors.v1.Sensors); install it with Deploy/install-plugin.sh, add [plugins.sensors] "
                        + "to the host's config and reload the host\n",
                    "\(arguments)"
                )
            }
        }
        let stopped = FakeSensors(
            failure: RPCError(
                code: .unavailable,
                message: "plugin sensors, which serves gongzhi.sensors.v1.Sensors, is not taking calls: it is stopped"
            )
        )
        try await withFakeHost(stopped) { run, _ in
            let (status, _, errors) = await run(["sensors", "thresholds"], [])
            XCTAssertEqual(status, ControlExitCode.failed)
            XCTAssertEqual(
                errors,
                "error: the sensors plugin is not available: plugin sensors, which serves gongzhi.sensors.v1.Sensors, "
                    + "is not taking calls: it is stopped (see gongzhictl plugins describe sensors)\n"
            )
        }
    }
}
