import GongzhiCalendar
import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

/// The printed 司法确认申请书: the applicants with identity and address for service, the request, the facts and
/// reasons, the declarations, the court, the attachments, the signatures, escaping, and a page that prints alone.
final class ConfirmationApplicationTests: XCTestCase {
    typealias P = PrintedDocumentFixtures

    func testAFullApplicationHasEverySectionInOrder() throws {
        let html = ConfirmationApplication.html(try P.agreed(), court: P.court, committee: P.committee)
        assertInOrder(
            html,
            [
                "<title>司法确认申请书</title>",
                "<h1>司法确认申请书</h1>",
                "<h2>申请人</h2>",
                "<th scope=\"row\">申请人</th><td>王军</td>",
                "<th scope=\"row\">公民身份号码</th><td>330106198001011234</td>",
                "<th scope=\"row\">住址</th><td>杭州市西湖区荷花小区3幢2单元501室</td>",
                "<th scope=\"row\">联系电话</th><td>13800000001</td>",
                "<th scope=\"row\">调解中的地位</th><td>申请人</td>",
                "<th scope=\"row\">申请人</th><td>李芳</td>",
                "<th scope=\"row\">公民身份号码</th><td>33010619850202234X</td>",
                "<th scope=\"row\">住址</th><td>杭州市西湖区荷花小区3幢2单元601室</td>",
                "<th scope=\"row\">调解中的地位</th><td>被申请人</td>",
                "为各申请人确认的送达地址",
                "<h2>请求事项</h2>",
                "<p>确认申请人王军与申请人李芳于2026年12月9日经西湖区文新街道荷花社区人民调解委员会主持调解达成的调解协议"
                    + "（编号：(2026)荷调字第12号）有效。</p>",
                "<h2>事实和理由</h2>",
                "申请人王军与申请人李芳因邻里纠纷（楼上漏水），经西湖区文新街道荷花社区人民调解委员会主持调解，达成调解协议。",
                "于2026年12月9日生效",
                "<p>二、李芳赔偿王军吊顶损失人民币800元。</p>",
                "<li>李芳：修缮601室卫生间地漏；履行方式：由有资质的维修人员上门修缮；履行期限：2026年12月20日前（含当日）。</li>",
                "《中华人民共和国人民调解法》第三十三条",
                // 30 days from the 9th, the day of effect not counted: the last day is 2027-01-08.
                "自调解协议生效之日起三十日内（即2027年1月8日前）共同向人民法院申请司法确认。",
                "<h2>申请人声明</h2>",
                "出于解决纠纷的目的自愿达成",
                "没有恶意串通、规避法律的行为",
                "不损害国家利益、社会公共利益和他人合法权益",
                "不涉及确认婚姻关系、收养关系、亲子关系等身份关系",
                "未申请过仲裁，未向人民法院提起过诉讼",
                "提交的材料真实、合法",
                "愿意承担相应的民事责任和其他法律责任",
                "<p class=\"salutation\">此致</p>",
                "<p class=\"court\">杭州市西湖区人民法院</p>",
                "<h2>附件</h2>",
                "<li>人民调解协议书一份（编号：(2026)荷调字第12号）；</li>",
                "<li>王军的居民身份证复印件一份；</li>",
                "<li>李芳的居民身份证复印件一份；</li>",
                "<li>西湖区文新街道荷花社区人民调解委员会主持调解的证明一份；</li>",
                "财产权利证明",
                "授权委托书",
                "<table class=\"signatures\">",
                "<tr><th scope=\"row\">王军</th><td class=\"line\"></td></tr>",
                "<tr><th scope=\"row\">李芳</th><td class=\"line\"></td></tr>",
            ]
        )
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testTheDateIsTheApplicationsOnceRecordedElseBlank() throws {
        var dispute = try P.agreed()
        let blankDate = "<p class=\"date-line\">\(P.blankDate)</p>"
        XCTAssertTrue(ConfirmationApplication.html(dispute, court: P.court, committee: P.committee).contains(blankDate))
        // Applied at 00:30 on New Year's Day in China, 16:30 UTC on New Year's Eve.
        dispute.confirmation.appliedAtMs = P.newYearMidnight + 30 * 60_000
        let html = ConfirmationApplication.html(dispute, court: P.court, committee: P.committee)
        XCTAssertTrue(html.contains("<p class=\"date-line\">2027年1月1日</p>"))
        XCTAssertFalse(html.contains(blankDate))
    }

    func testTheDayOfEffectAndTheWindowAreChinaDates() throws {
        var dispute = try P.agreed()
        // In effect at 23:59 on New Year's Eve in China (15:59 UTC): the 30 days end with 2027-01-30.
        dispute.agreement.effectiveAtMs = P.newYearMidnight - 60_000
        // That weekend made working days, so that the last days stay where they fall.
        let working = RestDays(workingDays: [
            .init(year: 2027, month: 1, day: 30), .init(year: 2027, month: 1, day: 31),
        ])
        var html = ConfirmationApplication.html(dispute, court: P.court, committee: P.committee, restDays: working)
        XCTAssertTrue(html.contains("于2026年12月31日经"))
        XCTAssertTrue(html.contains("（即2027年1月30日前）"))
        // At 00:30 on New Year's Day (16:30 UTC on New Year's Eve): in effect on the 1st, the window ends with the 31st.
        dispute.agreement.effectiveAtMs = P.newYearMidnight + 30 * 60_000
        html = ConfirmationApplication.html(dispute, court: P.court, committee: P.committee, restDays: working)
        XCTAssertTrue(html.contains("于2027年1月1日经"))
        XCTAssertTrue(html.contains("（即2027年1月31日前）"))
        // As the calendar is, Sunday the 31st moves the last day to Monday 1 February (Civil Code Art 203).
        html = ConfirmationApplication.html(dispute, court: P.court, committee: P.committee)
        XCTAssertTrue(html.contains("（即2027年2月1日前）"))
    }

    func testAnAgreementNotYetInEffectLeavesItsDateToFillInAndNamesNoLastDay() throws {
        let html = ConfirmationApplication.html(try P.drafted(), court: P.court, committee: P.committee)
        XCTAssertTrue(html.contains("于\(P.blankDate)经"))
        XCTAssertTrue(html.contains("自调解协议生效之日起三十日内共同向人民法院申请司法确认"))
        XCTAssertFalse(html.contains("（即"))
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testAnOrganisationAppliesWithItsCreditCodeAndRepresentativeAndEveryPartyIsAnApplicant() throws {
        let parties = [P.wang(), P.li(), P.propertyCompany()]
        let html = ConfirmationApplication.html(try P.agreed(parties: parties), court: P.court, committee: P.committee)
        assertInOrder(
            html,
            [
                "<th scope=\"row\">申请人</th><td>杭州荷花物业服务有限公司</td>",
                "<th scope=\"row\">统一社会信用代码</th><td>91330106MA2B0C0D1E</td>",
                "<th scope=\"row\">住所</th><td>杭州市西湖区荷花路8号</td>",
                "<th scope=\"row\">法定代表人或者代理人</th><td>赵强（法定代表人）</td>",
                "<th scope=\"row\">调解中的地位</th><td>第三人</td>",
                "确认申请人王军、申请人李芳与申请人杭州荷花物业服务有限公司于2026年12月9日经",
                "<li>杭州荷花物业服务有限公司的营业执照或者登记证书复印件、法定代表人身份证明（或者授权委托书）各一份；</li>",
                "<tr><th scope=\"row\">杭州荷花物业服务有限公司</th><td class=\"line\"><span class=\"signed\">"
                    + "（盖章）法定代表人或者代理人签名：</span></td></tr>",
            ]
        )
        XCTAssertEqual(occurrences(of: "<table class=\"party\">", in: html), 3)
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testAnAgreementWithoutObligationsListsNone() throws {
        var dispute = try P.agreed()
        dispute.agreement.obligations = []
        let html = ConfirmationApplication.html(dispute, court: P.court, committee: P.committee)
        XCTAssertFalse(html.contains("履行方式和期限"))
        assertInOrder(html, ["<p>三、王军不再就此事另行主张权利。</p>", "<p>申请人认为有必要"])
        XCTAssertEqual(problems(ofPage: html), [])
    }

    func testAMissingCourtLeavesALineBeforeItsTitle() throws {
        let html = ConfirmationApplication.html(try P.agreed(), court: "  ", committee: P.committee)
        XCTAssertTrue(html.contains("<p class=\"court\">\(P.blank)人民法院</p>"))
    }

    func testEveryTextFromTheDisputeIsEscaped() throws {
        var dispute = try P.agreed()
        dispute.title = "漏水<script>"
        dispute.parties[0].name = "王<script>alert(1)</script>&军"
        dispute.parties[1].idNumber = "<b>3301</b>"
        dispute.parties[1].address = "\"601\" & '室'"
        dispute.agreement.number = "<i>12</i>"
        dispute.agreement.terms = "赔偿<b>800</b>元 & 道歉"
        dispute.agreement.obligations[1].method = "<a href=\"x\">转账</a>"
        let html = ConfirmationApplication.html(dispute, court: "西湖区<人民>法院 & 庭", committee: "荷花<调委会>")

        XCTAssertEqual(problems(ofPage: html), [])
        for escaped in [
            "（漏水&lt;script&gt;）",
            "申请人王&lt;script&gt;alert(1)&lt;/script&gt;&amp;军",
            "<td>&lt;b&gt;3301&lt;/b&gt;</td>",
            "&quot;601&quot; &amp; &#39;室&#39;",
            "（编号：&lt;i&gt;12&lt;/i&gt;）",
            "赔偿&lt;b&gt;800&lt;/b&gt;元 &amp; 道歉",
            "&lt;a href=&quot;x&quot;&gt;转账&lt;/a&gt;",
            "<p class=\"court\">西湖区&lt;人民&gt;法院 &amp; 庭</p>",
            "经荷花&lt;调委会&gt;主持调解",
            "<tr><th scope=\"row\">王&lt;script&gt;alert(1)&lt;/script&gt;&amp;军</th>",
        ] {
            XCTAssertTrue(html.contains(escaped), "missing \(escaped)")
        }
        for raw in ["<script", "<b>", "<i>", "<a "] {
            XCTAssertFalse(html.contains(raw), "unescaped \(raw)")
        }
    }
}
