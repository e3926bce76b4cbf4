import ArgumentParser
import GongzhiControl
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas

/// `gongzhictl sensors`: the smart-city sensor adapter (the `sensors` plugin, written in C); `gongzhictl` lists
/// it among its modules' commands (``ControlCommandLine``).
public struct SensorsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract: "Check device readings with the sensor adapter, and show its thresholds.",
        subcommands: [Check.self, Thresholds.self]
    )

    public init() {}
}

extension SensorsCommand {
    /// `gongzhictl sensors check -f FILE`.
    struct Check: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a batch of readings against the thresholds and show the alerts.",
            discussion: """
                The file is JSON: a list of readings, or {"readings": [...]}. A reading is \
                {"device_id": "WL-330199-0042", "kind": "water_level", "value": 32, \
                "time_unix_ms": 1763800000000, "location": {"longitude": 120.16, "latitude": 30.27}, \
                "attributes": {"vendor": "…"}}; - reads standard input. Readings that cannot be checked are \
                listed with their reason. At most 10,000 readings a call.
                """
        )

        @Option(
            name: [.customShort("f"), .customLong("filename")],
            help: ArgumentHelp("A JSON file of readings; - for standard input.", valueName: "file"),
            completion: .file(extensions: ["json"])
        )
        var file: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let bytes = try DocumentReader.contents(of: file, context: invocation.context)
            let request = try SensorsCalls.checkRequest(from: bytes, name: file == "-" ? "standard input" : file)
            let response = try await SensorsCalls.call(invocation) { sensors, options in
                try await sensors.check(request, options: options)
            }
            invocation.print(
                human: { _ in SensorsOutput.check(response, readings: request.readings.count) },
                json: { SensorsOutput.json(response) }
            )
        }
    }

    /// `gongzhictl sensors thresholds`.
    struct Thresholds: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the thresholds the sensor adapter checks readings against."
        )

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let response = try await SensorsCalls.call(invocation) { sensors, options in
                try await sensors.listThresholds(Gongzhi_Sensors_V1_ListThresholdsRequest(), options: options)
            }
            invocation.print(
                human: { _ in SensorsOutput.thresholds(response.thresholds) },
                json: { SensorsOutput.json(response) }
            )
        }
    }
}
