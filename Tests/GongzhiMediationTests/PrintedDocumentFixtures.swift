import Foundation
import GongzhiMediation
import GongzhiMediationSchemas
import XCTest

/// The leaking-ceiling dispute written as a committee writes it, for the printed documents: parties with their
/// ID numbers and addresses, an agreement in Chinese, taken through the real procedure to an agreement in
/// effect; and checks that a page is well formed and self-contained.
enum PrintedDocumentFixtures {
    typealias F = MediationFixtures

    static let committee = "西湖区文新街道荷花社区人民调解委员会"
    static let court = "杭州市西湖区人民法院"
    static let number = "(2026)荷调字第12号"

    /// A date left to write by hand, and a ruled blank, as the pages print them.
    static let blankDate = "&#12288;&#12288;&#12288;&#12288;年&#12288;&#12288;月&#12288;&#12288;日"
    static let blank = "<span class=\"blank\">&#12288;</span>"

    /// 2026-12-31 24:00 in China (2026-12-31T16:00Z), written out: the end of New Year's Eve.
    static let newYearMidnight: Int64 = 1_798_732_800_000

    static func wang() -> Party {
        var party = F.resident("p1", "王军", .applicant, resident: "R0001", household: "H0001")
        party.idNumber = "330106198001011234"
        party.address = "杭州市西湖区荷花小区3幢2单元501室"
        party.phone = "13800000001"
        return party
    }

    static func li() -> Party {
        var party = F.resident("p2", "李芳", .respondent, resident: "R0002", household: "H0002")
        party.idNumber = "33010619850202234X"
        party.address = "杭州市西湖区荷花小区3幢2单元601室"
        party.phone = "13900000002"
        return party
    }

    /// The property company, brought in as a third party because the drain stack is shared.
    static func propertyCompany() -> Party {
        .with {
            $0.id = "p3"
            $0.kind = .organization
            $0.organizationID = "O0300"
            $0.name = "杭州荷花物业服务有限公司"
            $0.role = .other
            $0.idNumber = "91330106MA2B0C0D1E"
            $0.address = "杭州市西湖区荷花路8号"
            $0.representative = "赵强（法定代表人）"
            $0.phone = "0571-88000000"
        }
    }

    static func agreement(parties: [Party]) -> Agreement {
        .with {
            $0.partyIds = parties.map(\.id)
            $0.facts = "自2026年11月起，601室卫生间地漏渗水，致501室卫生间吊顶两次脱落。\n双方多次协商未果。"
            $0.matters = [
                .with {
                    $0.summary = "地漏的修缮"
                    $0.kind = .civil
                },
                .with {
                    $0.summary = "501室吊顶的损失赔偿"
                    $0.kind = .civil
                },
            ]
            $0.responsibilities = "渗水系601室地漏老化所致，李芳对地漏负维修责任。"
            $0.terms = "一、李芳请有资质的维修人员修缮地漏。\n二、李芳赔偿王军吊顶损失人民币800元。\n三、王军不再就此事另行主张权利。"
            $0.obligations = obligations()
        }
    }

    /// o1: Li Fang repairs the drain by the end of 2026-12-20; o2: she pays 800 yuan by the end of 2026-12-31.
    static func obligations() -> [Gongzhi_Mediation_V1_Obligation] {
        [
            F.obligation("o1", "p2", "修缮601室卫生间地漏", "由有资质的维修人员上门修缮", F.o1Deadline),
            F.obligation("o2", "p2", "赔偿吊顶损失人民币800元", "银行转账至王军账户", F.o2Deadline),
        ]
    }

    /// Accepted, mediated by Chen Li (陈丽) in one session, and the agreement drafted at 2026-12-09 10:00 in China:
    /// not yet signed or sealed.
    static func drafted(parties: [Party] = [wang(), li()]) throws(MediationRefusal) -> Dispute {
        var request = F.application(parties: parties)
        request.title = "楼上漏水"
        var d = try DisputeProcedure.open(request, id: "D1", by: F.staff, at: F.t0)
        d = try F.step(.accept(consents: F.consents(parties.map { ($0.id, true) }), note: ""), d)
        d = try F.step(.assignMediators([F.mediator("chen-li", "陈丽")], profiles: [F.chenProfile], note: ""), d)
        d = try F.step(.recordSession(F.session()), d, at: F.t0 + F.day)
        return try F.step(.draftAgreement(agreement(parties: parties)), d, at: signedAt)
    }

