import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The name that selects the people benchmark in `--only`.
let peopleBenchmarkName = "people"

/// Residents in the person's community, and as many again in another community for the second stage.
let peopleBenchResidents = 10_000

/// The places of the people benchmark: a district, a street, two communities of five grids each; the person is
/// bound at the first community.
enum PeopleBenchPlaces {
    static let district = "330199"
    static let street = "330199001"
    static let community = "330199001001"
    static let otherCommunity = "330199001002"
    static let gridsPerCommunity = 5

    static func grid(_ community: String, _ number: Int) -> String {
        community + padded(number, width: 3)
    }
}

/// The person, the role bound to them and their token's subject.
enum PeopleBenchPerson {
    static let id = "bench-person"
    static let role = "bench-staff"
    static var binding: String { "\(id).\(role).\(PeopleBenchPlaces.community)" }
}

/// The calls the people benchmark compares, each on one connection with 1 in flight: the administrator on
/// admin.sock (who holds every grant and is held to no place) against the person on host.sock with their token.
enum PeopleCall: String, CaseIterable, Sendable {
    /// Echo/Unary routed to the plugin, as the administrator.
    case echoAdmin = "echo-admin"
    /// The same as the person: their roles allow the method.
    case echoPerson = "echo-person"
    /// Objects/List of the 10,000 Residents stored, as the administrator.
    case listAdmin = "list-admin"
    /// The same as the person: all 10,000 lie within their community, with personal data shown and audited.
    case listPerson = "list-person"
    /// Second stage, 20,000 stored: the administrator's first page of 10,000 (half of them in each community).
    case pageAdminOfAll = "page-admin-of-20000"
    /// Second stage: the person's whole listing, the 10,000 within their place out of 20,000.
    case listPersonOfAll = "list-person-of-20000"

    var label: String {
        switch self {
        case .echoAdmin: "Echo/Unary routed, admin on admin.sock (a)"
        case .echoPerson: "Echo/Unary routed, person's token on host.sock (b)"
        case .listAdmin: "List 10,000 of 10,000 Residents, admin (c)"
        case .listPerson: "List 10,000 of 10,000 Residents, person (d)"
        case .pageAdminOfAll: "List one page of 10,000 of 20,000 Residents, admin (e)"
        case .listPersonOfAll: "List the 10,000 of 20,000 Residents in the person's place, person (f)"
        }
    }

    var isPerson: Bool { self == .echoPerson || self == .listPerson || self == .listPersonOfAll }

    var isList: Bool { self != .echoAdmin && self != .echoPerson }

    /// The second stage's calls, made once the other community's Residents are stored.
    var isSecondStage: Bool { self == .pageAdminOfAll || self == .listPersonOfAll }
}

/// Ratios of p50s taken in each round: person over admin.
enum PeopleRatio: String, CaseIterable, Sendable {
    case echo = "b/a: routed Echo/Unary, person over admin (target ≤ 1.15)"
    case list = "d/c: List of 10,000 of 10,000, person over admin (target ≤ 1.15)"
    case listOfAll = "f/e: the person's 10,000 of 20,000 over the admin's page of 10,000"

    var calls: (PeopleCall, PeopleCall) {
        switch self {
        case .echo: (.echoPerson, .echoAdmin)
        case .list: (.listPerson, .listAdmin)
        case .listOfAll: (.listPersonOfAll, .pageAdminOfAll)
        }
    }

    /// The issue's target for this ratio, if it has one.
    var target: Double? { self == .listOfAll ? nil : 1.15 }
}

