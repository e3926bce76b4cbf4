import GongzhiCalendar
import GongzhiHashing
import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiRPC

/// ListDisputes, ListSummaries, Due and Stats over the disputes a caller may see: filters, newest-first order
/// and pages, the clocks due, the figures.
enum DisputeQuery {
    /// The page size when a request names none.
    static let defaultPageSize: UInt32 = 50
    /// The largest page a request may ask for.
    static let maxPageSize: UInt32 = 500
    /// What counts as due soon when a Due request names no window.
    static let defaultDueHours: UInt32 = 72

    /// One page of the disputes matching `request`'s filters, newest first (by `applied_at_ms`, then by id,
    /// both descending), and the token of the next page ("" on the last). Empty filters match everything:
    /// `place_code` matches a dispute whose place starts with it; `overdue_only` keeps disputes with a clock
    /// overdue at `nowMs`. Paging is by position in that order, so disputes opened meanwhile do not shift a page.
    ///
    /// `nextDeadline` gives a dispute's earliest running clock (0: none), as ``DisputeDeadlines`` keeps it; by
    /// default it is worked out from the dispute.
    ///
    /// INVALID_ARGUMENT for a page size over 500 or a page token this function did not make.
    static func page(
        _ disputes: [Gongzhi_Mediation_V1_Dispute],
        _ request: Gongzhi_Mediation_V1_ListDisputesRequest,
        at nowMs: Int64,
        restDays: RestDays = .standard,
        nextDeadline: ((Gongzhi_Mediation_V1_Dispute) -> Int64)? = nil
    ) throws(RPCError) -> (disputes: [Gongzhi_Mediation_V1_Dispute], nextPageToken: String) {
        if request.pageSize > maxPageSize {
            throw RPCError(
                code: .invalidArgument,
                message: "page_size \(request.pageSize) is more than \(maxPageSize); ask for smaller pages"
            )
        }
        let size = Int(request.pageSize == 0 ? defaultPageSize : request.pageSize)
        let after = try request.pageToken.isEmpty ? nil : PageToken(decoding: request.pageToken)
        let deadline = nextDeadline ?? { DisputeDeadlines.earliest($0, restDays: restDays) }
        // The matches after the token, as keys: only they are sorted, and only the page is copied out.
        var found: [(appliedAtMs: Int64, id: String, index: Int)] = []
        for (index, dispute) in disputes.enumerated() {
            if let token = after, !isNewer(token.appliedAtMs, token.id, than: dispute.appliedAtMs, dispute.id) {
                continue
            }
            guard matches(dispute, request) else { continue }
            if request.overdueOnly {
                let due = deadline(dispute)
                guard due != 0, nowMs >= due else { continue }
            }
            found.append((dispute.appliedAtMs, dispute.id, index))
        }
        found.sort { isNewer($0.appliedAtMs, $0.id, than: $1.appliedAtMs, $1.id) }
        let end = min(found.count, size)
        let page = found[0..<end].map { disputes[$0.index] }
        var next = ""
        if end < found.count, let last = page.last {
            next = PageToken(appliedAtMs: last.appliedAtMs, id: last.id).encoded
        }
        return (page, next)
    }

    /// True when `dispute` passes every filter of `request` but `overdue_only`, which needs the time.
    static func matches(
        _ dispute: Gongzhi_Mediation_V1_Dispute,
        _ request: Gongzhi_Mediation_V1_ListDisputesRequest
    ) -> Bool {
        (request.states.isEmpty || request.states.contains(dispute.state))
            && (request.type == .unspecified || dispute.type == request.type)
            && (request.mediatorID.isEmpty || dispute.mediators.contains { $0.personID == request.mediatorID })
            && dispute.placeCode.hasPrefix(request.placeCode)
    }

    private static func isNewer(_ aTime: Int64, _ aID: String, than bTime: Int64, _ bID: String) -> Bool {
        aTime != bTime ? aTime > bTime : aID > bID
    }

