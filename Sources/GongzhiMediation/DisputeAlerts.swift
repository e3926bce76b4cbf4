import GongzhiCalendar
import GongzhiMediationSchemas

/// The alerts a committee gets when a legal clock runs out: each clock of ``LegalClocks`` overdue at a moment,
/// recorded once on the dispute (the same kind, obligation and deadline is the same alert). A clock whose
/// deadline moves (an extension) and runs out again is a new alert.
public enum DisputeAlerts {
    /// The clocks of `dispute` overdue at `nowMs` that `dispute.alerts` does not hold yet, as alerts found at
    /// `nowMs`, soonest deadline first.
    public static func new(
        for dispute: Gongzhi_Mediation_V1_Dispute,
        at nowMs: Int64,
        restDays: RestDays = .standard
    ) -> [Gongzhi_Mediation_V1_Alert] {
        let clocks = LegalClocks(dispute, restDays: restDays).clocks.filter { nowMs >= $0.deadlineMs }
        guard !clocks.isEmpty else { return [] }
        return clocks.compactMap { clock in
            let known = dispute.alerts.contains {
                $0.kind == clock.kind && $0.obligationID == clock.obligationID && $0.deadlineMs == clock.deadlineMs
            }
            if known { return nil }
            return .with {
                $0.kind = clock.kind
                $0.obligationID = clock.obligationID
                $0.deadlineMs = clock.deadlineMs
                $0.atMs = nowMs
                $0.description_p = clock.description
            }
        }
    }

    /// `dispute` with its new alerts at `nowMs` appended and nothing else changed; nil when there are none.
    public static func recording(
        in dispute: Gongzhi_Mediation_V1_Dispute,
        at nowMs: Int64,
        restDays: RestDays = .standard
    ) -> Gongzhi_Mediation_V1_Dispute? {
        let alerts = new(for: dispute, at: nowMs, restDays: restDays)
        guard !alerts.isEmpty else { return nil }
        var updated = dispute
        updated.alerts += alerts
        return updated
    }
}
