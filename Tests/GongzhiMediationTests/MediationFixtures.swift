import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

typealias Dispute = Gongzhi_Mediation_V1_Dispute
typealias Agreement = Gongzhi_Mediation_V1_Agreement
typealias Party = Gongzhi_Mediation_V1_Party
typealias Mediator = Gongzhi_Mediation_V1_Mediator

/// A neighbour dispute in a sample community — water leaking through a ceiling — and the steps that take it
/// through the procedure, with times written out in China Standard Time.
enum MediationFixtures {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 24 * hour

    /// 2026-12-07 10:00 in China, written out rather than computed by the calendar under test.
    static let t0: Int64 = 1_796_608_800_000
    /// 2026-12-07 00:00 in China.
    static let t0Midnight: Int64 = 1_796_572_800_000

    static let grid = "330106001001001"
    static let community = "330106001001"
    static let staff = MediationActor(id: "person:zhao-min", name: "Zhao Min")

    /// The mediator, a respected retired teacher, not related to either party.
    static let chen = mediator("chen-li", "Chen Li")
    static let chenProfile = MediatorProfile(personID: "chen-li", residentID: "R0900", householdID: "H0900")
    static let sun = mediator("sun-hua", "Sun Hua")
    static let sunProfile = MediatorProfile(personID: "sun-hua", residentID: "R0901", householdID: "H0901")

    static func mediator(_ id: String, _ name: String, chosenBy parties: [String] = []) -> Mediator {
        .with {
            $0.personID = id
            $0.name = name
            $0.appointment = parties.isEmpty ? .assigned : .chosen
            $0.chosenByPartyIds = parties
        }
    }

    static func resident(
        _ id: String,
        _ name: String,
        _ role: Gongzhi_Mediation_V1_PartyRole,
        resident: String,
        household: String
    ) -> Party {
        .with {
            $0.id = id
            $0.kind = .resident
            $0.residentID = resident
            $0.householdID = household
            $0.name = name
            $0.role = role
            $0.phone = "13800000000"
            $0.address = "3-2-\(id == "p1" ? "501" : "601")"
        }
    }

    static func application(parties: [Party]? = nil) -> Gongzhi_Mediation_V1_ApplyRequest {
        .with {
            $0.type = .neighbour
            $0.source = .application
            $0.placeCode = grid
            $0.buildingID = "B0003"
            $0.compound = "Lily Garden"
            $0.title = "Water leaking through the ceiling"
            $0.facts = "Since November water leaks from flat 601 into the bathroom ceiling of flat 501."
            $0.narrative = "Mr Wang says the ceiling plaster fell twice; Ms Li says her pipes were checked."
            $0.parties =
                parties ?? [
                    resident("p1", "Wang Jun", .applicant, resident: "R0001", household: "H0001"),
                    resident("p2", "Li Fang", .respondent, resident: "R0002", household: "H0002"),
                ]
        }
    }

    static func step(
        _ command: DisputeCommand,
        _ dispute: Dispute,
        at time: Int64 = t0,
        by actor: MediationActor = staff
    ) throws(MediationRefusal) -> Dispute {
        try DisputeProcedure.apply(command, to: dispute, by: actor, at: time)
    }

    static func consents(_ answers: [(String, Bool)]) -> [Gongzhi_Mediation_V1_Consent] {
        answers.map { answer in
            .with {
                $0.partyID = answer.0
                $0.consents = answer.1
            }
        }
    }

    static func session(mediators: [String] = ["chen-li"], at time: Int64 = 0) -> Gongzhi_Mediation_V1_Session {
        .with {
            $0.mediatorIds = mediators
            $0.partyIds = ["p1", "p2"]
            $0.location = "community mediation room"
            $0.record = "Both parties agree the leak comes from the shower drain of flat 601."
            $0.heldAtMs = time
        }
    }

    /// Obligation o1 (Ms Li repairs the drain) due by the end of 2026-12-20; o2 (she pays 800 yuan) by the end
    /// of 2026-12-31.
    static let o1Deadline: Int64 = 1_796_572_800_000 + 14 * 24 * 3_600_000
    static let o2Deadline: Int64 = 1_796_572_800_000 + 25 * 24 * 3_600_000

