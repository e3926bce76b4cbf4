import ArgumentParser
import GongzhiIntakeSchemas
import GongzhiMediationSchemas

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `gongzhi-samples`: writes sample districts' objects as JSON lines for `gongzhictl apply -f`.
struct GongzhiSamples: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gongzhi-samples",
        abstract: "Write a sample community's objects as JSON lines for `gongzhictl apply -f`.",
        discussion: """
            Every name, identity number, phone number and place in the data is synthetic, and the data are the \
            same bytes on every run.
            """,
        subcommands: [
            XCommunityCommand.self, XCommunityPointsCommand.self, XCommunityMediationCommand.self,
            XCommunityIntakeCommand.self, SensorsCommand.self,
        ]
    )
}

struct XCommunityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community",
        abstract: "X社区 of 示例区示例街道: 7,191 households, 21,235 residents, 1,192 volunteers, 24 people.",
        discussion: """
            One JSON object a line: {"kind", "id", "parent", "labels", "data"}, where data is the kind's \
            gongzhi.core.v1 message in proto3 JSON. Parents come before their children, and the staff (kind \
            Person) before their role bindings (kind RoleBinding, to built-in roles).
            """
    )

    @Option(name: .shortAndLong, help: "Where to write the objects ('-', the default, for standard output).")
    var output: String?

    @Flag(
        help: """
            Print the number of objects of each kind and other counts. Without --output, the objects are not \
            written; with --output -, the counts go to standard error.
            """
    )
    var summary = false

    func run() throws {
        let community = XCommunity()
        let documents = community.documents()
        let destination = output ?? "-"
        let writesObjects = !summary || output != nil
        if writesObjects {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(24 << 20)
            for document in documents {
                try document.write(to: &bytes)
            }
            try Output.write(bytes, to: destination)
        }
        if summary {
            let text = community.summary(of: documents)
            if writesObjects && destination == "-" {
                Output.standardError(text)
            } else {
                try Output.write(Array(text.utf8), to: "-")
            }
        }
    }
}

struct XCommunityPointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community-points",
        abstract: "X社区's points exchange: ledgers, rules, a points supermarket, and a month of history.",
        discussion: """
            Writes the files that Deploy/samples/load.sh loads with gongzhictl after the community \
            (x-community): ledgers.commands and load.commands (gongzhictl's arguments, one command a line, \
            separated by tabs, run in order from the folder), accounts.json (a CreateAccounts request), \
            history.json (imported transfers for gongzhictl points transfers --file) and balances.tsv (every \
            account's balance and available points once all is loaded). The history covers the 30 days before \
            the day (in China Standard Time) the volunteer ledger was opened; the same --opened-at gives the \
            same bytes.
            """
    )

    @Option(
        help: ArgumentHelp(
            "When the volunteer ledger was opened, in milliseconds since the epoch (its created_at_ms). "
                + "Default: 2026-12-01 09:00 China Standard Time.",
            valueName: "ms"
        )
    )
    var openedAt: Int64 = 1_796_086_800_000

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to write the files into.", valueName: "folder"))
    var output: String?

    @Flag(help: "Print what the sample holds, in numbers (to standard error when the files are written).")
    var summary = false

    func validate() throws {
        if output == nil && !summary { throw ValidationError("say where to write the files: --output FOLDER") }
        if openedAt <= 0 { throw ValidationError("--opened-at is a time in milliseconds since the epoch") }
    }

    func run() throws {
        let points = XCommunityPoints(community: XCommunity(), openedAtMs: openedAt)
        if let output {
            if mkdir(output, 0o755) != 0 && errno != EEXIST {
                throw Output.Failure(description: "cannot make \(output): \(String(cString: strerror(errno)))")
            }
            for file in try points.files() {
                try Output.write(file.bytes, to: output + "/" + file.name)
            }
        }
        if summary {
            if output != nil {
                Output.standardError(points.summary())
            } else {
                try Output.write(Array(points.summary().utf8), to: "-")
            }
        }
    }
}

