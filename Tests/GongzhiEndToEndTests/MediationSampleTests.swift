import Foundation
import GongzhiMediationSchemas
import GongzhiPluginTesting
import GongzhiRPC
import GongzhiSchemas
import GongzhiTestSupport
import XCTest

/// X社区's people's mediation committee as the real `gongzhi-samples x-community-mediation` writes it: the same
/// bytes for the same moment, parties who are residents and organisations of X社区, mediators who are not parties,
/// the README's leak applied for and taken no further, and the steps still to take worked out from what the host
/// holds; and as `Deploy/samples/load.sh` loads it into a real host running the real mediation plugin.
final class MediationSampleTests: XCTestCase {
    /// 2026-12-01 09:00 in China: the moment the sample is loaded at unless told otherwise.
    static let defaultMoment: Int64 = 1_796_086_800_000
    static let dayMs: Int64 = 86_400_000
    static let keys = (1...8).map { "x-mediation-0\($0)" }

    /// The files the generator writes, by name: for a load at `at` (nil: its default), with the plugin's answers
    /// in `disputes` (each a file's text), and the generator's status and standard error.
    static func generate(
        at: Int64? = nil,
        disputes: [String] = []
    ) throws -> (files: [String: Data], status: Int32, errors: String) {
        let directory = try TemporaryDirectory(prefix: "gzmediationsample")
        defer { directory.remove() }
        var arguments = ["x-community-mediation", "--output", directory.file("out")]
        if let at { arguments += ["--at", String(at)] }
        for (number, text) in disputes.enumerated() {
            let path = directory.file("held-\(number).jsonl")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            arguments += ["--disputes", path]
        }
        let outcome = try CompletedProcess.run(try BuiltExecutables.path("gongzhi-samples"), arguments)
        var files: [String: Data] = [:]
        if let names = try? FileManager.default.contentsOfDirectory(atPath: directory.file("out")) {
            for name in names {
                files[name] = try Data(contentsOf: URL(fileURLWithPath: directory.file("out/\(name)")))
            }
        }
        return (files, outcome.status, outcome.errors)
    }

    static func generated(at: Int64? = nil, disputes: [String] = []) throws -> [String: Data] {
        let outcome = try generate(at: at, disputes: disputes)
        guard outcome.status == 0 else {
            throw TestSupportError("gongzhi-samples exited with \(outcome.status): \(outcome.errors)")
        }
        return outcome.files
    }

