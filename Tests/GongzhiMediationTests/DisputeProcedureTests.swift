import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

typealias F = MediationFixtures

final class DisputeProcedureTests: XCTestCase {
    func testOpeningRecordsTheApplicationAndThePlace() throws {
        let d = try F.applied()
        XCTAssertEqual(d.state, .applied)
        XCTAssertEqual(d.gridCode, F.grid)
        XCTAssertEqual(d.communityCode, F.community)
        XCTAssertEqual(d.streetCode, "330106001")
        XCTAssertEqual(d.level, .community)
        XCTAssertEqual(d.appliedAtMs, F.t0)
        XCTAssertEqual(d.history.map(\.action), [.apply])
        XCTAssertEqual(d.history[0].actorID, "person:zhao-min")
        XCTAssertEqual(d.history[0].actor, "Zhao Min")
        XCTAssertEqual(d.history[0].atMs, F.t0)
        XCTAssertEqual(d.history[0].to, .applied)
    }

    func testOpeningNumbersPartiesWithoutIDs() throws {
        var request = F.application()
        request.parties[0].id = ""
        request.parties[1].id = ""
        let d = try DisputeProcedure.open(request, id: "D2", by: F.staff, at: F.t0)
        XCTAssertEqual(d.parties.map(\.id), ["p1", "p2"])
    }

    func testOpeningKeepsTheIdempotencyKey() throws {
        var request = F.application()
        request.idempotencyKey = "form-2026-12-07-0042"
        let d = try DisputeProcedure.open(request, id: "D2", by: F.staff, at: F.t0)
        XCTAssertEqual(d.idempotencyKey, "form-2026-12-07-0042")
        request.idempotencyKey = String(repeating: "k", count: 129)
        let r = refusal { () throws(MediationRefusal) in
            try DisputeProcedure.open(request, id: "D2", by: F.staff, at: F.t0)
        }
        assertRefusal(r, .invalidArgument, "the idempotency key has 129 characters; at most 128")
    }

    func testOpeningACommunityLevelDisputeHasNoGrid() throws {
        var request = F.application()
        request.placeCode = F.community
        let d = try DisputeProcedure.open(request, id: "D2", by: F.staff, at: F.t0)
        XCTAssertEqual(d.gridCode, "")
        XCTAssertEqual(d.placeCode, F.community)
    }

    func testOpeningRefusesWhatIsMissing() {
        func refused(_ change: (inout Gongzhi_Mediation_V1_ApplyRequest) -> Void) -> MediationRefusal {
            var request = F.application()
            change(&request)
            return refusal { () throws(MediationRefusal) in
                try DisputeProcedure.open(request, id: "D9", by: F.staff, at: F.t0)
            }
        }
        assertRefusal(refused { $0.type = .unspecified }, .invalidArgument, "type is required")
        assertRefusal(refused { $0.source = .unspecified }, .invalidArgument, "source is required")
        assertRefusal(refused { $0.source = .gridCase }, .invalidArgument, "the grid case's id")
        assertRefusal(refused { $0.placeCode = "3301" }, .invalidArgument, "\"3301\"", "15 digits")
        assertRefusal(refused { $0.parties.removeLast() }, .invalidArgument, "at least two parties; 1 given")
        assertRefusal(refused { $0.parties[1].name = " " }, .invalidArgument, "party 2 (p2) has no name")
        assertRefusal(refused { $0.parties[1].role = .unspecified }, .invalidArgument, "(p2) has no role")
        assertRefusal(refused { $0.parties[1].kind = .unspecified }, .invalidArgument, "neither a resident")
        assertRefusal(refused { $0.parties[1].id = "p1" }, .invalidArgument, "two parties have the id p1")
        assertRefusal(refused { $0.parties[0].role = .other }, .invalidArgument, "needs an applicant")
        assertRefusal(refused { $0.title = "" }, .invalidArgument, "the title is required")
        let noID = refusal { () throws(MediationRefusal) in
            try DisputeProcedure.open(F.application(), id: "", by: F.staff, at: F.t0)
        }
        assertRefusal(noID, .invalidArgument, "needs an id")
    }

