import GongzhiGridSchemas
import GongzhiSchemas

extension Gongzhi_Grid_V1_Case {
    /// The case without personal data, for callers without the grant to see it: the phones of the reporter and
    /// of everyone who reported it again are removed (the fields the schema marks sensitive).
    public func withoutPersonalData() -> Gongzhi_Grid_V1_Case {
        var c = self
        if c.hasReporter {
            c.reporter.phone = ""
        }
        if c.alsoReportedBy.contains(where: { !$0.phone.isEmpty }) {
            c.alsoReportedBy = c.alsoReportedBy.map {
                var reporter = $0
                reporter.phone = ""
                return reporter
            }
        }
        return c
    }
}