    /// The commands of a `.commands` file: one a line, arguments separated by tabs.
    static func commands(_ files: [String: Data], _ name: String) throws -> [[String]] {
        let text = String(decoding: try XCTUnwrap(files[name], name), as: UTF8.self)
        return text.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// The value after `option` in a command.
    static func option(_ option: String, of command: [String]) -> String? {
        guard let index = command.firstIndex(of: option), index + 1 < command.count else { return nil }
        return command[index + 1]
    }

    static func json(_ files: [String: Data], _ name: String) throws -> [String: Any] {
        let data = try XCTUnwrap(files[name], name)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any], name)
    }

    /// The parties of dispute `number` (1…8), as its parties file gives them.
    static func parties(_ files: [String: Data], _ number: Int) throws -> [[String: Any]] {
        try XCTUnwrap(try json(files, "parties-0\(number).json")["parties"] as? [[String: Any]])
    }

    /// A ListDisputes answer in JSON holding, for each key given, a dispute with that key, the place its
    /// application names, and a history of these actions.
    static func held(_ histories: [(key: String, place: String, actions: [String])]) throws -> String {
        let disputes = histories.enumerated().map { number, dispute -> [String: Any] in
            [
                "id": "MD-00000000000\(number + 1)",
                "idempotency_key": dispute.key,
                "place_code": dispute.place,
                "state": "DISPUTE_STATE_APPLIED",
                "history": dispute.actions.map { ["action": $0] },
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: ["disputes": disputes], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// The history action of each step verb the sample uses.
    static let actions = [
        "apply": "ACTION_APPLY", "accept": "ACTION_ACCEPT", "assign": "ACTION_ASSIGN_MEDIATORS",
        "session": "ACTION_RECORD_SESSION", "draft": "ACTION_DRAFT_AGREEMENT", "sign": "ACTION_SIGN",
        "seal": "ACTION_SEAL", "inform": "ACTION_INFORM_CONFIRMATION", "performance": "ACTION_RECORD_PERFORMANCE",
        "follow-up": "ACTION_RECORD_FOLLOW_UP", "fail": "ACTION_FAIL", "refuse": "ACTION_REFUSE",
    ]

    // MARK: - The same bytes

    func testTheSameMomentGivesTheSameBytesAndAnotherOnlyOtherDeadlines() throws {
        let first = try Self.generated()
        let again = try Self.generated(at: Self.defaultMoment)
        let names = Set(first.keys)
        XCTAssertEqual(
            names,
            Set(
                ["mediators.jsonl", "disputes.tsv", "applications.commands", "steps.commands"]
                    + (1...8).map { "parties-0\($0).json" } + [
                        "agreement-02.json", "agreement-05.json", "agreement-06.json",
                    ]
            )
        )
        for name in names {
            XCTAssertTrue(first[name] == again[name], "\(name) differs between two runs")
        }

        // Loaded 15 days and an hour later: the same parties, mediators and applications; the deadlines 15 days on.
        let later = try Self.generated(at: Self.defaultMoment + 15 * Self.dayMs + 3_600_000)
        for name in names where !name.hasPrefix("agreement-") {
            XCTAssertTrue(first[name] == later[name], "\(name) depends on the moment")
        }
        for name in names where name.hasPrefix("agreement-") {
            let (early, late) = (try Self.json(first, name), try Self.json(later, name))
            let deadlines = { (agreement: [String: Any]) -> [Int64] in
                ((agreement["obligations"] as? [[String: Any]]) ?? []).compactMap {
                    ($0["deadline_ms"] as? String).flatMap { Int64($0) }
                }
            }
            XCTAssertFalse(deadlines(early).isEmpty, "\(name) has no obligation with a deadline")
            XCTAssertEqual(
                zip(deadlines(early), deadlines(late)).map { $1 - $0 },
                deadlines(early).map { _ in 15 * Self.dayMs }
            )
            XCTAssertEqual(early["terms"] as? String, late["terms"] as? String)
        }
        // Every deadline is the end of a day in China, after the load; the property company's first is due within
        // three days of it, so that it is a follow-up due.
        let property = try XCTUnwrap(try Self.json(first, "agreement-02.json")["obligations"] as? [[String: Any]])
        for obligation in property {
            let deadline = try XCTUnwrap((obligation["deadline_ms"] as? String).flatMap { Int64($0) })
            XCTAssertEqual((deadline + 8 * 3_600_000) % Self.dayMs, 0, "a deadline at the end of a day in China")
            XCTAssertGreaterThan(deadline, Self.defaultMoment)
        }
        let firstDeadline = try XCTUnwrap((property.first?["deadline_ms"] as? String).flatMap { Int64($0) })
        XCTAssertLessThanOrEqual(firstDeadline - Self.defaultMoment, 72 * 3_600_000)
    }

    // MARK: - Parties and mediators

    func testEveryPartyIsAResidentOrAnOrganisationOfXCommunityAndNoMediatorIsAParty() throws {
        let files = try Self.generated()
        let sample = try SampleDataTests.generated.get()
        let residents = Dictionary(uniqueKeysWithValues: sample.residents.map { ($0.id, $0) })
        let households = Dictionary(uniqueKeysWithValues: sample.households.map { ($0.id, $0) })
        let organizations = Dictionary(uniqueKeysWithValues: sample.organizations.map { ($0.id, $0) })
        let places = Set(sample.grids.map(\.code) + ["330199001001"])
        let applications = try Self.commands(files, "applications.commands")
        XCTAssertEqual(applications.compactMap { Self.option("--key", of: $0) }, Self.keys)

        var partyResidents: [String] = []
        var partyHouseholds: Set<String> = []
        for (index, application) in applications.enumerated() {
            XCTAssertEqual(Array(application.prefix(2)), ["mediation", "apply"])
            let place = try XCTUnwrap(Self.option("--place", of: application))
            XCTAssertTrue(places.contains(place), "\(Self.keys[index]) lies in \(place), not in X社区")
            XCTAssertEqual(Self.option("--parties-file", of: application), "parties-0\(index + 1).json")
            let parties = try Self.parties(files, index + 1)
            XCTAssertEqual(parties.map { $0["id"] as? String }, ["p1", "p2"])
            XCTAssertEqual(
                parties.map { $0["role"] as? String },
                ["PARTY_ROLE_APPLICANT", "PARTY_ROLE_RESPONDENT"]
            )
            for party in parties {
                if party["kind"] as? String == "PARTY_KIND_RESIDENT" {
                    let id = try XCTUnwrap(party["resident_id"] as? String)
                    let resident = try XCTUnwrap(residents[id], "\(id) is not a resident of X社区")
                    XCTAssertEqual(party["name"] as? String, resident.name)
                    XCTAssertEqual(party["phone"] as? String, resident.phone)
                    XCTAssertEqual(party["id_number"] as? String, resident.idCardNumber)
                    XCTAssertEqual(party["address"] as? String, households[resident.householdID]?.address)
                    XCTAssertGreaterThanOrEqual(try XCTUnwrap(SampleDataTests.age(resident.birthDate)), 18, id)
                    partyResidents.append(id)
                    partyHouseholds.insert(resident.householdID)
                } else {
                    XCTAssertEqual(party["kind"] as? String, "PARTY_KIND_ORGANIZATION")
                    let id = try XCTUnwrap(party["organization_id"] as? String)
                    let organization = try XCTUnwrap(organizations[id], "\(id) is not an organisation of X社区")
                    XCTAssertEqual(party["name"] as? String, organization.name)
                    XCTAssertEqual(party["representative"] as? String, organization.contactName)
                }
            }
        }
        XCTAssertEqual(Set(partyResidents).count, partyResidents.count, "no resident is a party twice")
        // One dispute between organisations: 翠竹苑's owners' committee and its property company.
        let property = try Self.parties(files, 2)
        XCTAssertEqual(
            property.map { $0["organization_id"] as? String },
            ["O-c2-owners-committee", "O-c2-property"]
        )

        // The part-time mediators: people bound as mediator within X社区, none of them a party or of a party's
        // household, and the resident among them living with the leak's respondent, so that the committee's check
        // refuses her for that dispute.
        let documents = String(decoding: try XCTUnwrap(files["mediators.jsonl"]), as: UTF8.self)
            .split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let persons = documents.compactMap { $0 }.filter { $0["kind"] as? String == "Person" }
        let bindings = documents.compactMap { $0 }.filter { $0["kind"] as? String == "RoleBinding" }
        XCTAssertEqual(persons.count, 3)
        XCTAssertEqual(bindings.count, 3)
        for binding in bindings {
            let data = try XCTUnwrap(binding["data"] as? [String: Any])
            XCTAssertEqual(data["role"] as? String, "mediator")
            XCTAssertEqual(data["placeCode"] as? String, "330199001001")
        }
        let staffIDs = Set(sample.persons.map(\.id))
        var residentMediators: [Gongzhi_Core_V1_Resident] = []
        for person in persons {
            let data = try XCTUnwrap(person["data"] as? [String: Any])
            let id = try XCTUnwrap(data["id"] as? String)
            XCTAssertFalse(staffIDs.contains(id), "\(id) is one of x-community's staff already")
            XCTAssertTrue(bindings.contains { ($0["data"] as? [String: Any])?["personId"] as? String == id }, id)
            if let residentID = data["residentId"] as? String {
                let resident = try XCTUnwrap(residents[residentID])
                XCTAssertEqual(data["name"] as? String, resident.name)
                XCTAssertFalse(partyResidents.contains(residentID), "\(id) is a party")
                residentMediators.append(resident)
            }
        }
        XCTAssertEqual(residentMediators.count, 1)
        let elder = try XCTUnwrap(residentMediators.first)
        let leak = try Self.parties(files, 1)
        let respondent = try XCTUnwrap(residents[try XCTUnwrap(leak[1]["resident_id"] as? String)])
        XCTAssertEqual(elder.householdID, respondent.householdID, "the old party member lives with the respondent")
        XCTAssertTrue(elder.tags.contains(.partyMember))
        // She mediates the stairs of her own building in the sample: for parties of other households.
        let stairs = try Self.parties(files, 6).compactMap { $0["resident_id"] as? String }
        XCTAssertFalse(stairs.contains { residents[$0]?.householdID == elder.householdID })
    }

    // MARK: - The README's dispute

    func testTheWalksLeakIsAppliedForInGridOneAndTakenNoFurther() throws {
        let files = try Self.generated()
        let sample = try SampleDataTests.generated.get()
        let residents = Dictionary(uniqueKeysWithValues: sample.residents.map { ($0.id, $0) })
        let households = Dictionary(uniqueKeysWithValues: sample.households.map { ($0.id, $0) })

        let leak = try XCTUnwrap(try Self.commands(files, "applications.commands").first)
        XCTAssertEqual(Self.option("--key", of: leak), "x-mediation-01")
        XCTAssertEqual(Self.option("--title", of: leak), "楼上漏水")
        XCTAssertEqual(Self.option("--type", of: leak), "neighbour")
        XCTAssertEqual(Self.option("--place", of: leak), "330199001001001", "in grid 1, 胡伟's")
        // Two households of one building, one directly above the other.
        let (below, above) = try { () throws -> (Gongzhi_Core_V1_Household, Gongzhi_Core_V1_Household) in
            let parties = try Self.parties(files, 1)
            let ids = try parties.map { try XCTUnwrap($0["resident_id"] as? String) }
            let homes = try ids.map { try XCTUnwrap(households[try XCTUnwrap(residents[$0]).householdID]) }
            return (homes[0], homes[1])
        }()
        XCTAssertEqual(below.buildingID, above.buildingID)
        XCTAssertEqual(Self.option("--building", of: leak), below.buildingID)
        XCTAssertEqual(below.unit, above.unit)
        let (low, high) = (try XCTUnwrap(Int(below.room)), try XCTUnwrap(Int(above.room)))
        XCTAssertEqual(high - low, 100, "\(above.room) is directly above \(below.room)")

        // Nothing loaded yet: every dispute is applied for, no step is taken.
        XCTAssertTrue(try Self.commands(files, "steps.commands").isEmpty)
        let table = String(decoding: try XCTUnwrap(files["disputes.tsv"]), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(table.count, 9)
        let states = table.dropFirst().map { $0.split(separator: "\t")[4] }
        XCTAssertEqual(
            states,
            ["applied", "agreed", "mediating", "accepted", "agreement-drafted", "performed", "failed", "refused"]
        )

        // Every dispute applied for: the leak has no step to take, each other one all of its steps.
        let places = try Self.commands(files, "applications.commands").map {
            try XCTUnwrap(Self.option("--place", of: $0))
        }
        let applied = try Self.held(zip(Self.keys, places).map { ($0, $1, ["ACTION_APPLY"]) })
        let resumed = try Self.generated(disputes: [applied])
        XCTAssertTrue(try Self.commands(resumed, "applications.commands").isEmpty)
        let steps = try Self.commands(resumed, "steps.commands")
        let ids = Set(steps.map { $0[2] })
        XCTAssertFalse(ids.contains("MD-000000000001"), "the README's leak goes no further than its application")
        XCTAssertEqual(ids, Set((2...8).map { "MD-00000000000\($0)" }))
        XCTAssertTrue(steps.allSatisfy { $0[0] == "mediation" && Self.option("--as", of: $0) != nil })
        XCTAssertFalse(steps.contains { $0.contains("{dispute}") })
        for id in ids {
            XCTAssertEqual(steps.first { $0[2] == id }?[1], "accept", "\(id) starts with its acceptance")
        }
    }

    // MARK: - Loading again

    /// A host that holds the disputes with every step taken gets nothing more to run; one whose history is not the
    /// sample's is refused, naming the dispute, rather than stepped past it.
    func testStepsInAHistoryAreNotTakenAgainAndAHistoryNotTheSamplesIsRefused() throws {
        let files = try Self.generated()
        let places = try Self.commands(files, "applications.commands").map {
            try XCTUnwrap(Self.option("--place", of: $0))
        }
        let applied = try Self.generated(
            disputes: [try Self.held(zip(Self.keys, places).map { ($0, $1, ["ACTION_APPLY"]) })]
        )
        let steps = try Self.commands(applied, "steps.commands")
        var histories: [(key: String, place: String, actions: [String])] = zip(Self.keys, places).map {
            ($0, $1, ["ACTION_APPLY"])
        }
        for step in steps {
            let number = try XCTUnwrap(Int(step[2].suffix(1)))
            histories[number - 1].actions.append(try XCTUnwrap(Self.actions[step[1]], step[1]))
        }

        // Everything taken (and the README's leak walked further): nothing to run, in either file. An empty
        // answer ({}) on a line of its own is read as no disputes.
        histories[0].actions += ["ACTION_ACCEPT", "ACTION_ASSIGN_MEDIATORS"]
        let done = try Self.generated(disputes: ["{}\n", try Self.held(histories)])
        XCTAssertTrue(try Self.commands(done, "applications.commands").isEmpty)
        XCTAssertTrue(try Self.commands(done, "steps.commands").isEmpty)

        // Halfway: the property dispute signed by one party only; its remaining steps follow from the next one.
        var halfway = histories
        let signed = try XCTUnwrap(halfway[1].actions.firstIndex(of: "ACTION_SIGN"))
        halfway[1].actions = Array(halfway[1].actions.prefix(signed + 1))
        let rest = try Self.commands(try Self.generated(disputes: [try Self.held(halfway)]), "steps.commands")
        XCTAssertEqual(rest.map { $0[2] }, rest.map { _ in "MD-000000000002" })
        XCTAssertEqual(rest.map { $0[1] }, ["sign", "sign", "seal", "inform"])
        XCTAssertEqual(Self.option("--party", of: rest[0]), "p2")

        // A dispute of the sample whose second step was not the sample's: refused, naming it.
        var changed = histories
        changed[2].actions[1] = "ACTION_DECLINE"
        let refused = try Self.generate(disputes: [try Self.held(changed)])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.errors.contains("MD-000000000003 (x-mediation-03"), refused.errors)
        XCTAssertTrue(refused.errors.contains("changed outside the sample"), refused.errors)

        // A dispute with the sample's key in another place is not the sample's: it is applied for anew.
        var elsewhere = histories
        elsewhere[3].place = "330199002001"
        let moved = try Self.generated(disputes: [try Self.held(elsewhere)])
        XCTAssertEqual(
            try Self.commands(moved, "applications.commands").compactMap { Self.option("--key", of: $0) },
            ["x-mediation-04"]
        )

        // What is not the plugin's JSON is refused with the file and the line.
        let garbage = try Self.generate(disputes: ["{\"disputes\": [\n"])
        XCTAssertNotEqual(garbage.status, 0)
        XCTAssertTrue(garbage.errors.contains("line 1"), garbage.errors)
    }

    // MARK: - Loaded into a host

    static func mediationPlugin() throws -> TestPlugin {
        TestPlugin(
            name: "mediation",
            executable: try BuiltExecutables.path("gongzhi-mediation"),
            services: ["gongzhi.mediation.v1.Mediation"],
            requestedGrants: [
                "gongzhi.host.v1.Objects/Get", "gongzhi.host.v1.Objects/List", "gongzhi.host.v1.Objects/Watch",
                "gongzhi.host.v1.Objects/Create", "gongzhi.host.v1.Objects/Update",
                "gongzhi.host.v1.Objects/RegisterKind", "gongzhi.host.v1.PersonalData/Read",
            ],
            environment: ["MEDIATION_COMMITTEE_NAME": "X社区人民调解委员会"]
        )
    }

    func load(_ host: HostUnderTest) throws -> CompletedProcess {
        try CompletedProcess.run(
            "/bin/bash",
            [ObjectCommandsEndToEndTests.repositoryRoot + "/Deploy/samples/load.sh", "--socket", host.adminSocket],
            environment: [
                "GONGZHI_SAMPLES_BIN": try BuiltExecutables.path("gongzhi-samples"),
                "GONGZHICTL_BIN": try BuiltExecutables.path("gongzhictl"),
                "PATH": "/usr/bin:/bin",
            ]
        )
    }

    /// Every dispute the plugin holds, by its application's key.
    func disputes(
        _ mediation: Gongzhi_Mediation_V1_MediationClient
    ) async throws -> [String: Gongzhi_Mediation_V1_Dispute] {
        let listed = try await mediation.listDisputes(.with { $0.pageSize = 500 })
        XCTAssertTrue(listed.nextPageToken.isEmpty)
        return Dictionary(uniqueKeysWithValues: listed.disputes.map { ($0.idempotencyKey, $0) })
    }

    func testTheSampleLoadsIntoAHostWithTheMediationPluginAndAgainChangesNothing() async throws {
        let host = try await HostUnderTest(plugins: [try Self.mediationPlugin()])
        addTeardownBlock { await host.stop() }
        try await host.waitUntil("mediation")
        let mediation = Gongzhi_Mediation_V1_MediationClient(channel: host.admin)

        let first = try load(host)
        XCTAssertEqual(first.status, 0, first.errors)
        XCTAssertTrue(first.outputText.contains("created 28,731"), first.outputText)
        XCTAssertTrue(first.errors.contains("the points plugin is not deployed"), first.errors)
        XCTAssertTrue(first.errors.contains("loading the mediation committee: 8 applications"), first.errors)
        XCTAssertTrue(first.errors.contains("the mediation committee is loaded"), first.errors)

        // Every dispute in the state the sample leaves it in, its steps taken by the committee's people.
        let loaded = try await disputes(mediation)
        XCTAssertEqual(loaded.keys.sorted(), Self.keys)
        let expected: [Gongzhi_Mediation_V1_DisputeState] = [
            .applied, .agreed, .mediating, .accepted, .agreementDrafted, .performed, .failed, .refused,
        ]
        XCTAssertEqual(Self.keys.map { loaded[$0]?.state }, expected)
        let (leak, property, renovation, family) = (
            try XCTUnwrap(loaded["x-mediation-01"]), try XCTUnwrap(loaded["x-mediation-02"]),
            try XCTUnwrap(loaded["x-mediation-03"]), try XCTUnwrap(loaded["x-mediation-04"])
        )
        let (sunroom, stairs, carpenter, dog) = (
            try XCTUnwrap(loaded["x-mediation-05"]), try XCTUnwrap(loaded["x-mediation-06"]),
            try XCTUnwrap(loaded["x-mediation-07"]), try XCTUnwrap(loaded["x-mediation-08"])
        )
        // The README's leak: applied for, and nothing more; the plugin found both parties' households.
        XCTAssertEqual(leak.history.map(\.action), [.apply])
        XCTAssertEqual(leak.title, "楼上漏水")
        XCTAssertEqual(leak.placeCode, "330199001001001")
        XCTAssertEqual(leak.parties.map(\.householdID), ["H-c1-003-1-0502", "H-c1-003-1-0602"])
        XCTAssertEqual(leak.history.first?.actorID, "shi-guoping")

        XCTAssertEqual(family.consents.map(\.consents), [true, true])
        XCTAssertEqual(renovation.mediators.map(\.personID), ["shi-guoping", "shao-zhenhua"])
        XCTAssertEqual(renovation.sessions.count, 1)
        XCTAssertEqual(sunroom.agreement.signatures.map(\.signerID), ["p1"])
        XCTAssertEqual(property.agreement.number, "（\(Self.year())）X社区调字第1号")
        XCTAssertGreaterThan(property.agreement.effectiveAtMs, 0)
        XCTAssertEqual(property.confirmation.informedPartyIds, ["p1", "p2"])
        XCTAssertEqual(property.parties.map(\.organizationID), ["O-c2-owners-committee", "O-c2-property"])
        XCTAssertEqual(stairs.level, .grid)
        XCTAssertEqual(stairs.mediators.map(\.personID), ["wang-xingjuan"])
        XCTAssertEqual(stairs.performances.map(\.outcome), [.performed])
        XCTAssertEqual(stairs.followUps.map(\.visitorID), ["wang-xingjuan"])
        XCTAssertEqual(carpenter.failure.routes, [.judicial])
        XCTAssertEqual(carpenter.failure.toldPartyIds, ["p1", "p2"])
        XCTAssertEqual(dog.refusal.partyID, "p2")
        for dispute in loaded.values {
            XCTAssertTrue(
                dispute.history.allSatisfy { !$0.actorID.isEmpty && !$0.actorID.hasPrefix("admin") },
                dispute.id
            )
        }

        // The property company's first obligation is due within three days: a follow-up the committee is told of.
        let due = try await mediation.due(.with { $0.withinHours = 72 })
        XCTAssertTrue(
            due.clocks.contains { $0.disputeID == property.id && $0.kind == .obligation && $0.obligationID == "o1" },
            "\(due.clocks)"
        )
        // Two disputes in the leak's building: a repeat for tracing disputes to their sources.
        let stats = try await mediation.stats(.with { $0.placeCode = "330199001001" })
        XCTAssertEqual(stats.disputes, 8)
        XCTAssertTrue(stats.repeatsByBuilding.contains { $0.key == "B-c1-003" && $0.disputes == 2 }, "\(stats)")

        // Loaded again: nothing is applied for and no step is taken.
        let again = try load(host)
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertTrue(again.outputText.contains("unchanged 28,731"), again.outputText)
        XCTAssertTrue(again.errors.contains("loading the mediation committee: 0 applications"), again.errors)
        XCTAssertTrue(again.errors.contains("loading the mediation committee: 0 steps"), again.errors)
        let reloaded = try await disputes(mediation)
        XCTAssertEqual(reloaded.count, loaded.count)
        for (key, dispute) in loaded {
            XCTAssertEqual(reloaded[key]?.history, dispute.history, key)
        }

        // The committee's check has something to refuse: 王杏娟 lives with the leak's respondent.
        let clerk = Gongzhi_Mediation_V1_MediationClient(
            channel: MetadataAddingChannel(base: host.admin, metadata: ["gongzhi-act-as": "shi-guoping"])
        )
        let accepted = try await clerk.accept(
            .with {
                $0.disputeID = leak.id
                $0.consents = ["p1", "p2"].map { party in
                    .with {
                        $0.partyID = party
                        $0.consents = true
                    }
                }
            }
        )
        XCTAssertEqual(accepted.state, .accepted)
        let refusal = await assertRPCError(.failedPrecondition) {
            _ = try await clerk.assignMediators(
                .with {
                    $0.disputeID = leak.id
                    $0.mediators = [
                        .with {
                            $0.personID = "wang-xingjuan"
                            $0.appointment = .assigned
                        }
                    ]
                }
            )
        }
        XCTAssertTrue(
            refusal?.message.contains("belongs to the household of the party 黄军") ?? false,
            "\(String(describing: refusal))"
        )
    }

    /// The year in China now, as the agreements' numbers give it.
    static func year() -> String {
        let seconds = Int(Date().timeIntervalSince1970) + 8 * 3_600
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return String(calendar.component(.year, from: Date(timeIntervalSince1970: TimeInterval(seconds))))
    }
}
