import GongzhiControl
import GongzhiControlTestSupport
import GongzhiMediationSchemas
import XCTest

@testable import GongzhiMediationControl

/// What the mediation commands print for people, from the fixtures, at the fixtures' now (2025-11-21 23:00 in
/// China Standard Time).
final class MediationOutputTests: XCTestCase {
    private let time = Fixtures.time

    func testAStepSaysWhatItDidAndTheNextDeadline() {
        XCTAssertEqual(
            MediationOutput.stepped(MediationFixtures.accepted, time: time),
            """
            MD-0a1b2c3d4e5f: accept, applied → accepted (by 李强)
            next: mediation to finish by 2025-12-20 (in 29d 1h)

            """
        )
        // The earliest running clock, here an obligation past its deadline.
        XCTAssertEqual(
            MediationOutput.stepped(MediationFixtures.agreed, time: time),
            """
            MD-0a1b2c3d4e5f: record performance, agreed (by 王秀英): obligation o1 partly performed
            next: obligation o1 due by 2025-11-20: follow up (overdue 23h)

            """
        )
        var failed = MediationFixtures.accepted
        failed.state = .failed
        failed.history.append(
            MediationFixtures.step(.fail, .accepted, .failed, at: MediationFixtures.now, note: "routes told: judicial")
        )
        XCTAssertEqual(
            MediationOutput.stepped(failed, time: time),
            "MD-0a1b2c3d4e5f: fail, accepted → failed (by 李强): routes told: judicial\n",
            "a final dispute has no clock"
        )
    }

    func testAnOpenedDisputeSaysHowToAcceptIt() {
        XCTAssertEqual(
            MediationOutput.opened(MediationFixtures.applied, time: time),
            """
            Opened dispute MD-0a1b2c3d4e5f: 楼上漏水 (neighbour), applied in 330106001001003.
            parties:  p1 张伟 (applicant), p2 李娜 (respondent)
            next:     accept it with every party's answer: gongzhictl mediation accept MD-0a1b2c3d4e5f --consent p1 --consent p2

            """
        )
        var handed = MediationFixtures.applied
        handed.source = .gridCase
        handed.referralID = "C1a2b3"
        XCTAssertTrue(
            MediationOutput.opened(handed, time: time).hasPrefix(
                "Handed grid case C1a2b3 to mediation: dispute MD-0a1b2c3d4e5f, 楼上漏水 (neighbour), applied in "
                    + "330106001001003.\n"
            )
        )
        // A retried application answers the dispute the first one opened, as it is now.
        XCTAssertEqual(
            MediationOutput.opened(MediationFixtures.accepted, time: time),
            """
            Dispute MD-0a1b2c3d4e5f was opened earlier with this key: 楼上漏水 (neighbour), now accepted.
            parties:  p1 张伟 (applicant), p2 李娜 (respondent)
            next:     mediation to finish by 2025-12-20 (in 29d 1h)

            """
        )
    }

    func testListsShowTheNextDeadlineAndTheNextPage() {
        XCTAssertEqual(
            MediationOutput.list(
                .with {
                    $0.disputes = [MediationFixtures.agreed, MediationFixtures.accepted, MediationFixtures.applied]
                    $0.nextPageToken = "t2"
                },
                time: time
            ),
            """
            ID               STATE     TYPE       TITLE     PLACE            PARTIES     MEDIATORS  APPLIED           NEXT DEADLINE
            MD-0a1b2c3d4e5f  agreed    neighbour  楼上漏水  330106001001003  张伟, 李娜  王秀英     2025-10-20 09:30  by 2025-11-20 (overdue 23h)
            MD-0a1b2c3d4e5f  accepted  neighbour  楼上漏水  330106001001003  张伟, 李娜  -          2025-10-20 09:30  by 2025-12-20 (in 29d)
            MD-0a1b2c3d4e5f  applied   neighbour  楼上漏水  330106001001003  张伟, 李娜  -          2025-10-20 09:30  -

            3 disputes; the next page: --page t2

            """
        )
        XCTAssertEqual(MediationOutput.list(.init(), time: time), "no disputes match\n")
        XCTAssertEqual(
            MediationOutput.summaries(.with { $0.summaries = [MediationFixtures.summary] }, time: time),
            """
            ID               STATE   TYPE       TITLE     PLACE            LEVEL      MEDIATORS  APPLIED           NEXT DEADLINE
            MD-0a1b2c3d4e5f  agreed  neighbour  楼上漏水  330106001001003  community  王秀英     2025-10-20 09:30  by 2025-11-20 (overdue 23h)

            1 dispute

            """
        )
        XCTAssertEqual(
            MediationOutput.summary(MediationFixtures.summary, time: time),
            """
            id:             MD-0a1b2c3d4e5f
            title:          楼上漏水
            state:          agreed (协议生效)
            type:           neighbour (邻里)
            source:         application (当事人申请)
            referral:       -
            place:          330106001001003
            grid:           330106001001003
            community:      330106001001
            street:         330106001
            building:       B-12
            compound:       西溪花园
            level:          community
            mediators:      王秀英
            applied:        2025-10-20 09:30
            accepted:       2025-10-21 10:00
            closed:         -
            next deadline:  by 2025-11-20 (overdue 23h)

            """
        )
    }