    func testAReferralFromAGridCaseKeepsItsID() throws {
        var request = F.application()
        request.source = .gridCase
        request.referralID = "case-41"
        request.parties[0].role = .other
        let d = try DisputeProcedure.open(request, id: "D2", by: F.staff, at: F.t0)
        XCTAssertEqual(d.referralID, "case-41")
        XCTAssertEqual(d.history[0].note, "referred: case-41")
    }

    // MARK: - The whole way

    func testFromApplicationToPerformance() throws {
        let d = try F.performed()
        XCTAssertEqual(d.state, .performed)
        XCTAssertEqual(d.acceptedAtMs, F.t0)
        XCTAssertEqual(d.agreement.effectiveAtMs, F.t0 + 2 * F.day)
        XCTAssertEqual(d.closedAtMs, F.t0 + 6 * F.day)
        XCTAssertEqual(
            d.history.map(\.action),
            [
                .apply, .accept, .assignMediators, .recordSession, .draftAgreement, .sign, .sign, .sign, .seal,
                .recordPerformance, .recordPerformance,
            ]
        )
        XCTAssertEqual(
            d.history.map(\.to),
            [
                .applied, .accepted, .mediating, .mediating, .agreementDrafted, .agreementDrafted,
                .agreementDrafted, .agreementDrafted, .agreed, .agreed, .performed,
            ]
        )
        for (previous, next) in zip(d.history, d.history.dropFirst()) {
            XCTAssertEqual(next.from, previous.to)
        }
        XCTAssertTrue(d.history[8].note.contains("the agreement takes effect"))
        XCTAssertTrue(d.history[10].note.contains("every obligation is performed"))
        XCTAssertFalse(DisputeProcedure.isOpen(d.state))
    }

    func testTheAllowedStepsOfEveryState() {
        XCTAssertEqual(DisputeProcedure.allowedActions(in: .applied), [.accept, .decline, .refuse])
        XCTAssertEqual(DisputeProcedure.allowedActions(in: .accepted), [.assignMediators, .refuse, .fail, .extend])
        XCTAssertTrue(DisputeProcedure.allowedActions(in: .mediating).contains(.draftAgreement))
        XCTAssertTrue(DisputeProcedure.allowedActions(in: .agreementDrafted).contains(.sign))
        XCTAssertFalse(DisputeProcedure.allowedActions(in: .agreed).contains(.sign))
        for final in [Gongzhi_Mediation_V1_DisputeState.failed, .refused, .declined] {
            XCTAssertEqual(DisputeProcedure.allowedActions(in: final), [])
            XCTAssertFalse(DisputeProcedure.isOpen(final))
        }
        for open in [Gongzhi_Mediation_V1_DisputeState.applied, .accepted, .mediating, .agreementDrafted, .agreed] {
            XCTAssertTrue(DisputeProcedure.isOpen(open))
        }
    }

    /// One command of every action, to try in every state.
    static let sampleCommands: [DisputeCommand] = [
        .accept(consents: F.consents([("p1", true), ("p2", true)]), note: ""),
        .decline(reason: "not ours"),
        .refuse(partyID: "p2", reason: ""),
        .assignMediators([F.sun], profiles: [F.sunProfile], note: ""),
        .recordSession(F.session()),
        .draftAgreement(F.agreement()),
        .sign(role: .party, signerID: "p1"),
        .seal(number: "12"),
        .fail(reason: "no agreement", routes: [.judicial], toldPartyIDs: ["p1", "p2"]),
        .extend(days: 10, consentingPartyIDs: ["p1", "p2"], reason: ""),
        .informConfirmation(partyIDs: ["p1"]),
        .applyForConfirmation(court: "Hushu court", appliedAtMs: 0),
        .recordCourtDecision(.accepted(atMs: 0)),
        .remediate(note: ""),
        .recordFollowUp(.with { $0.finding = "fine" }),
        .recordPerformance(F.performance("o1", .performed)),
    ]

