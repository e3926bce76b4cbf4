import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

final class ConfirmationAndPerformanceTests: XCTestCase {
    /// The agreement took effect 2026-12-09 10:00; the 30 days end with 2027-01-08.
    static let windowEnd: Int64 = 1_799_424_000_000

    func testPartiesAreToldOfTheirRightAndApplyWithinThirtyDays() throws {
        var d = try F.agreed()
        d = try F.step(.informConfirmation(partyIDs: ["p1", "p2"]), d, at: F.t0 + 2 * F.day)
        d = try F.step(.informConfirmation(partyIDs: ["p2"]), d, at: F.t0 + 2 * F.day)
        XCTAssertEqual(d.confirmation.informedPartyIds, ["p1", "p2"])
        XCTAssertEqual(d.history.last?.note, "told of the right to judicial confirmation: Li Fang (p2)")
        let applied = try F.step(
            .applyForConfirmation(court: "Hushu People's Court", appliedAtMs: Self.windowEnd - 1),
            d,
            at: Self.windowEnd + F.day
        )
        XCTAssertEqual(applied.confirmation.appliedAtMs, Self.windowEnd - 1)
        XCTAssertEqual(applied.state, .agreed)
        let late = refusal { () throws(MediationRefusal) in
            try F.step(
                .applyForConfirmation(court: "Hushu People's Court", appliedAtMs: Self.windowEnd),
                d,
                at: Self.windowEnd
            )
        }
        assertRefusal(late, .failedPrecondition, "ended with 2027-01-08 (Art 33)", "sue instead")
        let twice = refusal { () throws(MediationRefusal) in
            try F.step(
                .applyForConfirmation(court: "another court", appliedAtMs: 0),
                applied,
                at: Self.windowEnd + F.day
            )
        }
        assertRefusal(twice, .failedPrecondition, "already applied to Hushu People's Court")
        let unknown = refusal { () throws(MediationRefusal) in try F.step(.informConfirmation(partyIDs: ["p4"]), d) }
        assertRefusal(unknown, .invalidArgument, "no party \"p4\"")
        let nobody = refusal { () throws(MediationRefusal) in try F.step(.informConfirmation(partyIDs: []), d) }
        assertRefusal(nobody, .invalidArgument, "name the parties told")
    }

    func testTheCourtsStepsInTheirOrder() throws {
        let applyAt = F.t0 + 3 * F.day
        var d = try F.step(
            .applyForConfirmation(court: "Hushu People's Court", appliedAtMs: 0),
            try F.agreed(),
            at: applyAt
        )
        func refused(_ step: DisputeCommand.CourtStep, _ on: Dispute) -> MediationRefusal {
            refusal { () throws(MediationRefusal) in try F.step(.recordCourtDecision(step), on, at: applyAt + 5 * F.day)
            }
        }
        assertRefusal(refused(.extended(atMs: 0), d), .failedPrecondition, "only after accepting")
        assertRefusal(
            refused(.confirmed(number: "(2026)浙0102民特12号", atMs: 0), d),
            .failedPrecondition,
            "only after accepting"
        )
        assertRefusal(refused(.accepted(atMs: applyAt - 1), d), .invalidArgument, "dated before the step it follows")
        d = try F.step(.recordCourtDecision(.accepted(atMs: applyAt + F.day)), d, at: applyAt + F.day)
        XCTAssertEqual(d.confirmation.courtAcceptedAtMs, applyAt + F.day)
        assertRefusal(refused(.accepted(atMs: 0), d), .failedPrecondition, "already accepted")
        d = try F.step(.recordCourtDecision(.extended(atMs: 0)), d, at: applyAt + 10 * F.day)
        XCTAssertTrue(d.confirmation.courtExtended)
        assertRefusal(refused(.extended(atMs: 0), d), .failedPrecondition, "already extended by 10 days")
        assertRefusal(refused(.confirmed(number: "", atMs: 0), d), .invalidArgument, "调确字")
        d = try F.step(
            .recordCourtDecision(.confirmed(number: "(2026)浙0102民特12号", atMs: 0)),
            d,
            at: applyAt + 20 * F.day
        )
        XCTAssertEqual(d.confirmation.decision, .confirmed)
        XCTAssertEqual(d.confirmation.decisionNumber, "(2026)浙0102民特12号")
        XCTAssertEqual(d.confirmation.decidedAtMs, applyAt + 20 * F.day)
        assertRefusal(refused(.refused(reason: "x", atMs: 0), d), .failedPrecondition, "already decided")
        let r = refusal { () throws(MediationRefusal) in try F.step(.remediate(note: ""), d) }
        assertRefusal(r, .failedPrecondition, "agreement stands")
    }