    func testDueStatsCheckAndPackage() {
        XCTAssertEqual(
            MediationOutput.due(MediationFixtures.due, withinHours: 72, time: time),
            """
            DISPUTE          TITLE             PLACE            CLOCK          DEADLINE                     WHAT
            MD-0a1b2c3d4e5f  楼上漏水          330106001001003  obligation o1  by 2025-11-20 (overdue 23h)  obligation o1 due by 2025-11-20: follow up
            MD-00000000beef  物业公共收益分配  330106001001     mediation      by 2025-11-23 (in 2d)        mediation to finish by 2025-11-23

            2 clocks overdue or due within 3d (1 overdue)

            """
        )
        XCTAssertEqual(
            MediationOutput.due(.init(), withinHours: 168, time: time),
            "nothing is overdue or due within 7d\n"
        )
        XCTAssertEqual(
            MediationOutput.stats(MediationFixtures.stats),
            """
            disputes:                       120
            concluded:                      80
            resolved:                       64
            resolution rate:                80%
            settled at community or below:  90%
            median days to agreement:       12.5 days (national court mediation platform: 23.33 days)
            performed on time:              40 of 45 agreements due (89%)

            Repeat disputes by building:
            BUILDING  DISPUTES
            B-12      3

            Repeat disputes by compound:
              none

            By type:
            TYPE       DISPUTES
            neighbour  70
            family     50

            """
        )
        XCTAssertEqual(
            MediationOutput.checked(.with { $0.problems = ["the terms agreed (协议内容) are missing"] }),
            "the checker found 1 problem:\n  - the terms agreed (协议内容) are missing\n"
        )
        XCTAssertEqual(MediationOutput.checked(.init()), "the checker found no problems: the agreement may be signed\n")
        XCTAssertEqual(
            MediationOutput.packaged(
                MediationFixtures.package,
                disputeID: "MD-1",
                file: "p.html",
                court: "西湖区人民法院",
                time: time
            ),
            """
            wrote the confirmation package of MD-1 to p.html: the joint application to 西湖区人民法院 (司法确认申请书) and the agreement; it holds personal data
            apply by 2025-12-10 (in 19d 1h)

            PARTY  ROLE        NAME  ID NUMBER           ADDRESS         PHONE        REPRESENTATIVE
            p1     applicant   张伟  330106198001010011  西溪花园3幢501  13800000001  -
            p2     respondent  李娜  -                   西溪花园3幢601  13800000002  -

            """
        )
    }

