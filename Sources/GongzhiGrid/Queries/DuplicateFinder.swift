import GongzhiGeo
import GongzhiGridSchemas
import GongzhiSchemas

/// Finds the open case a new report is a repeat of, so that the report is linked to it rather than opening
/// another (one manhole cover reported by five passers-by is one case).
public enum DuplicateFinder {
    /// The open case a report duplicates: the same category, open, reported at most the catalogue's window
    /// before `nowMs`, and within its radius of the report's location; the nearest when several are, then the
    /// oldest, then the smallest id. Nil when the report has no location, or no case matches.
    public static func original(
        of report: ReportInput,
        at nowMs: Int64,
        among cases: some Sequence<Gongzhi_Grid_V1_Case>,
        catalogue: CategoryCatalogue
    ) -> Gongzhi_Grid_V1_Case? {
        guard let location = report.location, location.isValid else { return nil }
        let windowStart = nowMs - Int64(catalogue.duplicateWindowMinutes) * 60_000
        var best: (c: Gongzhi_Grid_V1_Case, distance: Double)?
        for c in cases {
            guard c.categoryCode == report.categoryCode, CaseWorkflow.isOpen(c.state), c.hasLocation,
                c.createdAtMs >= windowStart, c.createdAtMs <= nowMs
            else { continue }
            let distance = location.distanceMeters(to: GeoPoint(c.location))
            guard distance <= catalogue.duplicateRadiusMeters else { continue }
            if let current = best, !isBetter((c, distance), than: current) { continue }
            best = (c, distance)
        }
        return best?.c
    }

    /// Nearer; when as near, older; when as old, the smaller id.
    private static func isBetter(
        _ candidate: (c: Gongzhi_Grid_V1_Case, distance: Double),
        than current: (c: Gongzhi_Grid_V1_Case, distance: Double)
    ) -> Bool {
        if candidate.distance != current.distance { return candidate.distance < current.distance }
        if candidate.c.createdAtMs != current.c.createdAtMs { return candidate.c.createdAtMs < current.c.createdAtMs }
        return candidate.c.id < current.c.id
    }
}
