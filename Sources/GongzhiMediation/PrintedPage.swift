import GongzhiCalendar
import GongzhiMediationSchemas

/// What the printed documents of a dispute share: one self-contained HTML5 page for A4 paper (inline CSS, no
/// scripts, nothing fetched from anywhere), the escaping of every text that comes from a dispute, and the way
/// parties, dates and signature lines are written.
struct PrintedPage {
    /// The page's title, as plain text.
    var title: String
    /// The body's HTML, appended to in the order it prints.
    var body = ""

    init(title: String) {
        self.title = title
    }

    mutating func append(_ html: String) {
        body += html
        body += "\n"
    }

    /// The whole page. The Content-Security-Policy forbids scripts and every outside resource, so that a text
    /// that escaped escaping still could not run or fetch anything.
    var html: String {
        """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>\(Self.escape(title))</title>
        <style>
        \(Self.styleSheet)
        </style>
        </head>
        <body>
        <main class="document">
        \(body)</main>
        </body>
        </html>

        """
    }

    /// A4 with the margins of official documents, a Song (serif) face at 小四 size, ruled lines to write on, no
    /// heading alone at the foot of a page, and no page break inside a party, a row, or the closing clauses with
    /// the signatures (so that no page holds signatures without the text they sign).
    static let styleSheet = """
        @page { size: A4; margin: 25mm 22mm 22mm 25mm; }
        html { background: #fff; color: #000; }
        body { margin: 0; font-size: 12pt; line-height: 1.8;
          font-family: "SimSun", "Songti SC", "STSong", "Noto Serif CJK SC", "Source Han Serif SC", serif; }
        .document { max-width: 163mm; margin: 0 auto; }
        @media screen { .document { padding: 16mm 0; } }
        header { text-align: center; margin-bottom: 4mm; }
        .committee { font-size: 16pt; letter-spacing: 0.1em; margin: 0; text-indent: 0; }
        h1 { font-size: 22pt; letter-spacing: 0.3em; margin: 2mm 0; }
        .number { text-align: right; text-indent: 0; margin: 0; }
        h2 { font-size: 13pt; margin: 5mm 0 1mm; break-after: avoid; page-break-after: avoid; }
        p { margin: 0; text-indent: 2em; }
        ol { margin: 0; padding-left: 2.5em; }
        table { border-collapse: collapse; width: 100%; margin: 1mm 0 2mm; }
        th, td { border: 0.5pt solid #000; padding: 0.8mm 2mm; text-align: left; vertical-align: top; }
        th { font-weight: normal; white-space: nowrap; width: 8em; }
        table.party th { width: 10em; }
        table.obligations th { width: auto; }
        tr, .party, .ending { break-inside: avoid; page-break-inside: avoid; }
        .blank { display: inline-block; min-width: 10em; border-bottom: 0.5pt solid #000; }
        table.signatures { margin-top: 6mm; }
        table.signatures th, table.signatures td { border: none; padding: 6mm 1mm 0.5mm; vertical-align: bottom; }
        table.signatures tr:first-child th { padding-top: 0; }
        table.signatures th { width: 6em; }
        table.signatures .line { border-bottom: 0.5pt solid #000; width: 45%; }
        table.signatures .date { white-space: nowrap; width: 9em; }
        .signed { font-size: 10.5pt; }
        .closing { margin-top: 6mm; display: flex; justify-content: flex-end; align-items: center; gap: 8mm; }
        .closing p, .date-line { text-indent: 0; text-align: right; }
        .date-line { margin-top: 6mm; }
        .seal { flex: none; display: flex; align-items: center; justify-content: center; width: 38mm; height: 38mm;
          border: 0.5pt dashed #777; border-radius: 50%; color: #555; font-size: 9pt; }
        .salutation { margin-top: 4mm; }
        .court { text-indent: 0; }
        """

    // MARK: - Text

    /// `text` with `&`, `<`, `>`, `"` and `'` written as character references: safe in content and in quoted
    /// attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Each non-empty line of `text` as a paragraph, escaped; a ruled blank to write on when there is none.
    static func paragraphs(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        if lines.isEmpty { return "<p>\(blank)</p>" }
        return lines.map { "<p>\(escape(String($0)))</p>" }.joined(separator: "\n")
    }

    /// `text` escaped, or a ruled blank to write on when it is empty.
    static func valueOrBlank(_ text: String) -> String {
        let trimmed = trimmed(text)
        return trimmed.isEmpty ? blank : escape(trimmed)
    }