/// What the people benchmark measured: every ``PeopleCall`` in every round, the ratios of their p50s round by
/// round, what each run cost the host, how long storing the Residents took, the personal-data records the lists
/// left in the audit log, and the machine's load around each stage.
struct PeopleMeasurement: Sendable {
    var residents: Int
    var calls: Int
    var warmup: Int
    var listCalls: Int
    var listWarmup: Int
    /// Medians over rounds.
    var reports: [PeopleCall: ClientReport] = [:]
    var costs: [PeopleCall: CallCost] = [:]
    var ratiosByRound: [PeopleRatio: [Double]] = [:]
    /// Seconds `gongzhictl apply` took for the Residents of each community.
    var applySeconds: [Double] = []
    /// Listings made (warm-up and the client's first listing included), and the personal-data records the
    /// audit log holds at the end, by principal kind.
    var listings: [PeopleCall: Int] = [:]
    var personRecords: Int?
    var adminRecords: Int?
    /// `/proc/loadavg`'s first three fields before and after each stage's rounds, and the processors online.
    var loads: [(stage: Int, before: String?, after: String?)] = []
    var processors = ProcessInfo.processInfo.activeProcessorCount
    var rounds = 0
    var notes: [String] = []
}

/// Starts `gongzhi-host` with the test plugin (`a`, serving `gongzhi.test.v1.Echo` and `gongzhi.test.v1.Probe`), stores a region tree, grids, a
/// role, a person bound to it at a community and 10,000 Residents there, issues the person a token, and runs
/// `gongzhi-echo bench-client` for every first-stage ``PeopleCall`` in turn, `rounds` times; then stores 10,000
/// Residents in another community and does the same for the second stage.
func measurePeople(
    _ binaries: HostBinaries,
    settings: RunSettings,
    listCalls: Int,
    listWarmup: Int,
    rounds: Int,
    workDir: String,
    logsDir: String
) -> PeopleMeasurement {
    var result = PeopleMeasurement(
        residents: peopleBenchResidents,
        calls: settings.sequentialCalls,
        warmup: settings.warmup,
        listCalls: listCalls,
        listWarmup: listWarmup
    )
    let name = "a"
    let root = "\(workDir)/people"
    let run = "\(root)/run"
    let hostSocket = "\(run)/host.sock"
    let adminSocket = "\(run)/admin.sock"

    let host: Child
    let control = HostControl(
        control: binaries.control,
        adminSocket: adminSocket,
        logsDir: logsDir,
        logPrefix: "people-"
    )
    do {
        let configuration = try writeEchoHostLayout(
            in: root,
            plugin: name,
            executable: binaries.plugin,
            // The test plugin registers both of its services; the calls here are Echo's.
            services: ["gongzhi.test.v1.Echo", "gongzhi.test.v1.Probe"],
            logsDir: logsDir
        )
        host = try Child(
            [binaries.host, "--config", configuration],
            logPath: "\(logsDir)/host-people.log",
            collectOutput: false
        )
    } catch {
        result.notes.append("the host did not start: \(error)")
        return result
    }
    defer { host.stop(grace: 20) }

    // As the administrator: the places, the role, the person and their binding, then the Residents of the
    // person's community; and the person's token.
    let pluginPID: pid_t?
    let personToken: String
    do {
        let listed = try control.waitUntilReady([name], host: host, timeout: settings.readyTimeout)
        pluginPID = listed.first { $0.name == name }?.pid.map { pid_t($0) }
        try apply(control, file: "\(root)/setup.jsonl", lines: peopleSetupDocuments(), log: "setup", settings: settings)
        result.applySeconds.append(
            try apply(
                control,
                file: "\(root)/residents-\(PeopleBenchPlaces.community).jsonl",
                lines: residentDocuments(in: PeopleBenchPlaces.community, count: peopleBenchResidents, idSuffix: ""),
                log: "residents-1",
                settings: settings
            )
        )
        personToken = try issuePersonToken(control)
    } catch {
        result.notes.append("\(error)")
        return result
    }
    progress(
        "  host ready; \(grouped(peopleBenchResidents)) Residents stored in \(PeopleBenchPlaces.community) in "
            + "\(result.applySeconds.first.map { fixed($0, places: 1) } ?? "?") s; person \(PeopleBenchPerson.id) "
            + "bound to \(PeopleBenchPerson.role) there"
    )

    func argv(_ call: PeopleCall, calls: Int, warmup: Int) -> [String] {
        var argv = [binaries.echo, "bench-client", "--socket", call.isPerson ? hostSocket : adminSocket]
        if call.isPerson { argv += ["--token", personToken] }
        if call.isList {
            argv += ["--method", "residents", "--page-size", String(peopleBenchResidents)]
            argv += ["--expect", String(peopleBenchResidents)]
            if call == .pageAdminOfAll { argv += ["--pages", "1"] }
            if call.isPerson { argv += ["--within", PeopleBenchPlaces.community] }
        } else {
            argv += ["--payload", "100"]
        }
        return argv + ["--calls", String(calls), "--concurrency", "1", "--warmup", String(warmup)]
    }

    var reports: [PeopleCall: [ClientReport]] = [:]
    var costs: [PeopleCall: [CallCost]] = [:]
    func client(_ call: PeopleCall, round: Int) -> ClientReport? {
        guard host.isRunning else { return nil }
        let calls = call.isList ? listCalls : settings.sequentialCalls
        let warmup = call.isList ? listWarmup : settings.warmup
        do {
            let (report, cost) = try runCountedClient(
                argv(call, calls: calls, warmup: warmup),
                callsMade: calls + warmup + (call.isList ? 1 : 0),
                hostPID: host.pid,
                pluginPID: pluginPID,
                logPath: "\(logsDir)/client-people-\(call.rawValue)-r\(round).log",
                timeout: settings.clientTimeout
            )
            guard report.calls == calls, report.concurrency == 1,
                report.method == (call.isList ? "gongzhi.host.v1.Objects/List" : nil),
                report.sensitiveShown == (call.isList ? true : nil),
                report.objects == (call.isList ? peopleBenchResidents : nil)
            else {
                throw BenchFailure(
                    "client reported another run than asked for (method \(report.method ?? "echo"), objects "
                        + "\(report.objects.map(String.init) ?? "n/a"), personal data shown: "
                        + "\(report.sensitiveShown.map(String.init) ?? "n/a"))"
                )
            }
            if call.isList { result.listings[call, default: 0] += calls + warmup + 1 }
            if let cost { costs[call, default: []].append(cost) }
            progress(
                "  \(call.rawValue): p50 \(fixed(report.p50Micros, places: 1)) µs, "
                    + "p99 \(fixed(report.p99Micros, places: 1)) µs"
                    + (report.pages.map { ", \($0) page\($0 == 1 ? "" : "s")" } ?? "")
                    + (report.responseBytes.map { ", \(grouped($0)) B" } ?? "")
            )
            return report
        } catch {
            let note = "\(call.rawValue): \(error)"
            if !result.notes.contains(note) { result.notes.append(note) }
            progress("  \(note)")
            return nil
        }
    }

    // Each stage's calls in every round, the order rotating by round, so that the machine's changes of speed fall
    // on all alike and none always follows the same one.
    func stage(_ number: Int) {
        let calls = PeopleCall.allCases.filter { $0.isSecondStage == (number == 2) }
        let before = loadAverages()
        for round in 1...rounds {
            progress("  stage \(number), round \(round) of \(rounds)")
            var p50: [PeopleCall: Double] = [:]
            for index in calls.indices {
                let call = calls[(index + round - 1) % calls.count]
                if let report = client(call, round: round) {
                    reports[call, default: []].append(report)
                    p50[call] = report.p50Micros
                }
            }
            for ratio in PeopleRatio.allCases {
                if let top = p50[ratio.calls.0], let bottom = p50[ratio.calls.1], bottom > 0 {
                    result.ratiosByRound[ratio, default: []].append(top / bottom)
                }
            }
        }
        result.loads.append((number, before, loadAverages()))
    }

    stage(1)
    // The second stage: as many Residents again, in the other community, their ids between the first ones', so
    // that the person's list reads both to find theirs.
    if host.isRunning {
        do {
            result.applySeconds.append(
                try apply(
                    control,
                    file: "\(root)/residents-\(PeopleBenchPlaces.otherCommunity).jsonl",
                    lines: residentDocuments(
                        in: PeopleBenchPlaces.otherCommunity,
                        count: peopleBenchResidents,
                        idSuffix: "-o"
                    ),
                    log: "residents-2",
                    settings: settings
                )
            )
            progress(
                "  \(grouped(peopleBenchResidents)) more Residents stored in \(PeopleBenchPlaces.otherCommunity) in "
                    + "\(fixed(result.applySeconds.last ?? 0, places: 1)) s"
            )
            stage(2)
        } catch {
            result.notes.append("the second stage did not run: \(error)")
        }
    }
    result.rounds = rounds
    for (call, runs) in reports {
        result.reports[call] = ClientReport.median(of: runs)
        if runs.count < rounds {
            result.notes.insert("\(call.rawValue): \(rounds - runs.count) of \(rounds) runs failed", at: 0)
        }
    }
    for (call, runs) in costs {
        result.costs[call] = CallCost.median(of: runs)
    }

    // The audit log's writer gathers records for a few milliseconds before it writes them.
    Thread.sleep(forTimeInterval: 1)
    if host.isRunning {
        if let counts = personalDataRecords(inFile: "\(root)/data/host/audit.log") {
            result.personRecords = counts.person
            result.adminRecords = counts.admin
        }
    } else {
        result.notes.append(host.failureReason("host died"))
    }
    return result
}