    func testEveryIllegalStepNamesTheStateAndTheAllowedSteps() throws {
        let disputes: [Dispute] = [
            try F.applied(), try F.accepted(), try F.mediating(), try F.drafted(), try F.agreed(), try F.performed(),
            try F.failed(), try F.refused(), try F.declined(),
        ]
        var tried = 0
        for d in disputes {
            let allowed = DisputeProcedure.allowedActions(in: d.state)
            for command in Self.sampleCommands where !allowed.contains(command.action) {
                let r = refusal { () throws(MediationRefusal) in try F.step(command, d, at: F.t0 + 10 * F.day) }
                let steps = allowed.isEmpty ? "none: it is final" : allowed.map(\.wording).joined(separator: ", ")
                assertRefusal(
                    r,
                    .failedPrecondition,
                    "dispute D1 is \(d.state.wording): it cannot \(command.action.wording)",
                    "the steps it allows: \(steps)"
                )
                tried += 1
            }
        }
        // 9 states × 16 actions, less the 31 allowed pairs.
        XCTAssertEqual(tried, 9 * 16 - 31)
    }

    func testTheMessageForADeclinedDispute() throws {
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.accept(consents: [], note: ""), try F.declined())
        }
        XCTAssertEqual(r.message, "dispute D1 is declined: it cannot accept; the steps it allows: none: it is final")
    }

    func testDeclineNeedsAReasonAndIsFinal() throws {
        let d = try F.declined()
        XCTAssertEqual(d.state, .declined)
        XCTAssertEqual(d.refusal.partyID, "")
        XCTAssertEqual(d.closedAtMs, F.t0)
        let r = refusal { () throws(MediationRefusal) in try F.step(.decline(reason: " "), try F.applied()) }
        assertRefusal(r, .invalidArgument, "the reason for declining is required")
    }

    func testASessionIsHeldByAnAssignedMediator() throws {
        let d = try F.mediating()
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.recordSession(F.session(mediators: ["sun-hua"])), d)
        }
        assertRefusal(r, .failedPrecondition, "held by an assigned mediator", "chen-li")
        var blank = F.session()
        blank.record = ""
        let noRecord = refusal { () throws(MediationRefusal) in try F.step(.recordSession(blank), d) }
        assertRefusal(noRecord, .invalidArgument, "the session's record is required")
        let future = refusal { () throws(MediationRefusal) in
            try F.step(.recordSession(F.session(at: F.t0 + F.day)), d)
        }
        assertRefusal(future, .invalidArgument, "2026-12-08", "in the future")
        let before = refusal { () throws(MediationRefusal) in
            try F.step(.recordSession(F.session(at: F.t0 - F.hour)), d)
        }
        assertRefusal(before, .invalidArgument, "before dispute D1 was accepted")
    }

    func testSessionsAreNumberedInOrder() throws {
        var d = try F.afterSession()
        d = try F.step(.recordSession(F.session()), d, at: F.t0 + 2 * F.day)
        XCTAssertEqual(d.sessions.map(\.number), [1, 2])
        XCTAssertEqual(d.sessions[1].heldAtMs, F.t0 + 2 * F.day)
    }

    func testAnAgreementComesOnlyAfterASession() throws {
        let r = refusal { () throws(MediationRefusal) in try F.step(.draftAgreement(F.agreement()), try F.mediating()) }
        assertRefusal(r, .failedPrecondition, "has had no session")
    }

    func testExtensionNeedsEveryPartysConsent() throws {
        let d = try F.mediating()
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.extend(days: 10, consentingPartyIDs: ["p1"], reason: ""), d)
        }
        assertRefusal(r, .failedPrecondition, "every party's consent", "Li Fang (p2)")
        let zero = refusal { () throws(MediationRefusal) in
            try F.step(.extend(days: 0, consentingPartyIDs: ["p1", "p2"], reason: ""), d)
        }
        assertRefusal(zero, .invalidArgument, "1 to 90 days; 0 given")
        let extended = try F.step(.extend(days: 10, consentingPartyIDs: ["p1", "p2"], reason: "a survey"), d)
        XCTAssertEqual(extended.extensions.map(\.days), [10])
        XCTAssertEqual(extended.state, .mediating)
        // Ten days after 2027-01-07 is Sunday the 17th: the month runs to the end of Monday.
        XCTAssertEqual(extended.history.last?.note, "extended by 10 days to the end of 2027-01-18")
    }
}