struct XCommunityMediationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community-mediation",
        abstract: "X社区's people's mediation committee: its part-time mediators and eight disputes in every state.",
        discussion: """
            Writes the files that Deploy/samples/load.sh loads with gongzhictl after the community (x-community): \
            mediators.jsonl (people bound as mediator, for gongzhictl apply -f), applications.commands and \
            steps.commands (gongzhictl's arguments, one command a line, separated by tabs, run in order from the \
            folder), the parties-NN.json and agreement-NN.json they read, and disputes.tsv (each dispute, its \
            parties and the state it is left in). Give the plugin's answers with --disputes and the commands are \
            those still to run: applications for the disputes the host does not hold (found by their keys, \
            x-mediation-01 …), and the steps their histories do not hold yet, with their ids. The README's dispute \
            (x-mediation-01, 楼上漏水) is applied for and goes no further. The same --at gives the same bytes.
            """
    )

    @Option(
        help: ArgumentHelp(
            "When the sample is loaded, in milliseconds since the epoch: the agreements' deadlines count from its "
                + "day. Default: 2026-12-01 09:00 China Standard Time.",
            valueName: "ms"
        )
    )
    var at: Int64 = 1_796_086_800_000

    @Option(name: .shortAndLong, help: ArgumentHelp("The folder to write the files into.", valueName: "folder"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "A file of the mediation plugin's answers in JSON, one a line (ListDisputes, or a dispute as apply "
                + "prints it with -o json): the disputes the host holds. Repeat for more files.",
            valueName: "file"
        )
    )
    var disputes: [String] = []

    @Flag(help: "Print the mediators and the disputes (to standard error when the files are written).")
    var summary = false

    func validate() throws {
        if output == nil && !summary { throw ValidationError("say where to write the files: --output FOLDER") }
        if at <= 0 { throw ValidationError("--at is a time in milliseconds since the epoch") }
    }

    func run() throws {
        let mediation = XCommunityMediation(community: XCommunity(), atMs: at)
        if let output {
            var known: [Gongzhi_Mediation_V1_Dispute] = []
            for path in disputes {
                known += try XCommunityMediation.known(fromJSONLines: try Input.text(of: path), name: path)
            }
            let files = try mediation.files(known: known)
            if mkdir(output, 0o755) != 0 && errno != EEXIST {
                throw Output.Failure(description: "cannot make \(output): \(String(cString: strerror(errno)))")
            }
            for file in files {
                try Output.write(file.bytes, to: output + "/" + file.name)
            }
        }
        if summary {
            if output != nil {
                Output.standardError(mediation.summary())
            } else {
                try Output.write(Array(mediation.summary().utf8), to: "-")
            }
        }
    }
}

struct XCommunityIntakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x-community-intake",
        abstract: "X社区's data intake: its sources, their mappings, 40 sensor devices and a department's CSV export.",
        discussion: """
            Writes into FOLDER the files the intake plugin and gongzhictl intake read: intake-sources.json (the \
            plugin's INTAKE_SOURCES: the MQTT source sensors-x, the Open311 sources hotline-12345 and wechat-mini, \
            the file source urban-management), the sources' mapping files (*.mapping.json), devices.json (for \
            gongzhictl intake devices put) and urban-management-2026-11.csv (for gongzhictl intake import … \
            --source urban-management: 200 rows with 3 duplicates, 2 malformed rows, an unmapped category, rows \
            without coordinates and a multi-line description). Every file is read back with the intake module's \
            own readers before it is written. The same --broker gives the same bytes.
            """
    )

    @Argument(help: ArgumentHelp("The folder to write the files into (made if missing).", valueName: "folder"))
    var folder: String

    @Option(
        help: ArgumentHelp(
            "The broker of the MQTT source sensors-x: unix:/absolute/path/to/socket or HOST:PORT.",
            valueName: "address"
        )
    )
    var broker = XCommunityIntakePlan.defaultBroker

    @Flag(help: "Print the devices by kind and gateway and what importing the export gives, to standard error.")
    var summary = false

    func validate() throws {
        if broker.hasPrefix("unix:") {
            guard broker.dropFirst(5).hasPrefix("/") else {
                throw ValidationError(
                    "--broker unix:PATH needs an absolute path (the sources file may be read from anywhere)"
                )
            }
        } else {
            guard let colon = broker.lastIndex(of: ":"), colon != broker.startIndex,
                let port = Int(broker[broker.index(after: colon)...]), (1...65_535).contains(port)
            else {
                throw ValidationError("--broker must be unix:/path/to/socket or HOST:PORT, not \"\(broker)\"")
            }
        }
    }

    func run() throws {
        let intake = XCommunityIntake(community: XCommunity())
        let files = try intake.files(broker: broker)
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            throw Output.Failure(description: "cannot make \(folder): \(String(cString: strerror(errno)))")
        }
        for file in files {
            try Output.write(file.bytes, to: folder + "/" + file.name)
        }
        if summary { Output.standardError(intake.summary()) }
    }
}