/// The personal-data records of the person and of administrators in an audit log; nil when it cannot be read.
private func personalDataRecords(inFile path: String) -> (person: Int, admin: Int)? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    var counts = (person: 0, admin: 0)
    for line in text.split(separator: "\n") where line.contains(#""outcome":"personal-data""#) {
        if line.contains(#""principal":"person:\#(PeopleBenchPerson.id)""#) { counts.person += 1 }
        if line.contains(#""principal":"admin:"#) { counts.admin += 1 }
    }
    return counts
}

/// `value` in decimal, zero-padded to `width` digits.
private func padded(_ value: Int, width: Int) -> String {
    let text = String(value)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}

/// Writes `lines` to `file` and applies it with `gongzhictl apply`; returns the seconds it took.
@discardableResult
private func apply(
    _ control: HostControl,
    file: String,
    lines: [String],
    log: String,
    settings: RunSettings
) throws -> Double {
    try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let started = Date()
    let output = try runToCompletion(
        [control.control, "--socket", control.adminSocket, "apply", "-f", file, "-o", "json"],
        logPath: "\(control.logsDir)/\(control.logPrefix)gongzhictl-apply-\(log).log",
        timeout: settings.clientTimeout
    )
    let seconds = Date().timeIntervalSince(started)
    struct Summary: Decodable { var created: Int }
    let line = jsonDocument(in: output)
    guard let summary = try? JSONDecoder().decode(Summary.self, from: Data(line.utf8)),
        summary.created == lines.count
    else {
        throw BenchFailure("gongzhictl apply -f \(file) did not create all \(lines.count) objects: \(line.prefix(200))")
    }
    return seconds
}

/// The JSON object a command printed (on one line or several): from its first `{` to its last `}`.
private func jsonDocument(in output: String) -> String {
    guard let start = output.firstIndex(of: "{"), let end = output.lastIndex(of: "}"), start < end else { return "" }
    return String(output[start...end])
}

/// Issues the person's token with `gongzhictl call gongzhi.host.v1.Admin/IssueToken` (kind KIND_PERSON).
private func issuePersonToken(_ control: HostControl) throws -> String {
    let request = #"{"kind": "KIND_PERSON", "subject": "\#(PeopleBenchPerson.id)", "description": "people benchmark"}"#
    let text = try control.run(
        ["call", "gongzhi.host.v1.Admin/IssueToken", "-d", request],
        log: "gongzhictl-issue-person-token"
    )
    struct Issued: Decodable { var token: String }
    let line = jsonDocument(in: text)
    guard let issued = try? JSONDecoder().decode(Issued.self, from: Data(line.utf8)), !issued.token.isEmpty else {
        throw BenchFailure("Admin/IssueToken gave no token for person \(PeopleBenchPerson.id): \(line.prefix(200))")
    }
    return issued.token
}

/// One JSON document a line, for `gongzhictl apply`.
private func document(kind: String, id: String, parent: String = "", data: [String: Any]) -> String {
    var object: [String: Any] = ["kind": kind, "id": id, "data": data]
    if !parent.isEmpty { object["parent"] = parent }
    // Dictionaries of strings, numbers, booleans and arrays of them always serialize.
    let bytes = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: bytes, as: UTF8.self)
}

