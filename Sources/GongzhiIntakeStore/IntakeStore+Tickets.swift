import GRDB

extension IntakeStore {
    /// Stores an Open311 ticket, replacing the one with the same service request id; the point is rounded to 3
    /// decimals (about 100 m), the precision the public reads show.
    /// - Throws: ``IntakeStoreError/Code/invalidArgument`` without a service request id or source.
    public func putTicket(_ ticket: TicketRow) throws(IntakeStoreError) {
        guard !ticket.serviceRequestID.isEmpty else {
            throw IntakeStoreError(.invalidArgument, "the ticket has no service request id")
        }
        try Self.requireSource(ticket.source)
        try write("store ticket \(ticket.serviceRequestID)") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO tickets (service_request_id, source, item_id, token, service_code, status,
                        status_notes, requested_ms, updated_ms, expected_ms, lat, long, agency, case_id, submitted_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    ticket.serviceRequestID, ticket.source, ticket.itemID, ticket.token, ticket.serviceCode,
                    ticket.status, ticket.statusNotes, ticket.requestedMs, ticket.updatedMs, ticket.expectedMs,
                    ticket.latitude.map(Self.roundedDegrees), ticket.longitude.map(Self.roundedDegrees),
                    ticket.agency, ticket.caseID, ticket.submittedBy,
                ]
            )
        }
    }

    /// The ticket of a source with this service request id.
    public func ticket(source: String, serviceRequestID: String) throws(IntakeStoreError) -> TicketRow? {
        try read("ticket \(serviceRequestID)") { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM tickets WHERE service_request_id = ? AND source = ?",
                arguments: [serviceRequestID, source]
            ).map(Self.ticket(from:))
        }
    }

    /// The ticket of a source answered with this token.
    public func ticket(source: String, token: String) throws(IntakeStoreError) -> TicketRow? {
        guard !token.isEmpty else { return nil }
        return try read("the ticket of a token") { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM tickets WHERE token = ? AND source = ? LIMIT 1",
                arguments: [token, source]
            ).map(Self.ticket(from:))
        }
    }

    /// A page of a source's tickets matching `query`, newest request first (then by id).
    /// - Throws: ``IntakeStoreError/Code/invalidArgument`` for a page below 1, a page size outside 1…1,000, or a
    ///   range that ends before it starts.
    public func tickets(source: String, query: TicketQuery) throws(IntakeStoreError) -> [TicketRow] {
        guard query.page >= 1 else {
            throw IntakeStoreError(.invalidArgument, "page \(query.page) does not exist; pages start at 1")
        }
        guard (1...TicketQuery.maximumPageSize).contains(query.pageSize) else {
            throw IntakeStoreError(
                .invalidArgument,
                "page_size \(query.pageSize) is outside 1…\(TicketQuery.maximumPageSize)"
            )
        }
        if let start = query.startMs, let end = query.endMs, end < start {
            throw IntakeStoreError(.invalidArgument, "the range ends (\(end)) before it starts (\(start))")
        }
        var conditions = ["source = ?"]
        var arguments: StatementArguments = [source]
        func anyOf(_ column: String, _ values: [String]) {
            guard !values.isEmpty else { return }
            conditions.append(
                "\(column) IN (" + Array(repeating: "?", count: values.count).joined(separator: ", ") + ")"
            )
            arguments += StatementArguments(values)
        }
        anyOf("service_request_id", query.serviceRequestIDs)
        anyOf("service_code", query.serviceCodes)
        anyOf("status", query.statuses)
        if let start = query.startMs {
            conditions.append("requested_ms >= ?")
            arguments += [start]
        }
        if let end = query.endMs {
            conditions.append("requested_ms <= ?")
            arguments += [end]
        }
        arguments += [query.pageSize, (query.page - 1) * query.pageSize]
        let sql =
            "SELECT * FROM tickets WHERE " + conditions.joined(separator: " AND ")
            + " ORDER BY requested_ms DESC, service_request_id LIMIT ? OFFSET ?"
        return try read("the tickets of \(source)") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.ticket(from:))
        }
    }

    /// The tickets in a grid case (more than one when tickets joined the same case), by service request id.
    public func ticketsForCase(_ caseID: String) throws(IntakeStoreError) -> [TicketRow] {
        guard !caseID.isEmpty else { return [] }
        return try read("the tickets of case \(caseID)") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM tickets WHERE case_id = ? ORDER BY service_request_id",
                arguments: [caseID]
            ).map(Self.ticket(from:))
        }
    }

    static func roundedDegrees(_ degrees: Double) -> Double {
        (degrees * 1_000).rounded() / 1_000
    }

    static func ticket(from row: Row) -> TicketRow {
        TicketRow(
            serviceRequestID: row["service_request_id"],
            source: row["source"],
            itemID: row["item_id"],
            token: row["token"],
            serviceCode: row["service_code"],
            status: row["status"],
            statusNotes: row["status_notes"],
            requestedMs: row["requested_ms"],
            updatedMs: row["updated_ms"],
            expectedMs: row["expected_ms"],
            latitude: row["lat"],
            longitude: row["long"],
            agency: row["agency"],
            caseID: row["case_id"],
            submittedBy: row["submitted_by"]
        )
    }
}