    func testBeforeApplyingThereIsNoCourtStep() throws {
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.recordCourtDecision(.accepted(atMs: 0)), try F.agreed())
        }
        assertRefusal(r, .failedPrecondition, "have not applied")
    }

    func testACourtsRefusalLeadsToANewMediationOrToFailure() throws {
        let applyAt = F.t0 + 3 * F.day
        var d = try F.step(
            .applyForConfirmation(court: "Hushu People's Court", appliedAtMs: 0),
            try F.agreed(),
            at: applyAt
        )
        let noReason = refusal { () throws(MediationRefusal) in
            try F.step(.recordCourtDecision(.refused(reason: "", atMs: 0)), d, at: applyAt)
        }
        assertRefusal(noReason, .invalidArgument, "the court's reason is required")
        d = try F.step(.recordCourtDecision(.refused(reason: "the amount is unclear", atMs: 0)), d, at: applyAt + F.day)
        XCTAssertEqual(d.confirmation.decision, .refused)
        XCTAssertEqual(d.state, .agreed)

        let failed = try F.step(
            .fail(reason: "the parties will sue", routes: [.judicial], toldPartyIDs: ["p1", "p2"]),
            d,
            at: applyAt + 2 * F.day
        )
        XCTAssertEqual(failed.state, .failed)

        let again = try F.step(.remediate(note: "a new agreement"), d, at: applyAt + 2 * F.day)
        XCTAssertEqual(again.state, .mediating)
        XCTAssertEqual(again.supersededAgreements.count, 1)
        XCTAssertEqual(again.supersededAgreements[0].number, "(2026)湖调字第12号")
        XCTAssertFalse(again.hasAgreement)
        XCTAssertEqual(again.confirmation, Gongzhi_Mediation_V1_Confirmation())
        let redrafted = try F.step(.draftAgreement(F.agreement()), again, at: applyAt + 3 * F.day)
        XCTAssertEqual(redrafted.state, .agreementDrafted)
    }

    // MARK: - Performance and follow-up (Art 31)

    func testPerformanceOfEveryObligationEndsTheDispute() throws {
        var d = try F.agreed()
        d = try F.step(.recordPerformance(F.performance("o1", .partly)), d, at: F.t0 + 4 * F.day)
        XCTAssertEqual(d.state, .agreed)
        XCTAssertEqual(d.history.last?.note, "obligation o1 partly performed")
        d = try F.step(.recordPerformance(F.performance("o1", .performed)), d, at: F.t0 + 5 * F.day)
        XCTAssertEqual(d.state, .agreed)
        let twice = refusal { () throws(MediationRefusal) in
            try F.step(.recordPerformance(F.performance("o1", .performed)), d, at: F.t0 + 5 * F.day)
        }
        assertRefusal(twice, .failedPrecondition, "o1 is already recorded as performed")
        let late = F.o2Deadline + F.day
        d = try F.step(.recordPerformance(F.performance("o2", .performed)), d, at: late)
        XCTAssertEqual(d.state, .performed)
        XCTAssertEqual(d.closedAtMs, late)
        XCTAssertEqual(d.history.last?.note, "obligation o2 performed, late; every obligation is performed")
    }

    func testAnObligationIsMissedOnlyAfterItsDeadline() throws {
        let d = try F.agreed()
        let early = refusal { () throws(MediationRefusal) in
            try F.step(.recordPerformance(F.performance("o1", .missed)), d, at: F.o1Deadline - 1)
        }
        assertRefusal(early, .failedPrecondition, "due by the end of 2026-12-20")
        var missed = F.performance("o1", .missed)
        missed.gridCaseID = "case-77"
        let after = try F.step(.recordPerformance(missed), d, at: F.o1Deadline)
        XCTAssertEqual(after.performances.last?.gridCaseID, "case-77")
        XCTAssertEqual(after.state, .agreed)
        let unknown = refusal { () throws(MediationRefusal) in
            try F.step(.recordPerformance(F.performance("o9", .performed)), d)
        }
        assertRefusal(unknown, .invalidArgument, "no obligation \"o9\"", "o1, o2")
        let unsaid = refusal { () throws(MediationRefusal) in
            try F.step(.recordPerformance(F.performance("o1", .unspecified)), d)
        }
        assertRefusal(unsaid, .invalidArgument, "performed, partly performed or missed")
    }

    func testFollowUpVisits() throws {
        var d = try F.agreed()
        d = try F.step(
            .recordFollowUp(
                .with {
                    $0.obligationID = "o1"
                    $0.finding = "The drain was replaced; no more leaking."
                }
            ),
            d,
            at: F.o1Deadline
        )
        XCTAssertEqual(d.followUps.count, 1)
        XCTAssertEqual(d.followUps[0].visitorID, "person:zhao-min")
        XCTAssertEqual(d.followUps[0].atMs, F.o1Deadline)
        XCTAssertEqual(d.history.last?.note, "follow-up visit on obligation o1")
        let performed = try F.performed()
        let after = try F.step(
            .recordFollowUp(.with { $0.finding = "All well a month on." }),
            performed,
            at: F.t0 + 40 * F.day
        )
        XCTAssertEqual(after.history.last?.note, "follow-up visit on the agreement")
        XCTAssertEqual(after.state, .performed)
        let blank = refusal { () throws(MediationRefusal) in
            try F.step(.recordFollowUp(.with { $0.obligationID = "o1" }), d)
        }
        assertRefusal(blank, .invalidArgument, "the finding is required")
    }
}