    /// Drafted, then signed by every party and Chen Li and sealed with the number at 2026-12-09 10:00 in China:
    /// in effect from then.
    static func agreed(parties: [Party] = [wang(), li()]) throws(MediationRefusal) -> Dispute {
        var d = try drafted(parties: parties)
        for party in parties {
            d = try F.step(.sign(role: .party, signerID: party.id), d, at: signedAt)
        }
        d = try F.step(.sign(role: .mediator, signerID: "chen-li"), d, at: signedAt)
        return try F.step(.seal(number: number), d, at: signedAt)
    }

    /// 2026-12-09 10:00 in China: when the fixtures' agreement is drafted, signed and sealed.
    static let signedAt = F.t0 + 2 * F.day
}

/// Asserts that each of `phrases` occurs in `html`, in that order.
func assertInOrder(_ html: String, _ phrases: [String], file: StaticString = #filePath, line: UInt = #line) {
    var rest = html[...]
    for phrase in phrases {
        guard let range = rest.range(of: phrase) else {
            let found = html.contains(phrase) ? "found, but out of order" : "missing"
            XCTFail("\"\(phrase)\" \(found)", file: file, line: line)
            return
        }
        rest = rest[range.upperBound...]
    }
}

/// The times `phrase` occurs in `html`.
func occurrences(of phrase: String, in html: String) -> Int {
    html.components(separatedBy: phrase).count - 1
}

/// What is wrong with `html` as a page that prints alone: tags that do not nest or close, a `<` or `&` in text
/// that is not markup or a character reference, scripts and event handlers, and markup or style that would fetch
/// from elsewhere. Text is only text: what it says is not looked at.
func problems(ofPage html: String) -> [String] {
    var problems: [String] = []
    if !html.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">") {
        problems.append("does not start as an HTML5 page in Chinese")
    }
    let voidElements: Set<String> = ["meta", "br", "hr", "img", "input", "link", "source", "embed", "base"]
    let fetchingElements: Set<String> = [
        "script", "link", "img", "iframe", "object", "embed", "base", "audio", "video", "source", "form",
    ]
    var open: [String] = []
    var index = html.startIndex
    while index < html.endIndex {
        let character = html[index]
        if character == "&" {
            let end = html[index...].firstIndex(of: ";") ?? html.endIndex
            let name = html[html.index(after: index)..<end]
            let isReference =
                end != html.endIndex
                && (["amp", "lt", "gt", "quot"].contains(name)
                    || (name.hasPrefix("#") && name.count > 1 && name.dropFirst().allSatisfy(\.isNumber)))
            if !isReference { problems.append("a bare & before \"\(html[index...].prefix(12))\"") }
            index = html.index(after: index)
            continue
        }
        guard character == "<" else {
            index = html.index(after: index)
            continue
        }
        guard let close = html[index...].firstIndex(of: ">") else {
            problems.append("an unclosed < at the end")
            break
        }
        let tag = html[html.index(after: index)..<close]
        index = html.index(after: close)
        if tag.hasPrefix("!") { continue }
        if tag.hasPrefix("/") {
            let name = String(tag.dropFirst())
            if open.last == name {
                open.removeLast()
            } else {
                problems.append("</\(name)> closes <\(open.last ?? "nothing")>")
            }
            continue
        }
        let name = String(tag.prefix { $0.isLetter || $0.isNumber })
        if name.isEmpty || name != name.lowercased() {
            problems.append("text that is not a tag: <\(tag.prefix(20))")
            continue
        }
        if fetchingElements.contains(name) { problems.append("a <\(name)> element") }
        let attributes = tag.dropFirst(name.count).lowercased()
        for fetching in ["src=", "href=", "url(", "action="] where attributes.contains(fetching) {
            problems.append("<\(name)> has \(fetching)")
        }
        if attributes.split(separator: " ").contains(where: { $0.hasPrefix("on") && $0.contains("=") }) {
            problems.append("<\(name)> has an event handler")
        }
        if tag.hasSuffix("/") || voidElements.contains(name) { continue }
        open.append(name)
        if name == "style", let end = html[index...].range(of: "</style>") {
            let css = html[index..<end.lowerBound].lowercased()
            for fetching in ["url(", "@import", "@font-face"] where css.contains(fetching) {
                problems.append("the style sheet has \(fetching)")
            }
            index = end.lowerBound
        }
    }
    if !open.isEmpty { problems.append("never closed: \(open)") }
    return problems
}
