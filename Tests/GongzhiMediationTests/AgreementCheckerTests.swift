import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

final class AgreementCheckerTests: XCTestCase {
    func testACompleteAgreementHasNoProblems() throws {
        XCTAssertEqual(AgreementChecker.problems(in: F.agreement(), for: try F.afterSession()), [])
    }

    func testEachMissingFieldIsNamed() throws {
        let d = try F.afterSession()
        func problems(_ change: (inout Agreement) -> Void) -> [String] {
            var agreement = F.agreement()
            change(&agreement)
            return AgreementChecker.problems(in: agreement, for: d)
        }
        XCTAssertEqual(problems { $0.partyIds = ["p1"] }, ["the parties are missing Li Fang (p2)"])
        XCTAssertEqual(problems { $0.partyIds.append("p5") }, ["\"p5\" is not a party of dispute D1"])
        XCTAssertEqual(problems { $0.facts = " " }, ["the main facts (纠纷的主要事实) are missing"])
        XCTAssertEqual(problems { $0.matters = [] }, ["the disputed matters (争议事项) are missing"])
        XCTAssertEqual(problems { $0.responsibilities = "" }, ["the parties' responsibilities (各方当事人的责任) are missing"])
        XCTAssertEqual(problems { $0.terms = "" }, ["the terms agreed (协议内容) are missing"])
        XCTAssertEqual(
            problems { $0.obligations = [] },
            ["no obligation says who performs what, how and by when (履行方式、时限)"]
        )
        XCTAssertEqual(
            problems { $0.obligations[0].method = "" },
            ["obligation o1 has no method of performance (履行方式)"]
        )
        XCTAssertEqual(
            problems { $0.obligations[1].deadlineMs = 0 },
            ["obligation o2 has no deadline of performance (履行期限)"]
        )
        XCTAssertEqual(problems { $0.obligations[0].content = "" }, ["obligation o1 does not say what is to be done"])
        XCTAssertEqual(
            problems { $0.obligations[0].partyID = "p9" },
            ["obligation o1 names no party of the dispute as the one who owes it"]
        )
        XCTAssertEqual(problems { $0.obligations[1].id = "o1" }, ["two obligations have the id o1"])
        XCTAssertEqual(problems { $0.obligations[1].id = "" }, ["obligation 2 has no id"])
    }

    func testEveryProblemIsNamedAtOnce() throws {
        let problems = AgreementChecker.problems(in: Agreement(), for: try F.afterSession())
        XCTAssertEqual(problems.count, 6)
        let r = refusal { () throws(MediationRefusal) in try F.step(.draftAgreement(Agreement()), try F.afterSession())
        }
        assertRefusal(
            r,
            .failedPrecondition,
            "the agreement cannot be signed: the parties are missing Wang Jun (p1), Li Fang (p2); the main facts",
            "the terms agreed"
        )
    }

    func testMattersACourtWillNotConfirmAreRefused() throws {
        let d = try F.afterSession()
        let cases: [(Gongzhi_Mediation_V1_MatterKind, String)] = [
            (.identity, "an identity relation (身份关系)"),
            (.adoption, "an adoption relation (收养关系)"),
            (.marriage, "a marriage relation (婚姻关系)"),
        ]
        for (kind, words) in cases {
            var agreement = F.agreement()
            agreement.matters.append(
                .with {
                    $0.summary = "Who the child's father is"
                    $0.kind = kind
                }
            )
            let problems = AgreementChecker.problems(in: agreement, for: d)
            XCTAssertEqual(problems.count, 1)
            let problem = problems.first ?? ""
            XCTAssertTrue(problem.contains("\"Who the child's father is\" concerns \(words)"), "\(problems)")
            XCTAssertTrue(problem.contains("法释〔2011〕5号 Art 4"), "\(problems)")
            let r = refusal { () throws(MediationRefusal) in try F.step(.draftAgreement(agreement), d) }
            assertRefusal(r, .failedPrecondition, words)
        }
    }

    func testWhatAnAgreementLacksToTakeEffect() throws {
        var d = try F.drafted()
        XCTAssertEqual(
            AgreementChecker.missingForEffect(d.agreement, for: d),
            [
                "the signature of Wang Jun (p1)", "the signature of Li Fang (p2)", "a mediator's signature",
                "the committee's seal",
            ]
        )
        d = try F.step(.sign(role: .party, signerID: "p2"), d)
        d = try F.step(.seal(number: ""), d)
        XCTAssertEqual(
            AgreementChecker.missingForEffect(d.agreement, for: d),
            ["the signature of Wang Jun (p1)", "a mediator's signature"]
        )
        XCTAssertEqual(d.state, .agreementDrafted)
        XCTAssertEqual(d.agreement.effectiveAtMs, 0)
    }
}