    func testShowPrintsTheWholeDisputeAndItsHistoryOneStepALine() {
        XCTAssertEqual(
            DisputeDetail(MediationFixtures.agreed, withheld: []).text(time: time),
            """
            id:               MD-0a1b2c3d4e5f
            title:            楼上漏水
            state:            agreed (协议生效)
            type:             neighbour (邻里)
            source:           application (当事人申请)
            referral:         -
            place:            330106001001003
            grid:             330106001001003
            community:        330106001001
            street:           330106001
            building:         B-12
            compound:         西溪花园
            level:            community
            applied:          2025-10-20 09:30
            accepted:         2025-10-21 10:00
            closed:           -
            idempotency key:  -
            facts:            楼上卫生间漏水至楼下天花板
            narrative:        张伟称：漏水已持续两周。
                              李娜称：已请物业查看。

            Parties:
            PARTY  ROLE        KIND      NAME  RESIDENT/ORG  HOUSEHOLD  PHONE        ADDRESS         ID NUMBER           CONSENT
            p1     applicant   resident  张伟  R0001         H-0001     13800000001  西溪花园3幢501  330106198001010011  consents 2025-10-21 10:00
            p2     respondent  resident  李娜  R0002         -          13800000002  西溪花园3幢601  -                   consents 2025-10-21 10:00

            Mediators:
            PERSON        NAME    APPOINTMENT    CHOSEN BY  ASSIGNED
            wang-xiuying  王秀英  chosen (选择)  p1, p2     2025-10-22 09:00

            Sessions:
              session:          1, 2025-11-05 14:00 at 社区调解室
              mediators:        wang-xiuying
              parties present:  p1, p2
              recorder:         li-qiang
              record:           双方陈述。
                                李娜同意维修。

            Agreement:
              number:            (2025)西溪调字第12号
              parties:           p1, p2
              drafted:           2025-11-08 11:00
              sealed:            2025-11-10 16:00 by li-qiang
              in effect:         2025-11-10 16:00
              facts:             2025年10月，601卫生间漏水致501天花板受损。
              responsibilities:  李娜承担维修责任。
              terms:             李娜修复防水层并赔偿2000元。
              Matters:
                - 维修费用承担 (civil)
              Obligations:
                ID  PARTY  WHAT        HOW           BY
                o1  p2     赔偿2000元  银行转账      2025-11-20
                o2  p2     修复防水层  委托物业维修  2025-12-31
              Signatures:
                - party p1, 2025-11-10 15:00
                - party p2, 2025-11-10 15:10
                - mediator wang-xiuying, 2025-11-10 15:20

            Judicial confirmation:
              parties told:    p1, p2
              applied:         -
              court accepted:  -
              court extended:  no
              decision:        -

            Extensions:
            WHEN              DAYS  CONSENTING  REASON
            2025-11-01 09:00  15    p1, p2      等待维修鉴定

            Follow-up visits:
            WHEN              ABOUT          VISITOR   FINDING
            2025-11-21 10:00  obligation o1  li-qiang  尚未赔偿

            Performance:
            WHEN              OBLIGATION  OUTCOME           GRID CASE  NOTE
            2025-11-21 10:30  o1          partly performed  -          已付1000元

            Clocks:
            CLOCK                DEADLINE                     WHAT
            obligation o1        by 2025-11-20 (overdue 23h)  obligation o1 due by 2025-11-20: follow up
            confirmation window  by 2025-12-10 (in 19d)       joint application for judicial confirmation by 2025-12-10
            obligation o2        by 2025-12-31 (in 40d)       obligation o2 due by 2025-12-31: follow up

            Alerts:
            FOUND             CLOCK          DEADLINE    WHAT
            2025-11-21 00:01  obligation o1  2025-11-20  obligation o1 due by 2025-11-20 ran out

            History:
            WHEN              ACTION              FROM → TO                      BY                     NOTE
            2025-10-20 09:30  apply               - → applied                    李强 (li-qiang)        -
            2025-10-21 10:00  accept              applied → accepted             李强 (li-qiang)        -
            2025-10-22 09:00  assign mediators    accepted → mediating           李强 (li-qiang)        王秀英
            2025-11-05 14:00  record session      mediating → mediating          李强 (li-qiang)        session 1
            2025-11-08 11:00  draft agreement     mediating → agreement-drafted  李强 (li-qiang)        -
            2025-11-10 16:00  seal                agreement-drafted → agreed     李强 (li-qiang)        sealed by the committee; the agreement takes effect
            2025-11-21 10:30  record performance  agreed → agreed                王秀英 (wang-xiuying)  obligation o1 partly performed

            """
        )
    }

