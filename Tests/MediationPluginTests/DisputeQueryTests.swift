import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import XCTest

@testable import gongzhi_mediation

/// Lists, pages, due clocks and figures over disputes in memory.
final class DisputeQueryTests: XCTestCase {
    static let day: Int64 = 86_400_000
    /// 2026-12-07 10:00 in China.
    static let t0: Int64 = 1_796_608_800_000
    static let staff = MediationActor(id: "zhao-min", name: "赵敏")

    /// An applied dispute `id` at `place`, applied `days` after t0.
    static func dispute(
        _ id: String,
        days: Int64 = 0,
        place: String = "330106001001001",
        type: Gongzhi_Mediation_V1_DisputeType = .neighbour
    ) throws -> Gongzhi_Mediation_V1_Dispute {
        var request = Gongzhi_Mediation_V1_ApplyRequest()
        request.type = type
        request.source = .application
        request.placeCode = place
        request.title = "楼上漏水"
        request.buildingID = "B3"
        request.parties = [("王军", .applicant), ("李芳", .respondent)].map { name, role in
            .with {
                $0.kind = .resident
                $0.name = name
                $0.role = role
            }
        }
        return try DisputeProcedure.open(request, id: id, by: staff, at: t0 + days * day)
    }

    /// `dispute` accepted with both parties' consent at its application's time.
    static func accepted(_ dispute: Gongzhi_Mediation_V1_Dispute) throws -> Gongzhi_Mediation_V1_Dispute {
        let consents: [Gongzhi_Mediation_V1_Consent] = ["p1", "p2"].map { id in
            .with {
                $0.partyID = id
                $0.consents = true
            }
        }
        return try DisputeProcedure.apply(
            .accept(consents: consents, note: ""),
            to: dispute,
            by: staff,
            at: dispute.appliedAtMs
        )
    }

    func list(
        _ disputes: [Gongzhi_Mediation_V1_Dispute],
        at now: Int64 = t0 + 100 * day,
        _ change: (inout Gongzhi_Mediation_V1_ListDisputesRequest) -> Void = { _ in }
    ) throws(RPCError) -> (ids: [String], next: String) {
        var request = Gongzhi_Mediation_V1_ListDisputesRequest()
        change(&request)
        let page = try DisputeQuery.page(disputes, request, at: now)
        return (page.disputes.map(\.id), page.nextPageToken)
    }

    func testDisputesComeNewestFirstInPagesThatDoNotShift() throws {
        // Two applied on the same day: the later id first.
        let all = try [
            Self.dispute("MD-a", days: 0), Self.dispute("MD-b", days: 2), Self.dispute("MD-c", days: 2),
            Self.dispute("MD-d", days: 1), Self.dispute("MD-e", days: 3),
        ]
        XCTAssertEqual(try list(all).ids, ["MD-e", "MD-c", "MD-b", "MD-d", "MD-a"])
        XCTAssertEqual(try list(all).next, "")

        let first = try list(all) { $0.pageSize = 2 }
        XCTAssertEqual(first.ids, ["MD-e", "MD-c"])
        // A dispute opened meanwhile (newer than all) does not shift the next page.
        let more = all + [try Self.dispute("MD-f", days: 4)]
        let second = try list(more) {
            $0.pageSize = 2
            $0.pageToken = first.next
        }
        XCTAssertEqual(second.ids, ["MD-b", "MD-d"])
        let third = try list(more) {
            $0.pageSize = 2
            $0.pageToken = second.next
        }
        XCTAssertEqual(third.ids, ["MD-a"])
        XCTAssertEqual(third.next, "")
    }

    func testTheDefaultPageIsFiftyAndNoPageIsOverFiveHundred() throws {
        let many = try (0..<60).map { try Self.dispute(String(format: "MD-%03d", $0), days: Int64($0)) }
        let page = try list(many)
        XCTAssertEqual(page.ids.count, 50)
        XCTAssertEqual(page.ids.first, "MD-059")
        XCTAssertFalse(page.next.isEmpty)
        XCTAssertEqual(try list(many) { $0.pageSize = 500 }.ids.count, 60)
        do {
            _ = try list(many) { $0.pageSize = 501 }
            XCTFail("a page of 501 was given")
        } catch {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertEqual(error.message, "page_size 501 is more than 500; ask for smaller pages")
        }
    }

    func testABadPageTokenIsRefused() throws {
        let all = [try Self.dispute("MD-a")]
        for token in ["zz", "abc", "6869", PageToken(appliedAtMs: 1, id: "x").encoded + "00"] {
            do {
                _ = try list(all) { $0.pageToken = token }
                XCTFail("the page token \(token) was taken")
            } catch {
                XCTAssertEqual(error.code, .invalidArgument)
                XCTAssertTrue(error.message.contains("is not one ListDisputes gave"), error.message)
            }
        }
        let token = PageToken(appliedAtMs: 1_796_608_800_000, id: "MD-0123456789ab")
        XCTAssertEqual(try PageToken(decoding: token.encoded), token)
    }

