import ArgumentParser
import GongzhiControl
import GongzhiIntakeSchemas

extension IntakeCommand {
    /// `gongzhictl intake devices list|put`.
    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List and register the sensor devices readings come from.",
            discussion: """
                A reading from a device that is not registered, or not active, is a dead letter \
                (device.unknown); replay them once the device is registered.
                """,
            subcommands: [List.self, Put.self]
        )
    }

    /// `gongzhictl intake readings latest|show`.
    struct Readings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the readings intake keeps as telemetry: each device's latest, or one device's history.",
            subcommands: [Latest.self, Show.self]
        )
    }
}

/// The filters of `devices list` and `readings latest`.
struct DeviceFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Only devices in this grid, community or street (its code).", valueName: "code"))
    var place: String?

    @Option(help: ArgumentHelp("Only devices that measure this, e.g. water_level.", valueName: "kind"))
    var kind: String?

    func validate() throws {
        try PlaceCode.check(place)
    }
}

extension IntakeCommand.Devices {
    /// `gongzhictl intake devices list [--place CODE] [--kind KIND]`.
    struct List: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered devices.",
            discussion: """
                Example:
                  gongzhictl intake devices list --place 330106001 --kind water_level
                """
        )

        @OptionGroup var filters: DeviceFilterOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Intake_V1_ListDevicesRequest.with {
                $0.place = filters.place ?? ""
                $0.kind = filters.kind ?? ""
            }
            let response = try await IntakeCalls.call(invocation) { intake, options in
                try await intake.listDevices(request, options: options)
            }
            invocation.print(human: { IntakeOutput.devices(response.devices, time: $0) }, message: response)
        }
    }

    /// `gongzhictl intake devices put FILE`.
    struct Put: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register or update devices from a JSON file.",
            discussion: """
                The file is a JSON array of devices; - reads standard input. A device is \
                {"id": "WL-330199-0042", "kinds": ["water_level"], "location": {"latitude": 30.2741, \
                "longitude": 120.1551}, "name": "XX路下穿隧道积水监测点", "gateway_id": "GW-7", "vendor": "…", \
                "active": true, "attributes": {"install_depth_cm": "120"}}; id, kinds and location are \
                required. The plugin locates each device to its grid (grid_code and community_code, when \
                given, are checked against it) and answers the devices as registered. The file is checked \
                whole before anything is sent; an error names its line and column.

                Example:
                  gongzhictl intake devices put devices.json
                """
        )

        @Argument(
            help: ArgumentHelp("A JSON file of devices; - for standard input.", valueName: "file"),
            completion: .file(extensions: ["json"])
        )
        var file: String

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let bytes = try DocumentReader.contents(of: file, context: invocation.context)
            let devices = try DeviceFile.devices(from: bytes, name: file == "-" ? "standard input" : file)
            let request = Gongzhi_Intake_V1_PutDevicesRequest.with { $0.devices = devices }
            let response = try await IntakeCalls.call(invocation, timeout: .seconds(60)) { intake, options in
                try await intake.putDevices(request, options: options)
            }
            invocation.print(human: { IntakeOutput.put(response, time: $0) }, message: response)
        }
    }
}

extension IntakeCommand.Readings {
    /// `gongzhictl intake readings latest [--place CODE] [--kind KIND]`.
    struct Latest: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each device's latest reading of each kind.",
            discussion: """
                Example:
                  gongzhictl intake readings latest --place 330106001 --kind water_level
                """
        )

        @OptionGroup var filters: DeviceFilterOptions
        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func run() async throws {
            let invocation = self.invocation
            let request = Gongzhi_Intake_V1_LatestReadingsRequest.with {
                $0.place = filters.place ?? ""
                $0.kind = filters.kind ?? ""
            }
            let response = try await IntakeCalls.call(invocation) { intake, options in
                try await intake.latestReadings(request, options: options)
            }
            invocation.print(human: { IntakeOutput.readings(response.readings, time: $0) }, message: response)
        }
    }

    /// `gongzhictl intake readings show DEVICE [--kind K] [--since T] [--until T] [--limit N]`.
    struct Show: AdminCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one device's readings in a time range.",
            discussion: """
                --since and --until are China Standard Time unless they give their offset (2026-11-20T09:30, \
                or a day, 2026-11-20); --until is not included. Without them, the plugin's default range.

                Example:
                  gongzhictl intake readings show WL-330199-0042 --kind water_level \\
                    --since 2026-11-20 --until 2026-11-21 --limit 500
                """
        )

        @Argument(help: ArgumentHelp("The device's id.", valueName: "device"))
        var device: String

        @Option(help: ArgumentHelp("Only readings of this kind.", valueName: "kind"))
        var kind: String?

        @Option(
            help: ArgumentHelp("From this moment.", valueName: "time"),
            transform: { text in try IntakeTime(parsing: text) }
        )
        var since: IntakeTime?

        @Option(
            help: ArgumentHelp("Up to this moment, not included.", valueName: "time"),
            transform: { text in try IntakeTime(parsing: text) }
        )
        var until: IntakeTime?

        @Option(help: ArgumentHelp("At most this many, 1 to 10000 (default: the plugin's).", valueName: "n"))
        var limit: Int?

        @OptionGroup(title: "Host and output") var options: GlobalOptions

        func validate() throws {
            if device.allSatisfy(\.isWhitespace) {
                throw ValidationError("the device's id is empty; gongzhictl intake devices list shows them")
            }
            if let since, let until, until.milliseconds <= since.milliseconds {
                throw ValidationError("the range ends (--until) before it starts (--since)")
            }
            if let limit, !(1...10_000).contains(limit) {
                throw ValidationError("--limit must be 1 to 10000; leave it out for the plugin's")
            }
        }

        var request: Gongzhi_Intake_V1_ReadingsRequest {
            .with {
                $0.deviceID = device
                $0.kind = kind ?? ""
                $0.sinceMs = since?.milliseconds ?? 0
                $0.untilMs = until?.milliseconds ?? 0
                $0.limit = UInt32(limit ?? 0)
            }
        }

        func run() async throws {
            let invocation = self.invocation
            let request = self.request
            let response = try await IntakeCalls.call(invocation) { intake, options in
                try await intake.readings(request, options: options)
            }
            invocation.print(human: { IntakeOutput.readings(response.readings, time: $0) }, message: response)
        }
    }
}