/// One JSON document a line with the message's bytes as `dataBase64`.
private func document(kind: String, id: String, bytes: [UInt8]) -> String {
    let object: [String: Any] = ["kind": kind, "id": id, "dataBase64": Data(bytes).base64EncodedString()]
    let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: json, as: UTF8.self)
}

/// Protobuf's wire format for messages of strings, booleans and messages: Role (`rules` 4: RoleRule, with
/// `methods` 1, `kinds` 2, `verbs` 3; `personal_data` 5), Person and RoleBinding, by field number.
private struct ProtobufWriter {
    var bytes: [UInt8] = []

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func lengthDelimited(_ field: Int, _ content: [UInt8]) {
        varint(UInt64(field << 3 | 2))
        varint(UInt64(content.count))
        bytes += content
    }

    mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ value: ProtobufWriter) { lengthDelimited(field, value.bytes) }

    mutating func bool(_ field: Int, _ value: Bool) {
        varint(UInt64(field << 3))
        varint(value ? 1 : 0)
    }
}

/// The district, the street, both communities and their grids, the role, the person and their binding.
private func peopleSetupDocuments() -> [String] {
    typealias Places = PeopleBenchPlaces
    var lines = [
        document(
            kind: "Region",
            id: Places.district,
            data: ["code": Places.district, "name": "共治区", "level": "LEVEL_DISTRICT"]
        ),
        document(
            kind: "Region",
            id: Places.street,
            data: [
                "code": Places.street, "name": "幸福街道", "level": "LEVEL_STREET", "parent_code": Places.district,
            ]
        ),
    ]
    for (community, title) in [(Places.community, "幸福里社区"), (Places.otherCommunity, "和睦里社区")] {
        lines.append(
            document(
                kind: "Region",
                id: community,
                data: ["code": community, "name": title, "level": "LEVEL_COMMUNITY", "parent_code": Places.street]
            )
        )
        for number in 1...Places.gridsPerCommunity {
            let grid = Places.grid(community, number)
            lines.append(
                document(
                    kind: "Grid",
                    id: grid,
                    parent: community,
                    data: ["code": grid, "name": "\(title)第\(number)网格", "community_code": community]
                )
            )
        }
    }
    // gongzhictl has no JSON schema for the people kinds: their data goes as the message's bytes.
    var role = ProtobufWriter()
    role.string(1, PeopleBenchPerson.role)
    role.string(2, "基准测试员")
    var rule = ProtobufWriter()
    rule.string(1, "gongzhi.test.v1.Echo/*")
    rule.string(2, "Resident")
    rule.string(3, "get")
    rule.string(3, "list")
    role.message(4, rule)
    role.bool(5, true)
    var person = ProtobufWriter()
    person.string(1, PeopleBenchPerson.id)
    person.string(2, "胡伟")
    person.string(9, "社区工作者")
    var binding = ProtobufWriter()
    binding.string(1, PeopleBenchPerson.binding)
    binding.string(2, PeopleBenchPerson.id)
    binding.string(3, PeopleBenchPerson.role)
    binding.string(4, PeopleBenchPlaces.community)
    lines.append(document(kind: "Role", id: PeopleBenchPerson.role, bytes: role.bytes))
    lines.append(document(kind: "Person", id: PeopleBenchPerson.id, bytes: person.bytes))
    lines.append(document(kind: "RoleBinding", id: PeopleBenchPerson.binding, bytes: binding.bytes))
    return lines
}