    func testFiltersNarrowTheList() throws {
        var withMediator = try Self.accepted(Self.dispute("MD-m", days: 1))
        withMediator = try DisputeProcedure.apply(
            .assignMediators(
                [
                    .with {
                        $0.personID = "chen-li"
                        $0.name = "陈丽"
                        $0.appointment = .assigned
                    }
                ],
                profiles: [MediatorProfile(personID: "chen-li")],
                note: ""
            ),
            to: withMediator,
            by: Self.staff,
            at: withMediator.appliedAtMs
        )
        let family = try Self.dispute("MD-f", days: 2, place: "330106001002", type: .family)
        let applied = try Self.dispute("MD-a", days: 3, place: "330106001001002")
        let all = [withMediator, family, applied]

        XCTAssertEqual(try list(all) { $0.states = [.mediating] }.ids, ["MD-m"])
        XCTAssertEqual(try list(all) { $0.states = [.mediating, .applied] }.ids, ["MD-a", "MD-f", "MD-m"])
        XCTAssertEqual(try list(all) { $0.type = .family }.ids, ["MD-f"])
        XCTAssertEqual(try list(all) { $0.mediatorID = "chen-li" }.ids, ["MD-m"])
        XCTAssertEqual(try list(all) { $0.placeCode = "330106001001" }.ids, ["MD-a", "MD-m"])
        XCTAssertEqual(try list(all) { $0.placeCode = "330106001002" }.ids, ["MD-f"])
        // Only the accepted one has a clock: one month from 2026-12-08, overdue from 2027-01-09 00:00.
        let deadline = LegalClocks.mediationDeadline(acceptedAtMs: withMediator.acceptedAtMs, extensions: [])
        XCTAssertEqual(try list(all, at: deadline - 1) { $0.overdueOnly = true }.ids, [])
        XCTAssertEqual(try list(all, at: deadline) { $0.overdueOnly = true }.ids, ["MD-m"])

        // The book's index holds the same deadline, kept and dropped with the dispute.
        var index = DisputeDeadlines(restDays: .standard)
        for value in all { index.keep(TypedObject(id: value.id, message: value), replacing: nil) }
        XCTAssertEqual(index.next, ["MD-m": deadline])
        var overdue = Gongzhi_Mediation_V1_ListDisputesRequest()
        overdue.overdueOnly = true
        let byIndex = try DisputeQuery.page(all, overdue, at: deadline, nextDeadline: { index.next[$0.id] ?? 0 })
        XCTAssertEqual(byIndex.disputes.map(\.id), ["MD-m"])
        index.drop(TypedObject(id: withMediator.id, message: withMediator))
        XCTAssertEqual(index.next, [:])
        let dropped = try DisputeQuery.page(all, overdue, at: deadline, nextDeadline: { index.next[$0.id] ?? 0 })
        XCTAssertEqual(dropped.disputes, [], "the list reads the deadline the index gives")
    }

    func testDueListsTheClocksWithinTheWindowWithTheirPlaceAndTitle() throws {
        let early = try Self.accepted(Self.dispute("MD-early", days: 0))
        let late = try Self.accepted(Self.dispute("MD-late", days: 10, place: "330106001002"))
        let deadline = LegalClocks.mediationDeadline(acceptedAtMs: early.acceptedAtMs, extensions: [])
        func due(at now: Int64, hours: UInt32 = 0, place: String = "") -> [Gongzhi_Mediation_V1_Clock] {
            var request = Gongzhi_Mediation_V1_DueRequest()
            request.withinHours = hours
            request.placeCode = place
            return DisputeQuery.due([late, early], request, at: now).clocks
        }
        XCTAssertEqual(due(at: deadline - 72 * 3_600_000 - 1).map(\.disputeID), [], "72 hours by default")
        let soon = due(at: deadline - 72 * 3_600_000)
        XCTAssertEqual(soon.map(\.disputeID), ["MD-early"])
        XCTAssertEqual(soon.first?.kind, .mediation)
        XCTAssertEqual(soon.first?.deadlineMs, deadline)
        XCTAssertEqual(soon.first?.overdue, false)
        XCTAssertEqual(soon.first?.placeCode, "330106001001001")
        XCTAssertEqual(soon.first?.title, "楼上漏水")
        XCTAssertEqual(soon.first?.description_p, "mediation to finish by 2027-01-07")
        XCTAssertEqual(due(at: deadline).first?.overdue, true)
        // A wider window takes the other, soonest first; a place narrows it.
        XCTAssertEqual(due(at: deadline, hours: 24 * 11).map(\.disputeID), ["MD-early", "MD-late"])
        XCTAssertEqual(due(at: deadline, hours: 24 * 11, place: "330106001002").map(\.disputeID), ["MD-late"])
    }

    func testStatsCountTheDisputesOfThePlaceAndPeriod() throws {
        let all = try [
            Self.dispute("MD-1", days: 0), Self.dispute("MD-2", days: 5),
            Self.dispute("MD-3", days: 10, type: .family), Self.dispute("MD-4", days: 5, place: "330106002001"),
        ]
        func stats(
            _ change: (inout Gongzhi_Mediation_V1_StatsRequest) -> Void
        ) throws(RPCError)
            -> Gongzhi_Mediation_V1_StatsResponse
        {
            var request = Gongzhi_Mediation_V1_StatsRequest()
            change(&request)
            return try DisputeQuery.stats(all, request, at: Self.t0 + 20 * Self.day)
        }
        let everything = try stats { _ in }
        XCTAssertEqual(everything.disputes, 4)
        XCTAssertEqual(everything.nationalAverageDays, 23.33)
        XCTAssertEqual(everything.repeatsByBuilding.map(\.key), ["B3"])
        XCTAssertEqual(everything.repeatsByBuilding.map(\.disputes), [4])
        XCTAssertEqual(everything.byType.map(\.key), ["neighbour", "family"])
        XCTAssertEqual(try stats { $0.placeCode = "330106001" }.disputes, 3)
        let period = try stats {
            $0.fromMs = Self.t0 + 5 * Self.day
            $0.toMs = Self.t0 + 10 * Self.day
        }
        XCTAssertEqual(period.disputes, 2, "from is in, to is out")
        do {
            _ = try stats {
                $0.fromMs = Self.t0
                $0.toMs = Self.t0
            }
            XCTFail("an empty period was taken")
        } catch {
            XCTAssertEqual(error.code, .invalidArgument)
        }
    }
}
