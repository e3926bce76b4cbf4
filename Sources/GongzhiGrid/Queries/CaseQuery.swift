import GongzhiGridSchemas
import GongzhiHashing
import GongzhiSchemas

/// ListCases over cases in memory: filters, newest-first order and pages.
public enum CaseQuery {
    /// The page size when a request names none.
    public static let defaultLimit: UInt32 = 100
    /// The largest page a request may ask for.
    public static let maxLimit: UInt32 = 1_000

    /// The cases matching `request`'s filters, newest first (by `created_at_ms`, then by id, both descending),
    /// in pages of `limit` (default 100, at most 1,000); `total` counts every match, and `next_page_token` is
    /// empty on the last page. Empty filters match everything: `region_code` matches a case whose grid,
    /// community or street code equals it or starts with it; `overdue_only` keeps cases `isOverdue` at `nowMs`.
    /// Paging is by position in that order, not by offset, so cases added meanwhile do not shift a page.
    ///
    /// Throws `invalidArgument` for a limit over 1,000 or a page token this function did not make.
    public static func list(
        _ cases: some Collection<Gongzhi_Grid_V1_Case>,
        _ request: Gongzhi_Grid_V1_ListCasesRequest,
        at nowMs: Int64
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_ListCasesResponse {
        if request.limit > maxLimit {
            throw .invalidArgument("limit \(request.limit) is more than \(maxLimit); ask for smaller pages")
        }
        let limit = Int(request.limit == 0 ? defaultLimit : request.limit)
        let after = try request.pageToken.isEmpty ? nil : PageToken(decoding: request.pageToken)

        let states = Set(request.states)
        var matches = cases.filter { c in
            (states.isEmpty || states.contains(c.state))
                && (request.regionCode.isEmpty || isInRegion(c, request.regionCode))
                && (request.categoryCode.isEmpty || c.categoryCode == request.categoryCode)
                && (request.source == .unspecified || c.source == request.source)
                && (!request.openOnly || CaseWorkflow.isOpen(c.state))
                && (!request.overdueOnly || isOverdue(c, at: nowMs))
        }
        matches.sort(by: isNewer)

        var response = Gongzhi_Grid_V1_ListCasesResponse()
        response.total = UInt32(clamping: matches.count)
        let start: Int
        if let after {
            start = matches.firstIndex { isNewer(after, than: $0) } ?? matches.count
        } else {
            start = 0
        }
        let end = min(matches.count, start + limit)
        response.cases = Array(matches[start..<end])
        if end < matches.count, let last = response.cases.last {
            response.nextPageToken = PageToken(createdAtMs: last.createdAtMs, id: last.id).encoded
        }
        return response
    }

    /// True when an open case waits for handling (dispatched or in progress) past its deadline at `nowMs`.
    /// Cases not yet dispatched have no deadline, and handled ones are not late any more. A case that waits on
    /// a dispute in mediation is never overdue: the dispute's own legal clocks run instead.
    public static func isOverdue(_ c: Gongzhi_Grid_V1_Case, at nowMs: Int64) -> Bool {
        (c.state == .dispatched || c.state == .inProgress) && c.deadlineMs != 0 && nowMs > c.deadlineMs
            && CaseWorkflow.waitingDisputeID(c) == nil
    }

    /// True when the case's grid, community or street code is `code` or starts with it.
    static func isInRegion(_ c: Gongzhi_Grid_V1_Case, _ code: String) -> Bool {
        c.gridCode.hasPrefix(code) || c.communityCode.hasPrefix(code) || c.streetCode.hasPrefix(code)
    }

    private static func isNewer(_ a: Gongzhi_Grid_V1_Case, _ b: Gongzhi_Grid_V1_Case) -> Bool {
        a.createdAtMs != b.createdAtMs ? a.createdAtMs > b.createdAtMs : a.id > b.id
    }

    private static func isNewer(_ token: PageToken, than c: Gongzhi_Grid_V1_Case) -> Bool {
        token.createdAtMs != c.createdAtMs ? token.createdAtMs > c.createdAtMs : token.id > c.id
    }
}

/// Where a page ended: the last case's creation time and id, in hex so that it is opaque and URL-safe.
private struct PageToken {
    var createdAtMs: Int64
    var id: String

    init(createdAtMs: Int64, id: String) {
        self.createdAtMs = createdAtMs
        self.id = id
    }

    init(decoding token: String) throws(WorkflowError) {
        let invalid = WorkflowError.invalidArgument(
            "page_token \"\(token.prefix(40))\" is not one ListCases gave; start again without a page token"
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
        guard parts.count == 3, parts[0] == "p1", let createdAtMs = Int64(parts[1]), !parts[2].isEmpty else {
            throw invalid
        }
        self.init(createdAtMs: createdAtMs, id: String(parts[2]))
    }

    var encoded: String {
        hexString(Array("p1\n\(createdAtMs)\n\(id)".utf8))
    }
}