/// `count` Residents of `community`, spread over its grids, ids `r-00000` on (with `idSuffix`), each with a name,
/// an 18-character ID number, a mobile number, a birth date, a household and a visit note (about 200 bytes).
private func residentDocuments(in community: String, count: Int, idSuffix: String) -> [String] {
    let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭")
    let givenNames = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "建华", "志强"]
    let notes = [
        "独居老人，子女在外地工作，每周电话问候一次。",
        "腿脚不便，需要协助购买生活用品，志愿者每周上门。",
        "退役军人，热心社区事务，愿意参与邻里调解。",
        "新迁入住户，租住，联系方式已核实。",
    ]
    var state: UInt64 = community.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }
    func next() -> Int {
        // SplitMix64: the same data on every run.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
    }
    return (0..<count).map { number in
        let id = "r-" + padded(number, width: 5) + idSuffix
        let year = 1935 + next() % 85
        let month = 1 + next() % 12
        let day = 1 + next() % 28
        let female = next() % 2 == 0
        let birth = padded(year, width: 4) + padded(month, width: 2) + padded(day, width: 2)
        let grid = PeopleBenchPlaces.grid(community, 1 + number % PeopleBenchPlaces.gridsPerCommunity)
        return document(
            kind: "Resident",
            id: id,
            data: [
                "id": id,
                "name": String(surnames[next() % surnames.count]) + givenNames[next() % givenNames.count],
                "id_card_number": PeopleBenchPlaces.district + birth + padded(next() % 1000, width: 3) + "X",
                "phone": "13" + padded(next() % 1_000_000_000, width: 9),
                "gender": female ? "GENDER_FEMALE" : "GENDER_MALE",
                "birth_date": "\(padded(year, width: 4))-\(padded(month, width: 2))-\(padded(day, width: 2))",
                "household_id": "hh-\(grid)-\(padded(number / 3 % 1000, width: 3))",
                "registered_here": next() % 4 != 0,
                "notes": notes[next() % notes.count],
                "grid_code": grid,
            ]
        )
    }
}

