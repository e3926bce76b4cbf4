import Foundation
import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

/// The printed 人民调解协议书: every section of the standard layout, the parties' identities, the obligations with
/// their last day in China, who has signed, the copies, escaping, and a page that prints alone.
final class AgreementDocumentTests: XCTestCase {
    typealias P = PrintedDocumentFixtures

    func testAFullAgreementHasEverySectionOfTheStandardLayoutInOrder() throws {
        let html = AgreementDocument.html(try P.agreed(), committee: P.committee)
        assertInOrder(
            html,
            [
                "<title>人民调解协议书 (2026)荷调字第12号</title>",
                "<p class=\"committee\">西湖区文新街道荷花社区人民调解委员会</p>",
                "<h1>人民调解协议书</h1>",
                "编号：(2026)荷调字第12号",
                "<h2>当事人</h2>",
                "<th scope=\"row\">申请人</th><td>王军</td>",
                "<th scope=\"row\">被申请人</th><td>李芳</td>",
                "<h2>纠纷主要事实</h2>",
                "<p>自2026年11月起，601室卫生间地漏渗水，致501室卫生间吊顶两次脱落。</p>",
                "<p>双方多次协商未果。</p>",
                "<h2>争议事项</h2>",
                "<li>地漏的修缮</li>",
                "<li>501室吊顶的损失赔偿</li>",
                "<h2>各方当事人的责任</h2>",
                "李芳对地漏负维修责任",
                "<h2>协议内容</h2>",
                "各方当事人自愿达成如下协议",
                "<p>一、李芳请有资质的维修人员修缮地漏。</p>",
                "<p>三、王军不再就此事另行主张权利。</p>",
                "<h2>履行方式和期限</h2>",
                "修缮601室卫生间地漏",
                "赔偿吊顶损失人民币800元",
                "本协议自各方当事人签名（盖章或者按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。",
                "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。",
                "本协议一式三份，当事人各执一份，人民调解委员会留存一份。",
                "<table class=\"signatures\">",
                "<th scope=\"row\">申请人</th><td>王军</td><td class=\"line\">",
                "<th scope=\"row\">被申请人</th><td>李芳</td><td class=\"line\">",
                "<th scope=\"row\">人民调解员</th><td>陈丽</td><td class=\"line\">",
                "<span class=\"seal\">人民调解委员会（印）</span>",
                "西湖区文新街道荷花社区人民调解委员会（盖章）",
                "<p>2026年12月9日</p>",
            ]
        )
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testEachPartyShowsKindRoleIDNumberAddressAndPhone() throws {
        let html = AgreementDocument.html(try P.agreed(), committee: P.committee)
        assertInOrder(
            html,
            [
                "<th scope=\"row\">申请人</th><td>王军</td>",
                "<th scope=\"row\">类别</th><td>自然人</td>",
                "<th scope=\"row\">公民身份号码</th><td>330106198001011234</td>",
                "<th scope=\"row\">住址</th><td>杭州市西湖区荷花小区3幢2单元501室</td>",
                "<th scope=\"row\">联系电话</th><td>13800000001</td>",
                "<th scope=\"row\">被申请人</th><td>李芳</td>",
                "<th scope=\"row\">公民身份号码</th><td>33010619850202234X</td>",
                "<th scope=\"row\">住址</th><td>杭州市西湖区荷花小区3幢2单元601室</td>",
                "<th scope=\"row\">联系电话</th><td>13900000002</td>",
            ]
        )
        XCTAssertFalse(html.contains("法定代表人"), "no organisation among the parties")
    }

    func testEveryObligationShowsWhoWhatHowAndItsLastDayInChina() throws {
        let html = AgreementDocument.html(try P.agreed(), committee: P.committee)
        // o1 ends at 2026-12-21 00:00 in China, its last day the 20th; o2's last day is New Year's Eve.
        assertInOrder(
            html,
            [
                "<th scope=\"col\">义务人</th><th scope=\"col\">应当履行的义务</th>",
                "<th scope=\"col\">履行方式</th><th scope=\"col\">履行期限</th>",
                "<tr><td>1</td><td>李芳</td><td>修缮601室卫生间地漏</td><td>由有资质的维修人员上门修缮</td>"
                    + "<td>2026年12月20日前（含当日）</td></tr>",
                "<tr><td>2</td><td>李芳</td><td>赔偿吊顶损失人民币800元</td><td>银行转账至王军账户</td>"
                    + "<td>2026年12月31日前（含当日）</td></tr>",
            ]
        )
    }

    func testAnAgreementWithoutObligationsSaysSoAndHasNoObligationsTable() throws {
        // The checker refuses to let such an agreement be signed, but one stored before it, or a draft, still prints.
        var dispute = try P.agreed()
        dispute.agreement.obligations = []
        let html = AgreementDocument.html(dispute, committee: P.committee)
        assertInOrder(html, ["<h2>履行方式和期限</h2>", "<p>本协议没有须另行履行的义务。</p>", "本协议自各方当事人签名"])
        XCTAssertFalse(html.contains("class=\"obligations\""))
        XCTAssertFalse(html.contains("履行期限"))
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testAnOrganisationShowsItsCreditCodeSeatAndRepresentativeAndSealsInsteadOfSigning() throws {
        let parties = [P.wang(), P.li(), P.propertyCompany()]
        let html = AgreementDocument.html(try P.agreed(parties: parties), committee: P.committee)
        assertInOrder(
            html,
            [
                "<th scope=\"row\">第三人</th><td>杭州荷花物业服务有限公司</td>",
                "<th scope=\"row\">类别</th><td>法人或者非法人组织</td>",
                "<th scope=\"row\">统一社会信用代码</th><td>91330106MA2B0C0D1E</td>",
                "<th scope=\"row\">住所</th><td>杭州市西湖区荷花路8号</td>",
                "<th scope=\"row\">法定代表人或者代理人</th><td>赵强（法定代表人）</td>",
                "<th scope=\"row\">联系电话</th><td>0571-88000000</td>",
                "本协议一式四份",
                "<th scope=\"row\">第三人</th><td>杭州荷花物业服务有限公司</td><td class=\"line\">",
            ]
        )
        XCTAssertEqual(occurrences(of: "<table class=\"party\">", in: html), 3)
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testAnOrganisationWithoutARepresentativeGetsALineToFillIn() throws {
        var company = P.propertyCompany()
        company.representative = ""
        let html = AgreementDocument.html(try P.agreed(parties: [P.wang(), P.li(), company]), committee: P.committee)
        XCTAssertTrue(html.contains("<th scope=\"row\">法定代表人或者代理人</th><td>\(P.blank)</td>"))
    }

    func testTheCopiesAreOnePerPartyAndOneForTheCommittee() throws {
        var dispute = try P.agreed()
        XCTAssertTrue(AgreementDocument.html(dispute, committee: P.committee).contains("本协议一式三份"))
        // Copies counted past ten, in Chinese numerals: 10 parties need 十一 copies, 19 need 二十, 20 need 二十一.
        for (count, copies) in [(9, "十"), (10, "十一"), (19, "二十"), (20, "二十一")] {
            dispute.parties = (1...count).map { index in
                var party = P.wang()
                party.id = "p\(index)"
                return party
            }
            dispute.agreement.partyIds = dispute.parties.map(\.id)
            let html = AgreementDocument.html(dispute, committee: P.committee)
            XCTAssertTrue(html.contains("本协议一式\(copies)份，"), "\(count) parties")
            XCTAssertEqual(occurrences(of: "<table class=\"party\">", in: html), count)
        }
    }

    func testOnlyThePartiesTheAgreementBindsAreListedAndCounted() throws {
        var dispute = try P.agreed(parties: [P.wang(), P.li(), P.propertyCompany()])
        dispute.agreement.partyIds = ["p1", "p2"]
        let html = AgreementDocument.html(dispute, committee: P.committee)
        XCTAssertFalse(html.contains("杭州荷花物业服务有限公司"))
        XCTAssertTrue(html.contains("本协议一式三份"))
    }

    func testSignaturesShowWhoHasSignedAndWhenAndBlankLinesForTheRest() throws {
        let drafted = try P.drafted()
        let unsigned = AgreementDocument.html(drafted, committee: P.committee)
        XCTAssertFalse(unsigned.contains("已签名"))
        XCTAssertFalse(unsigned.contains("<p class=\"signed\">"), "not sealed")
        XCTAssertFalse(unsigned.contains("2026年12月9日"), "nothing is signed, sealed or in effect yet")
        // Two parties, one mediator and the agreement's own date, all to be written by hand.
        XCTAssertEqual(occurrences(of: P.blankDate, in: unsigned), 4)
        assertInOrder(unsigned, ["<th scope=\"row\">人民调解员</th><td>陈丽</td><td class=\"line\"></td>"])

        var partly = drafted
        partly.agreement.signatures = [
            .with {
                $0.role = .party
                $0.signerID = "p2"
                $0.atMs = P.signedAt
            }
        ]
        let half = AgreementDocument.html(partly, committee: P.committee)
        assertInOrder(
            half,
            [
                "<th scope=\"row\">申请人</th><td>王军</td><td class=\"line\"></td>",
                "<th scope=\"row\">被申请人</th><td>李芳</td><td class=\"line\"><span class=\"signed\">已签名</span>"
                    + "</td><td class=\"date\">2026年12月9日</td>",
                "<th scope=\"row\">人民调解员</th><td>陈丽</td><td class=\"line\"></td>",
            ]
        )
        XCTAssertEqual(occurrences(of: "已签名", in: half), 1)

        let signed = AgreementDocument.html(try P.agreed(), committee: P.committee)
        let signedOnTheNinth = "<span class=\"signed\">已签名</span></td><td class=\"date\">2026年12月9日</td>"
        XCTAssertEqual(occurrences(of: signedOnTheNinth, in: signed), 3)
        assertInOrder(signed, ["<p class=\"signed\">已于2026年12月9日盖章</p>", "<p>2026年12月9日</p>"])
    }

    func testAMediatorWhoSignedButIsNoLongerListedStillShows() throws {
        var dispute = try P.agreed()
        dispute.mediators = []
        let html = AgreementDocument.html(dispute, committee: P.committee)
        XCTAssertTrue(html.contains("人民调解员</th><td>chen-li</td><td class=\"line\"><span class=\"signed\">已签名"))

        dispute.agreement.signatures.removeAll { $0.role == .mediator }
        let none = AgreementDocument.html(dispute, committee: P.committee)
        XCTAssertTrue(none.contains("人民调解员</th><td>\(P.blank)</td><td class=\"line\">"))
    }

    func testDatesAreChinaDatesAtTheDayBoundary() throws {
        var dispute = try P.agreed()
        // Signed half an hour past midnight on New Year's Day in China (16:30 UTC), a minute before it (15:59 UTC).
        dispute.agreement.signatures[0].atMs = P.newYearMidnight + 30 * 60_000
        dispute.agreement.signatures[1].atMs = P.newYearMidnight - 60_000
        dispute.agreement.effectiveAtMs = P.newYearMidnight + 30 * 60_000
        // o1 ends at 24:00 on New Year's Eve, its last day the 31st; o2 at 00:30 on New Year's Day, its last day that.
        dispute.agreement.obligations[0].deadlineMs = P.newYearMidnight
        dispute.agreement.obligations[1].deadlineMs = P.newYearMidnight + 30 * 60_000
        let html = AgreementDocument.html(dispute, committee: P.committee)
        assertInOrder(
            html,
            [
                "<td>2026年12月31日前（含当日）</td>",
                "<td>2027年1月1日前（含当日）</td>",
                "王军</td><td class=\"line\"><span class=\"signed\">已签名</span></td><td class=\"date\">2027年1月1日</td>",
                "李芳</td><td class=\"line\"><span class=\"signed\">已签名</span></td><td class=\"date\">2026年12月31日</td>",
                "<p>2027年1月1日</p>",
            ]
        )
    }

    func testEveryTextFromTheDisputeIsEscaped() throws {
        var dispute = try P.agreed()
        dispute.parties[0].name = "王<script>alert(1)</script>&军"
        dispute.parties[0].address = "荷花小区\"3幢\" & 'B'座"
        dispute.parties[1].phone = "<b>139</b>"
        dispute.mediators[0].name = "陈&丽"
        dispute.agreement.number = "(2026)<i>荷</i>调字第12号"
        dispute.agreement.facts = "漏水 <img src=x onerror=alert(1)>"
        dispute.agreement.matters[0].summary = "</li></ol><script>"
        dispute.agreement.responsibilities = "A & B"
        dispute.agreement.terms = "赔偿<b>800</b>元 & 道歉"
        dispute.agreement.obligations[0].content = "<u>修缮</u>"
        dispute.agreement.obligations[0].method = "转账 & 现金"
        let html = AgreementDocument.html(dispute, committee: "荷花<社区>&调委会")

        XCTAssertEqual(problems(ofPage: html), [])
        for escaped in [
            "王&lt;script&gt;alert(1)&lt;/script&gt;&amp;军",
            "荷花小区&quot;3幢&quot; &amp; &#39;B&#39;座",
            "&lt;b&gt;139&lt;/b&gt;",
            "陈&amp;丽",
            "<title>人民调解协议书 (2026)&lt;i&gt;荷&lt;/i&gt;调字第12号</title>",
            "编号：(2026)&lt;i&gt;荷&lt;/i&gt;调字第12号",
            "漏水 &lt;img src=x onerror=alert(1)&gt;",
            "<li>&lt;/li&gt;&lt;/ol&gt;&lt;script&gt;</li>",
            "A &amp; B",
            "赔偿&lt;b&gt;800&lt;/b&gt;元 &amp; 道歉",
            "&lt;u&gt;修缮&lt;/u&gt;",
            "转账 &amp; 现金",
            "荷花&lt;社区&gt;&amp;调委会（盖章）",
            // The obligor's name in the obligations table comes from the party too.
            "<td>李芳</td>",
        ] {
            XCTAssertTrue(html.contains(escaped), "missing \(escaped)")
        }
        for raw in ["<script", "<b>", "<i>", "<u>", "<img"] {
            XCTAssertFalse(html.contains(raw), "unescaped \(raw)")
        }
    }

    func testMissingTextsAndNumberLeaveLinesToWriteOn() throws {
        var dispute = try P.drafted()
        dispute.agreement.number = ""
        dispute.agreement.facts = " \n "
        dispute.agreement.matters = []
        dispute.parties[0].idNumber = ""
        let html = AgreementDocument.html(dispute, committee: "")
        let blank = P.blank
        assertInOrder(
            html,
            [
                "<title>人民调解协议书</title>",
                "<p class=\"committee\">\(blank)</p>",
                "编号：\(blank)",
                "<th scope=\"row\">公民身份号码</th><td>\(blank)</td>",
                "<h2>纠纷主要事实</h2>\n<p>\(blank)</p>",
                "<h2>争议事项</h2>\n<p>\(blank)</p>",
            ]
        )
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testThePagePrintsAloneOnA4WithNothingToFetchOrRun() throws {
        let html = AgreementDocument.html(try P.agreed(), committee: P.committee)
        XCTAssertEqual(problems(ofPage: html), [])
        XCTAssertTrue(html.contains("<meta charset=\"utf-8\" />"))
        XCTAssertTrue(html.contains("@page { size: A4;"))
        XCTAssertTrue(html.contains("content=\"default-src 'none'; style-src 'unsafe-inline'\""))
        XCTAssertEqual(occurrences(of: "<style>", in: html), 1)
    }

    func testProblemsOfPageFindsWhatItLooksFor() {
        // The check the documents are held to finds each kind of fault, so a passing document means something.
        let good = "<!DOCTYPE html>\n<html lang=\"zh-CN\"><body><p>a &amp; b &#12288; src=x</p></body></html>"
        XCTAssertEqual(problems(ofPage: good), [])
        for (fault, expected) in [
            (good.replacingOccurrences(of: "</p>", with: ""), "</body> closes <p>"),
            (good.replacingOccurrences(of: "&amp;", with: "&"), "a bare &"),
            (good.replacingOccurrences(of: "a &amp;", with: "a < b"), "text that is not a tag"),
            (good.replacingOccurrences(of: "b ", with: "<script>x</script>"), "a <script> element"),
            (good.replacingOccurrences(of: "<p>", with: "<p style=\"x: url(y)\">"), "<p> has url("),
            (good.replacingOccurrences(of: "<p>", with: "<p onclick=\"x()\">"), "<p> has an event handler"),
            (good.replacingOccurrences(of: "<body>", with: "<body><style>@import \"x\";</style>"), "has @import"),
            (good.replacingOccurrences(of: "<!DOCTYPE html>\n", with: ""), "does not start as an HTML5 page"),
        ] {
            let found = problems(ofPage: fault)
            XCTAssertTrue(found.contains { $0.contains(expected) }, "\(fault): \(found)")
        }
    }
}
