import GongzhiMediationSchemas

/// The mediation agreement as the standard 人民调解协议书 (人民调解法 Art 29, the Ministry of Justice's forms
/// for people's mediation), one self-contained HTML5 page to print on A4 and sign: the committee and the
/// document's number, the parties, the main facts, the disputed matters, each party's responsibility, the terms,
/// every obligation with how and by when it is performed, when the agreement takes effect and the right to
/// judicial confirmation, the number of copies, and lines for every party's and mediator's signature, the seal
/// and the date. Every text from the dispute is escaped; nothing is fetched and nothing runs.
public enum AgreementDocument {
    /// The agreement of `dispute` as printable HTML, headed with `committee` (`西湖区某某社区人民调解委员会`).
    /// A signature or seal already recorded shows with its date; the rest are blank lines to sign by hand.
    public static func html(_ dispute: Gongzhi_Mediation_V1_Dispute, committee: String) -> String {
        let agreement = dispute.agreement
        let parties = PrintedPage.parties(of: dispute)
        let number = PrintedPage.trimmed(agreement.number)
        var page = PrintedPage(title: number.isEmpty ? "人民调解协议书" : "人民调解协议书 \(number)")

        page.append("<header>")
        page.append("<p class=\"committee\">\(PrintedPage.valueOrBlank(committee))</p>")
        page.append("<h1>人民调解协议书</h1>")
        page.append("<p class=\"number\">编号：\(PrintedPage.valueOrBlank(number))</p>")
        page.append("</header>")

        page.append("<section class=\"parties\">")
        page.append("<h2>当事人</h2>")
        for party in parties {
            page.append("<table class=\"party\">")
            page.append(PrintedPage.identityRows(of: party, heading: party.role.chineseName))
            page.append("</table>")
        }
        page.append("</section>")

        page.append(section("纠纷主要事实", PrintedPage.paragraphs(agreement.facts)))
        page.append(section("争议事项", matters(agreement.matters)))
        page.append(section("各方当事人的责任", PrintedPage.paragraphs(agreement.responsibilities)))
        page.append(
            section(
                "协议内容",
                "<p>经人民调解委员会主持调解，各方当事人自愿达成如下协议：</p>\n"
                    + PrintedPage.paragraphs(agreement.terms)
            )
        )
        page.append(section("履行方式和期限", obligations(agreement.obligations, parties: dispute.parties)))

        let copies = PrintedPage.chineseNumeral(parties.count + 1)
        page.append("<section class=\"ending\">")
        page.append("<p>本协议自各方当事人签名（盖章或者按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。</p>")
        page.append("<p>当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。</p>")
        page.append("<p>本协议一式\(copies)份，当事人各执一份，人民调解委员会留存一份。</p>")
        page.append(signatures(dispute, parties: parties))
        page.append(closing(dispute.agreement, committee: committee))
        page.append("</section>")
        return page.html
    }

    // MARK: - Sections

    private static func section(_ heading: String, _ contentHTML: String) -> String {
        "<section>\n<h2>\(heading)</h2>\n\(contentHTML)\n</section>"
    }

    private static func matters(_ matters: [Gongzhi_Mediation_V1_Matter]) -> String {
        let items = matters.map(\.summary).filter { !$0.allSatisfy(\.isWhitespace) }
        if items.isEmpty { return "<p>\(PrintedPage.blank)</p>" }
        return "<ol>\n" + items.map { "<li>\(PrintedPage.escape($0))</li>" }.joined(separator: "\n") + "\n</ol>"
    }

