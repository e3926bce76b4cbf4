import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

final class SigningAndFailureTests: XCTestCase {
    func testTheAgreementTakesEffectWithTheLastSignatureOrTheSeal() throws {
        var d = try F.drafted()
        d = try F.step(.seal(number: "(2026)湖调字第12号"), d, at: F.t0 + 2 * F.day)
        d = try F.step(.sign(role: .mediator, signerID: "chen-li"), d, at: F.t0 + 2 * F.day)
        d = try F.step(.sign(role: .party, signerID: "p1"), d, at: F.t0 + 3 * F.day)
        XCTAssertEqual(d.state, .agreementDrafted)
        d = try F.step(.sign(role: .party, signerID: "p2"), d, at: F.t0 + 4 * F.day)
        XCTAssertEqual(d.state, .agreed)
        XCTAssertEqual(d.agreement.effectiveAtMs, F.t0 + 4 * F.day)
        XCTAssertEqual(d.agreement.number, "(2026)湖调字第12号")
        XCTAssertEqual(d.agreement.sealedByID, "person:zhao-min")
        XCTAssertEqual(d.history.last?.note, "Li Fang (p2) signed; the agreement takes effect")
        XCTAssertEqual(d.history.last?.to, .agreed)
    }

    func testOnlyPartiesAndAssignedMediatorsSignAndOnlyOnce() throws {
        let d = try F.drafted()
        func refused(_ role: Gongzhi_Mediation_V1_Signature.Role, _ id: String, _ on: Dispute) -> MediationRefusal {
            refusal { () throws(MediationRefusal) in try F.step(.sign(role: role, signerID: id), on) }
        }
        assertRefusal(refused(.party, "p3", d), .failedPrecondition, "p3 is not a party to the agreement", "p1, p2")
        assertRefusal(refused(.mediator, "sun-hua", d), .failedPrecondition, "not a mediator of dispute D1", "chen-li")
        assertRefusal(refused(.unspecified, "p1", d), .invalidArgument, "a party or a mediator")
        let signed = try F.step(.sign(role: .party, signerID: "p1"), d)
        assertRefusal(refused(.party, "p1", signed), .failedPrecondition, "Wang Jun (p1) has already signed")
        let sealed = try F.step(.seal(number: ""), d)
        let again = refusal { () throws(MediationRefusal) in try F.step(.seal(number: ""), sealed) }
        assertRefusal(again, .failedPrecondition, "already sealed")
    }

    func testANewDraftClearsTheSignaturesAndTheSeal() throws {
        var d = try F.drafted()
        d = try F.step(.sign(role: .party, signerID: "p1"), d)
        d = try F.step(.seal(number: "12"), d)
        var changed = F.agreement()
        changed.terms = "Ms Li repairs the drain; Mr Wang repaints the ceiling himself."
        d = try F.step(.draftAgreement(changed), d, at: F.t0 + 3 * F.day)
        XCTAssertEqual(d.state, .agreementDrafted)
        XCTAssertEqual(d.agreement.signatures, [])
        XCTAssertEqual(d.agreement.sealedAtMs, 0)
        XCTAssertEqual(d.agreement.draftedAtMs, F.t0 + 3 * F.day)
        XCTAssertEqual(d.history.last?.note, "a new draft: the signatures and the seal are cleared")
    }

    func testADraftCannotArriveSigned() throws {
        var signed = F.agreement()
        signed.signatures = [
            .with {
                $0.role = .party
                $0.signerID = "p1"
            }
        ]
        signed.sealedAtMs = F.t0
        signed.effectiveAtMs = F.t0
        let d = try F.step(.draftAgreement(signed), try F.afterSession())
        XCTAssertEqual(d.agreement.signatures, [])
        XCTAssertEqual(d.agreement.sealedAtMs, 0)
        XCTAssertEqual(d.agreement.effectiveAtMs, 0)
    }

    // MARK: - Failure (Art 26)

    func testFailureRecordsTheRoutesToldToEveryParty() throws {
        let d = try F.step(
            .fail(
                reason: "Ms Li denies the leak",
                routes: [.arbitration, .administrative, .judicial],
                toldPartyIDs: ["p1", "p2"]
            ),
            try F.afterSession(),
            at: F.t0 + 3 * F.day
        )
        XCTAssertEqual(d.state, .failed)
        XCTAssertEqual(d.failure.routes, [.arbitration, .administrative, .judicial])
        XCTAssertEqual(d.failure.toldPartyIds, ["p1", "p2"])
        XCTAssertEqual(d.failure.atMs, F.t0 + 3 * F.day)
        XCTAssertEqual(d.closedAtMs, F.t0 + 3 * F.day)
        XCTAssertEqual(d.history.last?.note, "routes told: arbitration, administrative, judicial")
    }

    func testFailureWithoutRoutesOrWithAPartyNotToldIsRefused() throws {
        let d = try F.afterSession()
        func refused(
            _ routes: [Gongzhi_Mediation_V1_Route],
            _ told: [String],
            reason: String = "no"
        ) -> MediationRefusal {
            refusal { () throws(MediationRefusal) in
                try F.step(.fail(reason: reason, routes: routes, toldPartyIDs: told), d)
            }
        }
        assertRefusal(refused([], ["p1", "p2"]), .invalidArgument, "routes the parties were told of (Art 26)")
        assertRefusal(refused([.unspecified], ["p1", "p2"]), .invalidArgument, "arbitration, administrative, judicial")
        assertRefusal(refused([.judicial], ["p1"]), .invalidArgument, "not told: Li Fang (p2)")
        assertRefusal(refused([.judicial], ["p1", "p2"], reason: ""), .invalidArgument, "the reason mediation failed")
    }

    func testAnAgreementInEffectDoesNotFail() throws {
        let r = refusal { () throws(MediationRefusal) in
            try F.step(.fail(reason: "x", routes: [.judicial], toldPartyIDs: ["p1", "p2"]), try F.agreed())
        }
        assertRefusal(r, .failedPrecondition, "agreement is in effect", "after a court refused")
    }
}