    /// `text` without white space at either end.
    static func trimmed(_ text: String) -> String {
        String(text[...].trimmingSpaces())
    }

    /// A ruled blank to write on by hand.
    static let blank = "<span class=\"blank\">&#12288;</span>"

    /// `2026年12月31日` for the day in China holding `ms`, or a blank date to fill in by hand when `ms` is 0.
    static func date(at ms: Int64) -> String {
        ms > 0 ? ChinaCalendar.chineseDateText(at: ms) : blankDate
    }

    /// The last day of a deadline given as the first millisecond past it (the end, 24:00, of its last day), as
    /// the agreement's obligations and the legal clocks hold them; a blank date when there is none.
    static func lastDay(ofDeadline deadlineMs: Int64) -> String {
        deadlineMs > 0 ? ChinaCalendar.chineseDateText(at: deadlineMs - 1) : blankDate
    }

    /// `　　年　　月　　日`: a date to fill in by hand.
    static let blankDate = "&#12288;&#12288;&#12288;&#12288;年&#12288;&#12288;月&#12288;&#12288;日"

    /// 1–99 in Chinese numerals (`三`, `十二`, `二十`), as documents write a number of copies; larger numbers in
    /// digits.
    static func chineseNumeral(_ number: Int) -> String {
        let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
        switch number {
        case 0...9: return digits[number]
        case 10...19: return "十" + (number == 10 ? "" : digits[number - 10])
        case 20...99: return digits[number / 10] + "十" + (number % 10 == 0 ? "" : digits[number % 10])
        default: return String(number)
        }
    }

    // MARK: - Parties

    /// The parties an agreement binds, in the dispute's order: those it names, or every party when it names none.
    static func parties(of dispute: Gongzhi_Mediation_V1_Dispute) -> [Gongzhi_Mediation_V1_Party] {
        let named = Set(dispute.agreement.partyIds)
        if named.isEmpty { return dispute.parties }
        return dispute.parties.filter { named.contains($0.id) }
    }

    /// The rows of a party's identity: name, kind, ID number or credit code, address, who acts for an
    /// organisation, phone. `heading` is the first row's label (`申请人`).
    static func identityRows(of party: Gongzhi_Mediation_V1_Party, heading: String) -> String {
        let organisation = party.kind == .organization
        var rows = [
            row(heading, valueOrBlank(party.name)),
            row("类别", party.kind.chineseName.isEmpty ? blank : party.kind.chineseName),
            row(organisation ? "统一社会信用代码" : "公民身份号码", valueOrBlank(party.idNumber)),
            row(organisation ? "住所" : "住址", valueOrBlank(party.address)),
        ]
        if organisation {
            rows.append(row("法定代表人或者代理人", valueOrBlank(party.representative)))
        }
        rows.append(row("联系电话", valueOrBlank(party.phone)))
        return rows.joined(separator: "\n")
    }

    /// A table row with a label and a value already in HTML.
    static func row(_ label: String, _ valueHTML: String) -> String {
        "<tr><th scope=\"row\">\(label)</th><td>\(valueHTML)</td></tr>"
    }
}

extension Substring {
    /// The text without white space at either end (full-width spaces and line breaks included).
    fileprivate func trimmingSpaces() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension Gongzhi_Mediation_V1_PartyRole {
    /// `申请人`, `被申请人`, `第三人`, or `当事人` when unspecified.
    var chineseName: String {
        switch self {
        case .applicant: "申请人"
        case .respondent: "被申请人"
        case .other: "第三人"
        case .unspecified, .UNRECOGNIZED: "当事人"
        }
    }
}

extension Gongzhi_Mediation_V1_PartyKind {
    /// `自然人`, `法人或者非法人组织`, or empty when unspecified.
    var chineseName: String {
        switch self {
        case .resident: "自然人"
        case .organization: "法人或者非法人组织"
        case .unspecified, .UNRECOGNIZED: ""
        }
    }
}

extension Gongzhi_Mediation_V1_DisputeType {
    /// `邻里纠纷`, `物业纠纷`; `民间纠纷` when other or unspecified.
    var chineseName: String {
        switch self {
        case .family: "婚姻家庭纠纷"
        case .neighbour: "邻里纠纷"
        case .propertyService: "物业纠纷"
        case .renovation: "装修纠纷"
        case .propertyRights: "房屋土地权属和相邻关系纠纷"
        case .labour: "劳动、劳务纠纷"
        case .other, .unspecified, .UNRECOGNIZED: "民间纠纷"
        }
    }
}
