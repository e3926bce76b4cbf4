import GongzhiGridSchemas
import GongzhiSchemas

/// The figures a street office asks of its cases, per grid, community or street.
public enum CaseStatistics {
    /// `StatsResponse` as service.proto documents it: a row per region at the request's level (grid, community
    /// or street code; community by default), sorted by code, and `all` over every row. Only cases inside
    /// `region_code` (their grid, community or street code equals it or starts with it) and reported in
    /// [`since_ms`, `until_ms`) count, each bound only when set.
    ///
    /// In a row: `total`; `open` (not rejected, closed or evaluated); `overdue` (`CaseQuery.isOverdue` at
    /// `nowMs`); `closed` (closed or evaluated) and `closed_in_grid`, the share of those whose closing tier was
    /// the grid; `on_time`, the share of handled cases (`handled_at_ms` set) not handled late; the median of
    /// handled_at − created_at over them (the mean of the middle two for an even count, rounded down);
    /// `evaluated` and `satisfaction`, the share of them satisfied or acceptable; and `escalated`, the cases
    /// escalated at least once. A share is 0 when there is nothing to share.
    public static func stats(
        _ cases: some Collection<Gongzhi_Grid_V1_Case>,
        _ request: Gongzhi_Grid_V1_StatsRequest,
        at nowMs: Int64
    ) -> Gongzhi_Grid_V1_StatsResponse {
        var groups: [String: [Gongzhi_Grid_V1_Case]] = [:]
        var all: [Gongzhi_Grid_V1_Case] = []
        for c in cases {
            guard request.regionCode.isEmpty || CaseQuery.isInRegion(c, request.regionCode),
                request.sinceMs == 0 || c.createdAtMs >= request.sinceMs,
                request.untilMs == 0 || c.createdAtMs < request.untilMs
            else { continue }
            groups[regionCode(of: c, at: request.level), default: []].append(c)
            all.append(c)
        }
        var response = Gongzhi_Grid_V1_StatsResponse()
        response.rows = groups.keys.sorted().map { row(groups[$0]!, code: $0, at: nowMs) }
        response.all = row(all, code: request.regionCode, at: nowMs)
        return response
    }

    private static func regionCode(of c: Gongzhi_Grid_V1_Case, at level: Gongzhi_Grid_V1_StatsRequest.Level) -> String {
        switch level {
        case .grid: c.gridCode
        case .street: c.streetCode
        case .community, .unspecified, .UNRECOGNIZED: c.communityCode
        }
    }

    private static func row(_ cases: [Gongzhi_Grid_V1_Case], code: String, at nowMs: Int64) -> Gongzhi_Grid_V1_StatsRow
    {
        var row = Gongzhi_Grid_V1_StatsRow()
        row.regionCode = code
        row.total = UInt32(clamping: cases.count)
        var closedInGrid = 0
        var onTime = 0
        var handlingTimes: [Int64] = []
        var satisfied = 0
        for c in cases {
            if CaseWorkflow.isOpen(c.state) { row.open += 1 }
            if CaseQuery.isOverdue(c, at: nowMs) { row.overdue += 1 }
            if c.state == .closed || c.state == .evaluated {
                row.closed += 1
                if c.closedTier == .grid { closedInGrid += 1 }
            }
            if c.handledAtMs != 0 {
                handlingTimes.append(c.handledAtMs - c.createdAtMs)
                if !c.handledLate { onTime += 1 }
            }
            if c.state == .evaluated {
                row.evaluated += 1
                if c.satisfaction == .satisfied || c.satisfaction == .acceptable { satisfied += 1 }
            }
            if !c.escalations.isEmpty { row.escalated += 1 }
        }
        row.closedInGrid = share(closedInGrid, of: Int(row.closed))
        row.onTime = share(onTime, of: handlingTimes.count)
        row.satisfaction = share(satisfied, of: Int(row.evaluated))
        row.medianHandlingMs = median(handlingTimes)
        return row
    }

    private static func share(_ part: Int, of whole: Int) -> Double {
        whole == 0 ? 0 : Double(part) / Double(whole)
    }

    private static func median(_ values: [Int64]) -> Int64 {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        if sorted.count % 2 == 1 { return sorted[middle] }
        let (low, high) = (sorted[middle - 1], sorted[middle])
        return low + (high - low) / 2
    }
}