    /// The clocks of `disputes` within `request.place_code` overdue at `nowMs` or due within the request's
    /// hours (default 72), soonest first.
    static func due(
        _ disputes: [Gongzhi_Mediation_V1_Dispute],
        _ request: Gongzhi_Mediation_V1_DueRequest,
        at nowMs: Int64,
        restDays: RestDays = .standard
    ) -> Gongzhi_Mediation_V1_DueResponse {
        let hours = Int64(request.withinHours == 0 ? defaultDueHours : request.withinHours)
        var clocks: [Gongzhi_Mediation_V1_Clock] = []
        for dispute in disputes where dispute.placeCode.hasPrefix(request.placeCode) {
            for due in LegalClocks(dispute, restDays: restDays).due(at: nowMs, within: hours * 3_600_000) {
                clocks.append(
                    .with {
                        $0.disputeID = dispute.id
                        $0.kind = due.clock.kind
                        $0.deadlineMs = due.clock.deadlineMs
                        $0.obligationID = due.clock.obligationID
                        $0.overdue = due.overdue
                        $0.description_p = due.clock.description
                        $0.placeCode = dispute.placeCode
                        $0.title = dispute.title
                    }
                )
            }
        }
        clocks.sort {
            ($0.deadlineMs, $0.disputeID, $0.obligationID) < ($1.deadlineMs, $1.disputeID, $1.obligationID)
        }
        return .with { $0.clocks = clocks }
    }

    /// The figures of the disputes within `request.place_code` applied in [from, to) (0: an open end).
    static func stats(
        _ disputes: [Gongzhi_Mediation_V1_Dispute],
        _ request: Gongzhi_Mediation_V1_StatsRequest,
        at nowMs: Int64
    ) throws(RPCError) -> Gongzhi_Mediation_V1_StatsResponse {
        if request.fromMs != 0, request.toMs != 0, request.toMs <= request.fromMs {
            throw RPCError(
                code: .invalidArgument,
                message: "the period ends (to_ms \(request.toMs)) before it begins (from_ms \(request.fromMs))"
            )
        }
        let chosen = disputes.filter {
            $0.placeCode.hasPrefix(request.placeCode)
                && (request.fromMs == 0 || $0.appliedAtMs >= request.fromMs)
                && (request.toMs == 0 || $0.appliedAtMs < request.toMs)
        }
        let figures = DisputeStats(chosen, at: nowMs)
        func counts(_ list: [DisputeStats.Count]) -> [Gongzhi_Mediation_V1_RepeatCount] {
            list.map { count in
                .with {
                    $0.key = count.key
                    $0.disputes = UInt32(clamping: count.disputes)
                }
            }
        }
        return .with {
            $0.disputes = UInt32(clamping: figures.disputes)
            $0.concluded = UInt32(clamping: figures.concluded)
            $0.resolved = UInt32(clamping: figures.resolved)
            $0.resolutionRate = figures.resolutionRate
            $0.shareSettledAtCommunityOrBelow = figures.shareSettledAtCommunityOrBelow
            $0.medianDaysToAgreement = figures.medianDaysToAgreement ?? 0
            $0.nationalAverageDays = DisputeStats.nationalAverageDays
            $0.agreementsDue = UInt32(clamping: figures.agreementsDue)
            $0.agreementsPerformedOnTime = UInt32(clamping: figures.agreementsPerformedOnTime)
            $0.performedOnTimeRate = figures.performedOnTimeRate
            $0.repeatsByBuilding = counts(figures.repeatsByBuilding)
            $0.repeatsByCompound = counts(figures.repeatsByCompound)
            $0.byType = counts(figures.byType)
        }
    }
}

/// Where a page ended: the last dispute's application time and id, in hex so that it is opaque and URL-safe.
struct PageToken: Hashable {
    var appliedAtMs: Int64
    var id: String

    init(appliedAtMs: Int64, id: String) {
        self.appliedAtMs = appliedAtMs
        self.id = id
    }

    init(decoding token: String) throws(RPCError) {
        let invalid = RPCError(
            code: .invalidArgument,
            message: "page_token \"\(token.prefix(40))\" is not one ListDisputes gave; start again without a page token"
        )
        let utf8 = Array(token.utf8)
        guard utf8.count % 2 == 0, utf8.count <= 1_024 else { throw invalid }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let byte = UInt8(String(decoding: utf8[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw invalid
            }
            bytes.append(byte)
        }
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "md1", let appliedAtMs = Int64(parts[1]), !parts[2].isEmpty,
            parts[2].unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isAlphabetic || $0 == "-" || ("0"..."9").contains($0))
            })
        else {
            throw invalid
        }
        self.init(appliedAtMs: appliedAtMs, id: String(parts[2]))
    }

    var encoded: String {
        hexString(Array("md1\n\(appliedAtMs)\n\(id)".utf8))
    }
}