/// Renders the people benchmark: each call's latency and cost, the person/admin ratios round by round against
/// the target, the audit records, and the machine's load.
func renderPeopleTables(_ result: PeopleMeasurement) -> String {
    var lines = [
        "| Call | p50 µs | p99 µs | calls/s | Pages | Answer B | Host CPU µs/call | Host context switches/call |",
        "|:--|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for call in PeopleCall.allCases {
        let report = result.reports[call]
        let cost = result.costs[call]
        let p50: String = report.map { fixed($0.p50Micros, places: 1) } ?? "n/a"
        let p99: String = report.map { fixed($0.p99Micros, places: 1) } ?? "n/a"
        let rate: String =
            report.map { call.isList ? fixed($0.callsPerSecond, places: 1) : grouped(Int($0.callsPerSecond.rounded())) }
            ?? "n/a"
        let pages: String = call.isList ? report?.pages.map { String($0) } ?? "n/a" : "—"
        let answer: String = call.isList ? report?.responseBytes.map { grouped($0) } ?? "n/a" : "≈ 100"
        let cpu: String = cost.map { fixed($0.hostCPUMicros, places: 1) } ?? "n/a"
        let switches: String = cost.map { fixed($0.hostSwitches, places: 2) } ?? "n/a"
        let cells: [String] = [call.label, p50, p99, rate, pages, answer, cpu, switches]
        lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    lines.append("| p50 ratio | Median of the rounds | Each round | Target |")
    lines.append("|:--|--:|:--|:--|")
    for ratio in PeopleRatio.allCases {
        let values = result.ratiosByRound[ratio] ?? []
        let middle = median(values)
        let verdict: String
        if let target = ratio.target, let middle {
            verdict = middle <= target ? "met" : "missed"
        } else {
            verdict = ratio.target == nil ? "—" : "n/a"
        }
        let cells = [
            ratio.rawValue,
            middle.map { fixed($0, places: 2) } ?? "n/a",
            values.isEmpty ? "n/a" : values.map { fixed($0, places: 2) }.joined(separator: ", "),
            verdict,
        ]
        lines.append("| " + cells.map(escapeCell).joined(separator: " | ") + " |")
    }

    lines.append("")
    let personListings = PeopleCall.allCases.filter { $0.isList && $0.isPerson }.map { result.listings[$0] ?? 0 }
    let adminListings = PeopleCall.allCases.filter { $0.isList && !$0.isPerson }.map { result.listings[$0] ?? 0 }
    lines.append(
        "- Audit: \(result.personRecords.map(grouped) ?? "n/a") personal-data records for the person's "
            + "\(grouped(personListings.reduce(0, +))) listings, \(result.adminRecords.map(grouped) ?? "n/a") for "
            + "the admin's \(grouped(adminListings.reduce(0, +))) (one per page that shows personal data)"
    )
    lines.append(
        "- \(grouped(result.residents)) Residents in the person's community (and as many in another for e, f), "
            + "stored with `gongzhictl apply` in "
            + (result.applySeconds.isEmpty
                ? "n/a" : result.applySeconds.map { "\(fixed($0, places: 1)) s" }.joined(separator: " and "))
    )
    lines.append(
        "- Echo: \(grouped(result.calls)) measured calls after \(grouped(result.warmup)) warm-up calls per run; "
            + "lists: \(grouped(result.listCalls)) measured listings after \(grouped(result.listWarmup)) warm-up "
            + "listings and one checked first; 1 in flight, one connection; \(result.rounds) "
            + "round\(result.rounds == 1 ? "" : "s"), the order rotating by round"
    )
    let loads = result.loads.map { "stage \($0.stage) \($0.before ?? "n/a") before, \($0.after ?? "n/a") after" }
    lines.append(
        "- Machine: \(result.processors) processors; load average "
            + (loads.isEmpty ? "n/a" : loads.joined(separator: "; "))
    )
    if !result.notes.isEmpty {
        lines.append("- Notes: " + result.notes.joined(separator: "; "))
    }
    return lines.joined(separator: "\n") + "\n"
}

extension GongzhiBench {
    /// Builds (or finds) the host's binaries, runs the people benchmark and renders its tables.
    func runPeopleBenchmark(workspace: Workspace, settings: RunSettings, workDir: String) -> String {
        let listCalls = self.peopleListCalls ?? (self.quick ? 5 : 50)
        let listWarmup = self.quick ? 1 : 3
        progress("Preparing the people benchmark (gongzhi-host, gongzhictl, gongzhi-test-plugin, gongzhi-echo)…")
        var result: PeopleMeasurement
        do {
            let explicit = self.gongzhiBinDir ?? ProcessInfo.processInfo.environment["GONGZHI_BIN_DIR"]
            let binaries = try workspace.prepareHost(
                explicitDirectory: explicit.flatMap { $0.isEmpty ? nil : absolutePath($0) }
            )
            progress("Measuring a person's routed calls and lists against an administrator's…")
            result = measurePeople(
                binaries,
                settings: settings,
                listCalls: listCalls,
                listWarmup: listWarmup,
                rounds: self.repeats,
                workDir: workDir,
                logsDir: workspace.logsDir
            )
        } catch {
            progress("  skipped: \(error)")
            result = PeopleMeasurement(
                residents: peopleBenchResidents,
                calls: settings.sequentialCalls,
                warmup: settings.warmup,
                listCalls: listCalls,
                listWarmup: listWarmup
            )
            result.notes.append("\(error)")
        }
        return renderPeopleTables(result)
    }
}
