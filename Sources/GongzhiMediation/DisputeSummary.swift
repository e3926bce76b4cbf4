import GongzhiCalendar
import GongzhiMediationSchemas

extension Gongzhi_Mediation_V1_DisputeSummary {
    /// `dispute` as those who follow it without taking part see it at `nowMs`: its type, title, places, state,
    /// level, mediators' names and times, the earliest deadline of its running clocks and whether any is
    /// overdue; no parties, no facts, no records, no agreement.
    public init(_ dispute: Gongzhi_Mediation_V1_Dispute, at nowMs: Int64, restDays: RestDays = .standard) {
        self.init()
        id = dispute.id
        state = dispute.state
        type = dispute.type
        source = dispute.source
        referralID = dispute.referralID
        placeCode = dispute.placeCode
        gridCode = dispute.gridCode
        communityCode = dispute.communityCode
        streetCode = dispute.streetCode
        buildingID = dispute.buildingID
        compound = dispute.compound
        level = dispute.level
        title = dispute.title
        mediatorNames = dispute.mediators.map { $0.name.isEmpty ? $0.personID : $0.name }
        appliedAtMs = dispute.appliedAtMs
        acceptedAtMs = dispute.acceptedAtMs
        closedAtMs = dispute.closedAtMs
        let clocks = LegalClocks(dispute, restDays: restDays).clocks
        nextDeadlineMs = clocks.map(\.deadlineMs).min() ?? 0
        overdue = clocks.contains { nowMs >= $0.deadlineMs }
    }
}
