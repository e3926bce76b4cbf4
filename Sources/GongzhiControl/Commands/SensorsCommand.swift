import ArgumentParser
import GongzhiRPC
import GongzhiSchemas
import GongzhiSensorsSchemas
import SwiftProtobuf

extension GongzhiControl {
    /// `gongzhictl sensors`: the smart-city sensor adapter (the `sensors` plugin, written in C).
    struct Sensors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check device readings with the sensor adapter, and show its thresholds.",
            subcommands: [Check.self, Thresholds.self]
        )
    }
}

extension GongzhiControl.Sensors {
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
        @ParentCommand var root: GongzhiControl

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
        @ParentCommand var root: GongzhiControl

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

/// Calls to the sensor adapter through the host's admin socket.
enum SensorsCalls {
    static let service = "gongzhi.sensors.v1.Sensors"

    /// A CheckRequest from JSON: `{"readings": [...]}` or a bare list of readings.
    static func checkRequest(from bytes: [UInt8], name: String) throws(ControlError) -> Gongzhi_Sensors_V1_CheckRequest
    {
        let start = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let json: [UInt8] =
            start == UInt8(ascii: "[") ? Array("{\"readings\":".utf8) + bytes + Array("}".utf8) : bytes
        do {
            return try Gongzhi_Sensors_V1_CheckRequest(jsonUTF8Bytes: json)
        } catch {
            throw ControlError(
                "\(name) is not a list of readings (\(error)); see gongzhictl sensors check --help",
                exitCode: ControlExitCode.failed
            )
        }
    }

    /// The adapter's service, as errors name it.
    static let plugin = PluginService(
        name: service,
        plugin: "sensors",
        refusal: "the sensor adapter refused the readings"
    )

    /// Calls the adapter; an error says whether the host, the plugin or the request is the problem.
    static func call<Result: Sendable>(
        _ invocation: Invocation,
        _ body: (Gongzhi_Sensors_V1_SensorsClient, CallOptions) async throws -> Result
    ) async throws -> Result {
        try await invocation.callPlugin(plugin) { channel, options in
            try await body(Gongzhi_Sensors_V1_SensorsClient(channel: channel), options)
        }
    }
}

/// What the sensors commands print.
enum SensorsOutput {
    static func check(_ response: Gongzhi_Sensors_V1_CheckResponse, readings: Int) -> String {
        var text =
            "\(readings) readings: \(response.checked) checked, \(response.alerts.count) alerts, "
            + "\(response.rejections.count) rejected\n"
        if !response.alerts.isEmpty {
            text += "\n"
            text += TextLayout.table(
                header: ["#", "SEVERITY", "DEVICE", "KIND", "VALUE", "LIMIT", "MESSAGE"],
                rows: response.alerts.map { alert in
                    [
                        String(alert.index), severity(alert.severity), alert.deviceID, alert.kind,
                        number(alert.value), number(alert.limit), alert.message,
                    ]
                }
            )
        }
        if !response.rejections.isEmpty {
            text += "\n"
            text += TextLayout.table(
                header: ["#", "REJECTED", "REASON"],
                rows: response.rejections.map {
                    [String($0.index), $0.deviceID.isEmpty ? "-" : $0.deviceID, $0.reason]
                }
            )
        }
        return text
    }

    static func thresholds(_ thresholds: [Gongzhi_Sensors_V1_Threshold]) -> String {
        TextLayout.table(
            header: ["KIND", "UNIT", "ALERT WHEN", "WARNING", "CRITICAL", "PLAUSIBLE"],
            rows: thresholds.map { threshold in
                [
                    threshold.kind, threshold.unit, threshold.direction == .below ? "at or below" : "at or above",
                    number(threshold.warning), number(threshold.critical),
                    "\(number(threshold.plausibleMin)) to \(number(threshold.plausibleMax))",
                ]
            }
        )
    }

    /// The answer in protobuf's JSON mapping with the proto's field names, for scripts.
    static func json(_ message: some SwiftProtobuf.Message) -> String {
        PluginOutput.json(message)
    }

    private static func severity(_ severity: Gongzhi_Sensors_V1_Alert.Severity) -> String {
        switch severity {
        case .critical: "critical"
        case .warning: "warning"
        default: "-"
        }
    }

    /// A value without a trailing ".0" when it is whole.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