    func testShowOfAFailedDisputeHasTheRoutesAndNoClock() {
        var failed = MediationFixtures.accepted
        failed.state = .failed
        failed.closedAtMs = MediationFixtures.now
        failed.failure = .with {
            $0.reason = "分歧过大"
            $0.routes = [.judicial, .arbitration]
            $0.toldPartyIds = ["p1", "p2"]
            $0.atMs = MediationFixtures.now
        }
        failed.history.append(
            MediationFixtures.step(
                .fail,
                .accepted,
                .failed,
                at: MediationFixtures.now,
                note: "routes told: judicial, arbitration"
            )
        )
        XCTAssertEqual(
            DisputeDetail(failed, withheld: []).text(time: time),
            """
            id:               MD-0a1b2c3d4e5f
            title:            楼上漏水
            state:            failed (调解不成)
            type:             neighbour (邻里)
            source:           application (当事人申请)
            referral:         -
            place:            330106001001003
            grid:             330106001001003
            community:        330106001001
            street:           330106001
            building:         B-12
            compound:         西溪花园
            level:            community
            applied:          2025-10-20 09:30
            accepted:         2025-11-20 10:00
            closed:           2025-11-21 23:00
            idempotency key:  -
            facts:            楼上卫生间漏水至楼下天花板
            narrative:        张伟称：漏水已持续两周。
                              李娜称：已请物业查看。

            Parties:
            PARTY  ROLE        KIND      NAME  RESIDENT/ORG  HOUSEHOLD  PHONE        ADDRESS         ID NUMBER           CONSENT
            p1     applicant   resident  张伟  R0001         H-0001     13800000001  西溪花园3幢501  330106198001010011  consents 2025-11-20 10:00
            p2     respondent  resident  李娜  R0002         -          13800000002  西溪花园3幢601  -                   consents 2025-11-20 10:00

            Mediators:
              none

            Sessions:
              none

            Agreement:
              none

            Failure:
              failed:        2025-11-21 23:00
              reason:        分歧过大
              routes told:   judicial, arbitration
              parties told:  p1, p2

            Clocks:
              none

            History:
            WHEN              ACTION  FROM → TO           BY               NOTE
            2025-10-20 09:30  apply   - → applied         李强 (li-qiang)  -
            2025-11-20 10:00  accept  applied → accepted  李强 (li-qiang)  -
            2025-11-21 23:00  fail    accepted → failed   李强 (li-qiang)  routes told: judicial, arbitration

            """
        )
    }

    func testShowSaysWhichFieldsTheHostWithheldAndMarksThem() {
        let text = DisputeDetail(MediationFixtures.redacted, withheld: MediationFixtures.redactedPaths).text(time: time)
        for line in [
            "facts:            withheld\n",
            "narrative:        withheld\n",
            "withheld:         agreement.facts, agreement.matters.summary, agreement.obligations.content, "
                + "agreement.responsibilities, agreement.terms, extensions.reason, facts, follow_ups.finding, narrative, "
                + "parties.address, parties.id_number, parties.phone, performances.note, sessions.record\n",
            "                  (the host withheld this personal data: reading it needs a role that shows personal data "
                + "where the dispute lies, such as mediator, or the personal-data grant)\n",
            "p1     applicant   resident  张伟  R0001         H-0001     withheld  withheld  withheld   consents "
                + "2025-10-21 10:00\n",
            "  record:           withheld\n",
            "  terms:             withheld\n",
            "    - withheld (civil)\n",
            "    o1  p2     withheld  银行转账      2025-11-20\n",
            "2025-11-21 10:00  obligation o1  li-qiang  withheld\n",
        ] {
            XCTAssertTrue(text.contains(line), "\(line) in:\n\(text)")
        }
        // What the host left is shown as it is: names, places, the history.
        XCTAssertTrue(text.contains("2025-11-10 16:00  seal                agreement-drafted → agreed"))
        // An empty field the host did not name is empty, not withheld.
        var quiet = MediationFixtures.agreed
        quiet.narrative = ""
        let plain = DisputeDetail(quiet, withheld: []).text(time: time)
        XCTAssertTrue(plain.contains("narrative:        -\n"), plain)
        XCTAssertFalse(plain.contains("withheld"), plain)
    }
}