    static func agreement() -> Agreement {
        .with {
            $0.partyIds = ["p1", "p2"]
            $0.facts = "Water leaks from the shower drain of flat 601 into flat 501."
            $0.matters = [
                .with {
                    $0.summary = "Repair of the drain and the ceiling"
                    $0.kind = .civil
                }
            ]
            $0.responsibilities = "Ms Li is responsible for the drain of her flat."
            $0.terms = "Ms Li has the drain repaired and pays for the ceiling; Mr Wang accepts this in full."
            $0.obligations = [
                obligation("o1", "p2", "Repair the shower drain", "by a licensed plumber", o1Deadline),
                obligation("o2", "p2", "Pay 800 yuan for the ceiling", "bank transfer to Mr Wang", o2Deadline),
            ]
        }
    }

    static func obligation(
        _ id: String,
        _ party: String,
        _ content: String,
        _ method: String,
        _ deadline: Int64
    ) -> Gongzhi_Mediation_V1_Obligation {
        .with {
            $0.id = id
            $0.partyID = party
            $0.content = content
            $0.method = method
            $0.deadlineMs = deadline
        }
    }

    // MARK: - A dispute in each state

    static func applied() throws(MediationRefusal) -> Dispute {
        try DisputeProcedure.open(application(), id: "D1", by: staff, at: t0)
    }

    static func accepted() throws(MediationRefusal) -> Dispute {
        try step(.accept(consents: consents([("p1", true), ("p2", true)]), note: ""), applied())
    }

    static func mediating() throws(MediationRefusal) -> Dispute {
        try step(.assignMediators([chen], profiles: [chenProfile], note: ""), accepted())
    }

    static func afterSession() throws(MediationRefusal) -> Dispute {
        try step(.recordSession(session()), mediating(), at: t0 + day)
    }

    static func drafted() throws(MediationRefusal) -> Dispute {
        try step(.draftAgreement(agreement()), afterSession(), at: t0 + 2 * day)
    }

    /// Signed by both parties and Chen Li, and sealed: in effect from t0 + 2 days.
    static func agreed() throws(MediationRefusal) -> Dispute {
        var d = try drafted()
        let at = t0 + 2 * day
        d = try step(.sign(role: .party, signerID: "p1"), d, at: at)
        d = try step(.sign(role: .party, signerID: "p2"), d, at: at)
        d = try step(.sign(role: .mediator, signerID: "chen-li"), d, at: at)
        return try step(.seal(number: "(2026)湖调字第12号"), d, at: at)
    }

    static func performed() throws(MediationRefusal) -> Dispute {
        var d = try agreed()
        d = try step(.recordPerformance(performance("o1", .performed)), d, at: t0 + 5 * day)
        return try step(.recordPerformance(performance("o2", .performed)), d, at: t0 + 6 * day)
    }

    static func failed() throws(MediationRefusal) -> Dispute {
        try step(
            .fail(reason: "Ms Li denies the leak", routes: [.judicial], toldPartyIDs: ["p1", "p2"]),
            afterSession(),
            at: t0 + 3 * day
        )
    }

    static func refused() throws(MediationRefusal) -> Dispute {
        try step(.refuse(partyID: "p2", reason: "she wants to go to court"), applied())
    }

    static func declined() throws(MediationRefusal) -> Dispute {
        try step(.decline(reason: "a labour arbitration is already under way"), applied())
    }

    static func performance(
        _ obligation: String,
        _ outcome: Gongzhi_Mediation_V1_Performance.Outcome,
        at time: Int64 = 0
    ) -> Gongzhi_Mediation_V1_Performance {
        .with {
            $0.obligationID = obligation
            $0.outcome = outcome
            $0.atMs = time
        }
    }
}

/// The refusal `body` throws, failing the test when it throws none.
func refusal<T>(
    _ body: () throws(MediationRefusal) -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) -> MediationRefusal {
    do {
        _ = try body()
        XCTFail("expected a refusal", file: file, line: line)
        return MediationRefusal(.invalidArgument, "")
    } catch {
        return error
    }
}

/// Asserts that `refusal` has `code` and that its message contains each of `phrases`.
func assertRefusal(
    _ refusal: MediationRefusal,
    _ code: MediationRefusal.Code,
    _ phrases: String...,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(refusal.code, code, refusal.message, file: file, line: line)
    for phrase in phrases {
        XCTAssertTrue(
            refusal.message.contains(phrase),
            "\"\(refusal.message)\" does not contain \"\(phrase)\"",
            file: file,
            line: line
        )
    }
}