struct SensorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensors",
        abstract: "Simulate a gateway's sensors: JSON readings, one batch a line, for mosquitto_pub -l.",
        discussion: """
            Prints the readings of the devices of one gateway (of devices.json, as x-community-intake writes it), \
            a JSON array a line, as a gateway publishes them on gz/v1/gateways/GATEWAY/readings: every device's \
            reading of each of its kinds, with the time in milliseconds and the device's sequence number. Values \
            stay under the sensor adapter's warning limits, except that every --critical-every batches one of the \
            gateway's water-level devices rises past the critical limit (30 cm) and falls back. The same --seed \
            and --start give the same lines. Pipe it into one mosquitto_pub a gateway:

              gongzhi-samples sensors --devices devices.json --gateway x-c1 \\
                | mosquitto_pub -l -q 1 -t gz/v1/gateways/x-c1/readings --unix /path/to/mqtt.sock
            """
    )

    @Option(help: ArgumentHelp("The devices (a JSON array of SensorDevice).", valueName: "file"))
    var devices: String

    @Option(
        help: ArgumentHelp("The gateway whose devices to simulate (needed when there are several).", valueName: "id")
    )
    var gateway: String?

    @Option(help: ArgumentHelp("Batches a second, minute or hour: 2/s, 30/min, 600/h.", valueName: "rate"))
    var rate = "2/s"

    @Option(help: ArgumentHelp("Stop after this many batches (default: never).", valueName: "n"))
    var count: Int?

    @Option(
        help: ArgumentHelp(
            "One water-level rise past the critical limit every this many batches; 0 for none.",
            valueName: "n"
        )
    )
    var criticalEvery = 240

    @Option(help: ArgumentHelp("The seed of the values.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(
        help: ArgumentHelp("The first batch's time in milliseconds since the epoch (default: now).", valueName: "ms")
    )
    var start: Int64?

    func validate() throws {
        if SensorSimulator.interval(ofRate: rate) == nil {
            throw ValidationError("--rate must be a count a second, minute or hour, like 2/s, 30/min or 600/h")
        }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        if criticalEvery != 0 && criticalEvery < SensorSimulator.rise.count {
            throw ValidationError(
                "--critical-every must be 0 or at least \(SensorSimulator.rise.count) (a rise takes that many batches)"
            )
        }
        if let start, start <= 0 { throw ValidationError("--start is a time in milliseconds since the epoch") }
    }

    func run() throws {
        let all: [Gongzhi_Intake_V1_SensorDevice]
        do {
            all = try Gongzhi_Intake_V1_SensorDevice.array(fromJSONString: try Input.text(of: devices))
        } catch let failure as Output.Failure {
            throw failure
        } catch {
            throw Output.Failure(description: "\(devices) is not a JSON array of SensorDevice: \(error)")
        }
        let gateways = Array(Set(all.map(\.gatewayID))).sorted()
        let chosen: String
        if let gateway {
            guard gateways.contains(gateway) else {
                throw Output.Failure(
                    description: "no device of \(devices) has the gateway \(gateway); its gateways: "
                        + gateways.joined(separator: ", ")
                )
            }
            chosen = gateway
        } else {
            guard gateways.count == 1 else {
                throw Output.Failure(
                    description: "the devices have \(gateways.count) gateways (\(gateways.joined(separator: ", "))); "
                        + "choose one with --gateway: a gateway publishes on a topic of its own"
                )
            }
            chosen = gateways[0]
        }
        let interval = SensorSimulator.interval(ofRate: rate) ?? 500
        let simulator = SensorSimulator(
            devices: all,
            gatewayID: chosen,
            seed: seed,
            startMs: start ?? Clock.nowMilliseconds(),
            intervalMs: interval,
            criticalEvery: criticalEvery
        )
        let began = Clock.monotonicMilliseconds()
        var batch = 0
        while count.map({ batch < $0 }) ?? true {
            Clock.sleep(untilMonotonicMilliseconds: began + Int64(batch) * interval)
            try Output.write(Array((simulator.line(batch) + "\n").utf8), to: "-")
            batch += 1
        }
    }
}

/// The wall clock, the monotonic clock, and sleeping until a moment of the monotonic one.
enum Clock {
    static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    static func sleep(untilMonotonicMilliseconds moment: Int64) {
        while true {
            let left = moment - monotonicMilliseconds()
            if left <= 0 { return }
            var pause = timespec(tv_sec: Int(left / 1_000), tv_nsec: Int(left % 1_000) * 1_000_000)
            _ = nanosleep(&pause, nil)
        }
    }
}

enum Input {
    /// The text of the file at `path`, read whole.
    static func text(of path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw Output.Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Output.Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum Output {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `bytes` to the file at `path`, replacing it, or to standard output for "-".
    static func write(_ bytes: [UInt8], to path: String) throws {
        let name = path == "-" ? "standard output" : path
        let descriptor = path == "-" ? 1 : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot open \(name): \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != 1 { close(descriptor) } }
        try write(bytes[...], to: descriptor, name: name)
    }

    static func standardError(_ text: String) {
        try? write(Array(text.utf8)[...], to: 2, name: "standard error")
    }

    private static func write(_ bytes: ArraySlice<UInt8>, to descriptor: Int32, name: String) throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(name): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

#if canImport(Darwin)
private let systemWrite = Darwin.write
private let systemRead = Darwin.read
#elseif canImport(Musl)
private let systemWrite = Musl.write
private let systemRead = Musl.read
#else
private let systemWrite = Glibc.write
private let systemRead = Glibc.read
#endif

GongzhiSamples.main()