    private static func obligations(
        _ obligations: [Gongzhi_Mediation_V1_Obligation],
        parties: [Gongzhi_Mediation_V1_Party]
    ) -> String {
        if obligations.isEmpty {
            return "<p>本协议没有须另行履行的义务。</p>"
        }
        let names = Dictionary(parties.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var html = """
            <table class="obligations">
            <tr><th scope="col">序号</th><th scope="col">义务人</th><th scope="col">应当履行的义务</th>\
            <th scope="col">履行方式</th><th scope="col">履行期限</th></tr>
            """
        for (index, obligation) in obligations.enumerated() {
            let obligor = names[obligation.partyID].flatMap { $0.isEmpty ? nil : $0 } ?? obligation.partyID
            let deadline =
                obligation.deadlineMs > 0
                ? "\(PrintedPage.lastDay(ofDeadline: obligation.deadlineMs))前（含当日）" : PrintedPage.blankDate
            html += "\n<tr><td>\(index + 1)</td><td>\(PrintedPage.valueOrBlank(obligor))</td>"
            html += "<td>\(PrintedPage.valueOrBlank(obligation.content))</td>"
            html += "<td>\(PrintedPage.valueOrBlank(obligation.method))</td><td>\(deadline)</td></tr>"
        }
        return html + "\n</table>"
    }

    // MARK: - Signatures, seal and date

    private static func signatures(
        _ dispute: Gongzhi_Mediation_V1_Dispute,
        parties: [Gongzhi_Mediation_V1_Party]
    ) -> String {
        let agreement = dispute.agreement
        var signedAt: [Gongzhi_Mediation_V1_Signature.Role: [String: Int64]] = [:]
        for signature in agreement.signatures {
            signedAt[signature.role, default: [:]][signature.signerID] = signature.atMs
        }
        var rows: [String] = []
        for party in parties {
            rows.append(signatureRow(party.role.chineseName, name: party.name, at: signedAt[.party]?[party.id]))
        }
        var mediatorIDs = Set<String>()
        for mediator in dispute.mediators {
            mediatorIDs.insert(mediator.personID)
            rows.append(signatureRow("人民调解员", name: mediator.name, at: signedAt[.mediator]?[mediator.personID]))
        }
        // A mediator's signature recorded for someone no longer listed among the mediators still shows.
        for signature in agreement.signatures where signature.role == .mediator {
            if mediatorIDs.insert(signature.signerID).inserted {
                rows.append(signatureRow("人民调解员", name: signature.signerID, at: signature.atMs))
            }
        }
        if mediatorIDs.isEmpty {
            rows.append(signatureRow("人民调解员", name: "", at: nil))
        }
        return """
            <table class="signatures">
            <tr><th scope="col">身份</th><th scope="col">姓名或者名称</th>\
            <th scope="col">签名（盖章或者按指印）</th><th scope="col">日期</th></tr>
            \(rows.joined(separator: "\n"))
            </table>
            """
    }

    /// A signature line: who, a line to sign on (marked signed once the signature is recorded) and the date.
    private static func signatureRow(_ label: String, name: String, at signedAtMs: Int64?) -> String {
        let mark = signedAtMs == nil ? "" : "<span class=\"signed\">已签名</span>"
        let date = PrintedPage.date(at: signedAtMs ?? 0)
        return
            "<tr><th scope=\"row\">\(label)</th><td>\(PrintedPage.valueOrBlank(name))</td>"
            + "<td class=\"line\">\(mark)</td><td class=\"date\">\(date)</td></tr>"
    }

    /// The place for the committee's seal beside its name, when it sealed, and the day the agreement took effect.
    private static func closing(_ agreement: Gongzhi_Mediation_V1_Agreement, committee: String) -> String {
        var lines = ["<p>\(PrintedPage.valueOrBlank(committee))（盖章）</p>"]
        if agreement.sealedAtMs > 0 {
            lines.append("<p class=\"signed\">已于\(PrintedPage.date(at: agreement.sealedAtMs))盖章</p>")
        }
        lines.append("<p>\(PrintedPage.date(at: agreement.effectiveAtMs))</p>")
        return """
            <div class="closing">
            <span class="seal">人民调解委员会（印）</span>
            <div>
            \(lines.joined(separator: "\n"))
            </div>
            </div>
            """
    }
}
