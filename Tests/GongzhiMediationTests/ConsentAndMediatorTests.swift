import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

final class ConsentAndMediatorTests: XCTestCase {
    // MARK: - Consent (Art 17)

    func testAcceptanceRecordsEveryConsentAndStartsTheClock() throws {
        let d = try F.accepted()
        XCTAssertEqual(d.state, .accepted)
        XCTAssertEqual(d.acceptedAtMs, F.t0)
        XCTAssertEqual(d.consents.map(\.partyID), ["p1", "p2"])
        XCTAssertEqual(d.consents.map(\.atMs), [F.t0, F.t0])
        XCTAssertTrue(d.consents.allSatisfy(\.consents))
    }

    func testAPartyWhoRefusesAtAcceptanceEndsIt() throws {
        var answers = F.consents([("p1", true), ("p2", false)])
        answers[1].note = "I will sue"
        let d = try F.step(.accept(consents: answers, note: ""), try F.applied())
        XCTAssertEqual(d.state, .refused)
        XCTAssertEqual(d.refusal.partyID, "p2")
        XCTAssertEqual(d.refusal.reason, "I will sue")
        XCTAssertEqual(d.acceptedAtMs, 0)
        XCTAssertEqual(d.closedAtMs, F.t0)
        XCTAssertEqual(d.history.last?.action, .accept)
        XCTAssertEqual(d.history.last?.note, "Li Fang (p2) refused mediation; it may not be mediated (Art 17)")
        XCTAssertEqual(DisputeProcedure.allowedActions(in: d.state), [])
    }

    func testAcceptanceNeedsAnAnswerFromEveryParty() throws {
        let d = try F.applied()
        let missing = refusal { () throws(MediationRefusal) in
            try F.step(.accept(consents: F.consents([("p1", true)]), note: ""), d)
        }
        assertRefusal(missing, .invalidArgument, "no answer from Li Fang (p2)")
        let stranger = refusal { () throws(MediationRefusal) in
            try F.step(.accept(consents: F.consents([("p1", true), ("p2", true), ("p7", true)]), note: ""), d)
        }
        assertRefusal(stranger, .invalidArgument, "no party \"p7\"", "its parties: p1, p2")
        let twice = refusal { () throws(MediationRefusal) in
            try F.step(.accept(consents: F.consents([("p1", true), ("p2", true), ("p1", false)]), note: ""), d)
        }
        assertRefusal(twice, .invalidArgument, "two answers from Wang Jun (p1)")
    }

    func testAPartyMayRefuseLaterToo() throws {
        for d in [try F.accepted(), try F.mediating(), try F.drafted()] {
            let refused = try F.step(.refuse(partyID: "p1", reason: "no longer"), d)
            XCTAssertEqual(refused.state, .refused)
            XCTAssertEqual(refused.refusal.partyID, "p1")
            XCTAssertEqual(refused.history.last?.from, d.state)
        }
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.refuse(partyID: "x", reason: ""), try F.mediating())
        }
        assertRefusal(r, .invalidArgument, "no party \"x\"")
    }

    // MARK: - Mediators (Art 19)

    func testAssignedAndChosenMediators() throws {
        var d = try F.mediating()
        XCTAssertEqual(d.state, .mediating)
        XCTAssertEqual(d.mediators.map(\.personID), ["chen-li"])
        XCTAssertEqual(d.mediators[0].assignedAtMs, F.t0)
        let chosen = F.mediator("sun-hua", "Sun Hua", chosenBy: ["p1", "p2"])
        d = try F.step(.assignMediators([chosen], profiles: [F.sunProfile], note: "chosen by both"), d)
        XCTAssertEqual(d.mediators.map(\.personID), ["chen-li", "sun-hua"])
        XCTAssertEqual(d.mediators[1].appointment, .chosen)
        XCTAssertEqual(d.history.last?.note, "Sun Hua. chosen by both")
        XCTAssertEqual(d.state, .mediating)
    }

    func testAMediatorWhoIsAPartyIsRefused() throws {
        let wang = MediatorProfile(personID: "wang-jun", residentID: "R0001")
        let r = refusal { () throws(MediationRefusal) in
            try F.step(
                .assignMediators([F.mediator("wang-jun", "Wang Jun")], profiles: [wang], note: ""),
                try F.accepted()
            )
        }
        assertRefusal(r, .failedPrecondition, "mediator Wang Jun (wang-jun) is the party Wang Jun", "choose another")
    }

    func testAMediatorOfAPartysHouseholdIsRefused() throws {
        let spouse = MediatorProfile(personID: "li-wei", residentID: "R0003", householdID: "H0002")
        let r = refusal { () throws(MediationRefusal) in
            try F.step(
                .assignMediators([F.mediator("li-wei", "Li Wei")], profiles: [spouse], note: ""),
                try F.accepted()
            )
        }
        assertRefusal(r, .failedPrecondition, "belongs to the household of the party Li Fang")
    }

    func testAMediatorOfAPartysOrganisationIsRefused() throws {
        var request = F.application()
        request.type = .propertyService
        request.parties[1] = .with {
            $0.id = "p2"
            $0.kind = .organization
            $0.organizationID = "O0007"
            $0.name = "Green Leaf Property Services"
            $0.role = .respondent
        }
        var d = try DisputeProcedure.open(request, id: "D3", by: F.staff, at: F.t0)
        d = try F.step(.accept(consents: F.consents([("p1", true), ("p2", true)]), note: ""), d)
        let employee = MediatorProfile(personID: "zhou-ming", residentID: "R0300", organizationIDs: ["O0007"])
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.assignMediators([F.mediator("zhou-ming", "Zhou Ming")], profiles: [employee], note: ""), d)
        }
        assertRefusal(r, .failedPrecondition, "belongs to the organisation of the party Green Leaf Property Services")
        let other = MediatorProfile(personID: "zhou-ming", residentID: "R0300", organizationIDs: ["O0008"])
        let assigned = try F.step(
            .assignMediators([F.mediator("zhou-ming", "Zhou Ming")], profiles: [other], note: ""),
            d
        )
        XCTAssertEqual(assigned.state, .mediating)
    }

    func testMediatorsMustBeNamedWithTheirProfiles() throws {
        let d = try F.accepted()
        func refused(_ mediators: [Mediator], _ profiles: [MediatorProfile]) -> MediationRefusal {
            refusal { () throws(MediationRefusal) in
                try F.step(.assignMediators(mediators, profiles: profiles, note: ""), d)
            }
        }
        assertRefusal(refused([], []), .invalidArgument, "at least one mediator")
        assertRefusal(refused([F.chen], []), .invalidArgument, "no profile for mediator Chen Li (chen-li)")
        assertRefusal(refused([F.chen, F.chen], [F.chenProfile]), .invalidArgument, "named twice")
        assertRefusal(refused([F.mediator("", "Nobody")], []), .invalidArgument, "Person id")
        var unsaid = F.chen
        unsaid.appointment = .unspecified
        assertRefusal(refused([unsaid], [F.chenProfile]), .invalidArgument, "assigned by the committee or chosen")
        var chosen = F.chen
        chosen.appointment = .chosen
        assertRefusal(refused([chosen], [F.chenProfile]), .invalidArgument, "name who chose them")
        chosen.chosenByPartyIds = ["p9"]
        assertRefusal(refused([chosen], [F.chenProfile]), .invalidArgument, "no party \"p9\"")
        let again = refusal { () throws(MediationRefusal) in
            try F.step(.assignMediators([F.chen], profiles: [F.chenProfile], note: ""), try F.mediating())
        }
        assertRefusal(again, .invalidArgument, "named twice")
    }
}
