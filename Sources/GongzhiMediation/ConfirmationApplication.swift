import GongzhiCalendar
import GongzhiMediationSchemas

/// The parties' joint application for judicial confirmation of their mediation agreement (司法确认申请书: 人民调解法
/// Art 33, the Civil Procedure Law's special procedure for confirming mediation agreements, 法释〔2011〕5号), one
/// self-contained HTML5 page to print on A4 and sign: every party as an applicant with identity, address for
/// service and phone; the request to confirm the agreement; the facts and reasons with the agreement's terms;
/// the declarations a court asks of the applicants; the court addressed; the attachments; a signature line for
/// every applicant and the date. Every text from the dispute is escaped; nothing is fetched and nothing runs.
public enum ConfirmationApplication {
    /// The joint application of `dispute`'s parties to `court` (`杭州市西湖区人民法院`) for confirming the agreement
    /// reached under `committee`'s mediation. The date is the application's, once recorded; else blank. The last
    /// day to apply is the 30th after the agreement's effect, moved past `restDays`.
    public static func html(
        _ dispute: Gongzhi_Mediation_V1_Dispute,
        court: String,
        committee: String,
        restDays: RestDays = .standard
    ) -> String {
        let agreement = dispute.agreement
        let parties = PrintedPage.parties(of: dispute)
        let number = PrintedPage.trimmed(agreement.number)
        let committeeHTML = PrintedPage.valueOrBlank(committee)
        let effective = PrintedPage.date(at: agreement.effectiveAtMs)
        let numbered = number.isEmpty ? "" : "（编号：\(PrintedPage.escape(number))）"
        let applicants = joinedNames(parties.map { "申请人" + PrintedPage.valueOrBlank($0.name) })
        var page = PrintedPage(title: "司法确认申请书")

        page.append("<header>")
        page.append("<h1>司法确认申请书</h1>")
        page.append("</header>")

        page.append("<section class=\"parties\">")
        page.append("<h2>申请人</h2>")
        for party in parties {
            page.append("<table class=\"party\">")
            page.append(PrintedPage.identityRows(of: party, heading: "申请人"))
            page.append(PrintedPage.row("调解中的地位", party.role.chineseName))
            page.append("</table>")
        }
        page.append("<p>以上住址（住所）为各申请人确认的送达地址，联系电话为各申请人的联系方式。</p>")
        page.append("</section>")

        page.append("<section>")
        page.append("<h2>请求事项</h2>")
        page.append("<p>确认\(applicants)于\(effective)经\(committeeHTML)主持调解达成的调解协议\(numbered)有效。</p>")
        page.append("</section>")

        page.append("<section>")
        page.append("<h2>事实和理由</h2>")
        page.append(
            "<p>\(applicants)因\(dispute.type.chineseName)\(title(of: dispute))，经\(committeeHTML)主持调解，达成调解协议。"
                + "调解协议经各方当事人签名（盖章或者按指印）、人民调解员签名并加盖人民调解委员会印章，于\(effective)生效。"
                + "调解协议的内容如下：</p>"
        )
        page.append(PrintedPage.paragraphs(agreement.terms))
        page.append(obligations(agreement.obligations, parties: dispute.parties))
        page.append(
            "<p>申请人认为有必要，依照《中华人民共和国人民调解法》第三十三条、《中华人民共和国民事诉讼法》关于确认调解协议案件的规定"
                + "和《最高人民法院关于人民调解协议司法确认程序的若干规定》，自调解协议生效之日起三十日内"
                + "\(windowEnd(agreement.effectiveAtMs, restDays: restDays))共同向人民法院申请司法确认。</p>"
        )
        page.append("</section>")

        page.append("<section>")
        page.append("<h2>申请人声明</h2>")
        page.append("<p>各申请人共同声明并承诺：</p>")
        page.append("<ol>")
        for declaration in declarations {
            page.append("<li>\(declaration)</li>")
        }
        page.append("</ol>")
        page.append("</section>")

        page.append("<section>")
        page.append("<p class=\"salutation\">此致</p>")
        page.append("<p class=\"court\">\(courtName(court))</p>")
        page.append("</section>")

        page.append("<section>")
        page.append("<h2>附件</h2>")
        page.append("<ol>")
        page.append("<li>人民调解协议书一份\(numbered)；</li>")
        for party in parties {
            page.append("<li>\(PrintedPage.valueOrBlank(party.name))的\(identityProof(of: party))；</li>")
        }
        page.append("<li>\(committeeHTML)主持调解的证明一份；</li>")
        page.append("<li>与调解协议相关的财产权利证明等证明材料（如有）；</li>")
        page.append("<li>授权委托书（委托他人代为申请的）。</li>")
        page.append("</ol>")
        page.append("</section>")

        page.append(signatures(parties, appliedAtMs: dispute.confirmation.appliedAtMs))
        return page.html
    }

