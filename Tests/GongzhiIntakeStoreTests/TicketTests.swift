import GongzhiIntakeStore
import XCTest

final class TicketTests: IntakeStoreTestCase {
    private func ticket(
        _ id: String,
        source: String = "hotline",
        code: String = "E0405",
        status: String = "open",
        at requestedMs: Int64,
        caseID: String = "",
        token: String = ""
    ) -> TicketRow {
        TicketRow(
            serviceRequestID: id,
            source: source,
            itemID: "T\(id)",
            token: token,
            serviceCode: code,
            status: status,
            statusNotes: "已受理",
            requestedMs: requestedMs,
            updatedMs: requestedMs,
            latitude: 30.274_56,
            longitude: 120.155_49,
            agency: "",
            caseID: caseID,
            submittedBy: "app:citizen"
        )
    }

    func testPutAndGetByIDAndTokenWithThePointRounded() throws {
        try store.putTicket(ticket("1", at: 1_000, token: "tok-1"))
        let stored = try XCTUnwrap(try store.ticket(source: "hotline", serviceRequestID: "1"))
        XCTAssertEqual(stored.latitude, 30.275)
        XCTAssertEqual(stored.longitude, 120.155)
        XCTAssertEqual(stored.statusNotes, "已受理")
        XCTAssertEqual(stored.submittedBy, "app:citizen")
        XCTAssertEqual(try store.ticket(source: "hotline", token: "tok-1")?.serviceRequestID, "1")
        XCTAssertNil(try store.ticket(source: "other", serviceRequestID: "1"), "a ticket is served by its own source")
        XCTAssertNil(try store.ticket(source: "hotline", token: "nope"))
        XCTAssertNil(try store.ticket(source: "hotline", token: ""))

        var updated = stored
        updated.status = "closed"
        updated.caseID = "C1"
        updated.latitude = nil
        updated.longitude = nil
        try store.putTicket(updated)
        let again = try XCTUnwrap(try store.ticket(source: "hotline", serviceRequestID: "1"))
        XCTAssertEqual(again.status, "closed")
        XCTAssertNil(again.latitude)
        XCTAssertThrowsError(try store.putTicket(ticket("", at: 1)))
    }

    func testQueriesFilterByIDsCodesStatusesAndRangeNewestFirstInPages() throws {
        for n in 1...30 {
            try store.putTicket(
                ticket(
                    String(format: "%02d", n),
                    code: n % 3 == 0 ? "P0103" : "E0405",
                    status: n % 5 == 0 ? "closed" : "open",
                    at: Int64(n) * 1_000
                )
            )
        }
        try store.putTicket(ticket("99", source: "other", at: 5_000))

        let all = try store.tickets(source: "hotline", query: TicketQuery())
        XCTAssertEqual(all.count, 30)
        XCTAssertEqual(all.first?.serviceRequestID, "30")
        XCTAssertEqual(all.map(\.requestedMs), all.map(\.requestedMs).sorted(by: >))

        let ids = try store.tickets(source: "hotline", query: TicketQuery(serviceRequestIDs: ["03", "07", "99"]))
        XCTAssertEqual(ids.map(\.serviceRequestID), ["07", "03"])

        let codes = try store.tickets(source: "hotline", query: TicketQuery(serviceCodes: ["P0103"]))
        XCTAssertEqual(codes.count, 10)
        XCTAssertTrue(codes.allSatisfy { $0.serviceCode == "P0103" })

        let closedInRange = try store.tickets(
            source: "hotline",
            query: TicketQuery(statuses: ["closed"], startMs: 10_000, endMs: 25_000)
        )
        XCTAssertEqual(closedInRange.map(\.serviceRequestID), ["25", "20", "15", "10"])

        let page2 = try store.tickets(source: "hotline", query: TicketQuery(page: 2, pageSize: 7))
        XCTAssertEqual(page2.map(\.serviceRequestID), ["23", "22", "21", "20", "19", "18", "17"])
        XCTAssertEqual(try store.tickets(source: "hotline", query: TicketQuery(page: 5, pageSize: 7)).count, 2)
        XCTAssertEqual(try store.tickets(source: "hotline", query: TicketQuery(page: 6, pageSize: 7)), [])

        assertRefused(.invalidArgument) { _ = try store.tickets(source: "hotline", query: TicketQuery(page: 0)) }
        assertRefused(.invalidArgument) {
            _ = try store.tickets(source: "hotline", query: TicketQuery(pageSize: 1_001))
        }
        assertRefused(.invalidArgument) {
            _ = try store.tickets(source: "hotline", query: TicketQuery(startMs: 2, endMs: 1))
        }
    }

    func testTicketsOfACase() throws {
        try store.putTicket(ticket("2", at: 1, caseID: "C7"))
        try store.putTicket(ticket("1", source: "other", at: 2, caseID: "C7"))
        try store.putTicket(ticket("3", at: 3, caseID: "C8"))
        XCTAssertEqual(try store.ticketsForCase("C7").map(\.serviceRequestID), ["1", "2"])
        XCTAssertEqual(try store.ticketsForCase("C9"), [])
        XCTAssertEqual(try store.ticketsForCase(""), [], "tickets in no case are not a case")
    }

    func testCursorsAreSavedAndSurviveAReopen() throws {
        XCTAssertNil(try store.cursor("case-watch"))
        try store.setCursor("case-watch", 41)
        try store.setCursor("case-watch", 42)
        try reopen()
        XCTAssertEqual(try store.cursor("case-watch"), 42)
        XCTAssertNil(try store.cursor("other"))
        assertRefused(.invalidArgument) { try store.setCursor("", 1) }
    }
}
