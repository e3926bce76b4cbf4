import GongzhiGridSchemas
import GongzhiSchemas

extension CaseWorkflow {
    /// The case one tier up when it waits for handling (dispatched or in progress) and its deadline has passed
    /// at `nowMs`; nil otherwise, and always nil for a case that waits on a dispute in mediation (it is not
    /// overdue: ``CaseQuery/isOverdue(_:at:)``).
    ///
    /// The case goes grid → community → street → joint and gets a new deadline, now plus the catalogue's
    /// escalation deadline for the tier it arrives at; an `Escalation` (with the deadline that passed) and an
    /// ESCALATE transition by `systemActorName` are recorded, and the state does not change. A case at the
    /// joint tier has nowhere higher to go: it is recorded once as overdue (an escalation from joint to joint,
    /// its deadline unchanged), and not again for the same deadline.
    public static func escalateIfOverdue(
        _ current: Gongzhi_Grid_V1_Case,
        at nowMs: Int64,
        catalogue: CategoryCatalogue
    ) -> Gongzhi_Grid_V1_Case? {
        guard CaseQuery.isOverdue(current, at: nowMs) else { return nil }
        let system = CaseActor(principal: systemActorName)
        var c = current
        var escalation = Gongzhi_Grid_V1_Escalation()
        escalation.from = current.tier
        escalation.deadlineMs = current.deadlineMs
        escalation.atMs = nowMs

        guard let next = current.tier.next else {
            let alreadyRecorded = current.escalations.contains {
                $0.from == current.tier && $0.to == current.tier && $0.deadlineMs == current.deadlineMs
            }
            if alreadyRecorded { return nil }
            escalation.to = current.tier
            c.escalations.append(escalation)
            c.record(
                .escalate,
                from: current.state,
                by: system,
                at: nowMs,
                note: "overdue at the \(current.tier.wording) tier, the highest; recorded once"
            )
            return c
        }

        let minutes = catalogue.escalationDeadline(for: next)
        escalation.to = next
        c.tier = next
        c.deadlineMs = nowMs + Int64(minutes) * 60_000
        c.escalations.append(escalation)
        c.record(
            .escalate,
            from: current.state,
            by: system,
            at: nowMs,
            note: "deadline passed at the \(escalation.from.wording) tier; escalated to the \(next.wording) tier "
                + "with \(durationWording(minutes: minutes)) to handle it"
        )
        return c
    }

    /// "48 h", "5 days", "90 min".
    static func durationWording(minutes: UInt32) -> String {
        if minutes % 1_440 == 0 { return minutes == 1_440 ? "1 day" : "\(minutes / 1_440) days" }
        if minutes % 60 == 0 { return "\(minutes / 60) h" }
        return "\(minutes) min"
    }
}