    /// What the applicants declare, as courts ask it of a joint application: free will and no collusion, no
    /// harm to the state, the public or anyone else, a matter a court may confirm, no arbitration or suit
    /// already brought, true materials, and liability for harm the agreement causes others.
    private static let declarations = [
        "本调解协议系各申请人出于解决纠纷的目的自愿达成，是各申请人真实的意思表示，没有恶意串通、规避法律的行为；",
        "调解协议的内容不违反法律、行政法规的强制性规定，不损害国家利益、社会公共利益和他人合法权益，不违背公序良俗；",
        "调解协议不涉及确认婚姻关系、收养关系、亲子关系等身份关系，不涉及物权、知识产权的确权；",
        "各申请人就本纠纷未申请过仲裁，未向人民法院提起过诉讼，也未向其他人民法院申请过司法确认；",
        "各申请人提交的材料真实、合法，所填身份信息、送达地址和联系方式真实、准确；",
        "如因调解协议的内容给他人造成损害，各申请人愿意承担相应的民事责任和其他法律责任。",
    ]

    // MARK: - Parts

    /// `申请人王军、申请人李芳与申请人某物业公司`.
    private static func joinedNames(_ names: [String]) -> String {
        guard let last = names.last else { return PrintedPage.blank }
        if names.count == 1 { return last }
        return names.dropLast().joined(separator: "、") + "与" + last
    }

    /// `（楼上漏水）` from the dispute's title, or nothing.
    private static func title(of dispute: Gongzhi_Mediation_V1_Dispute) -> String {
        let title = PrintedPage.trimmed(dispute.title)
        return title.isEmpty ? "" : "（\(PrintedPage.escape(title))）"
    }

    /// `（即2027年1月8日前）`: the last day of the 30 days, once the agreement is in effect.
    private static func windowEnd(_ effectiveAtMs: Int64, restDays: RestDays) -> String {
        guard effectiveAtMs > 0 else { return "" }
        let end = restDays.moved(LegalClocks.confirmationWindowEnd(effectiveAtMs: effectiveAtMs))
        return "（即\(PrintedPage.lastDay(ofDeadline: end))前）"
    }

    private static func courtName(_ court: String) -> String {
        let name = PrintedPage.trimmed(court)
        return name.isEmpty ? "\(PrintedPage.blank)人民法院" : PrintedPage.escape(name)
    }

    private static func identityProof(of party: Gongzhi_Mediation_V1_Party) -> String {
        party.kind == .organization
            ? "营业执照或者登记证书复印件、法定代表人身份证明（或者授权委托书）各一份"
            : "居民身份证复印件一份"
    }

    private static func obligations(
        _ obligations: [Gongzhi_Mediation_V1_Obligation],
        parties: [Gongzhi_Mediation_V1_Party]
    ) -> String {
        if obligations.isEmpty { return "" }
        let names = Dictionary(parties.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var html = "<p>履行方式和期限：</p>\n<ol>"
        for obligation in obligations {
            let obligor = names[obligation.partyID].flatMap { $0.isEmpty ? nil : $0 } ?? obligation.partyID
            html += "\n<li>\(PrintedPage.valueOrBlank(obligor))：\(PrintedPage.valueOrBlank(obligation.content))；"
            html += "履行方式：\(PrintedPage.valueOrBlank(obligation.method))；"
            html += "履行期限：\(PrintedPage.lastDay(ofDeadline: obligation.deadlineMs))前（含当日）。</li>"
        }
        return html + "\n</ol>"
    }

    private static func signatures(_ parties: [Gongzhi_Mediation_V1_Party], appliedAtMs: Int64) -> String {
        var html = """
            <section class="ending">
            <table class="signatures">
            <tr><th scope="col">申请人</th><th scope="col">签名（盖章或者按指印）</th></tr>
            """
        for party in parties {
            let sign = party.kind == .organization ? "<span class=\"signed\">（盖章）法定代表人或者代理人签名：</span>" : ""
            html += "\n<tr><th scope=\"row\">\(PrintedPage.valueOrBlank(party.name))</th>"
            html += "<td class=\"line\">\(sign)</td></tr>"
        }
        html += "\n</table>\n<p class=\"date-line\">\(PrintedPage.date(at: appliedAtMs))</p>\n</section>"
        return html
    }
}
