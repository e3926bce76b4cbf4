import GongzhiCalendar
import GongzhiMediation
import GongzhiMediationSchemas
import GongzhiPluginSDK

/// The dispute book's index: each dispute's earliest running clock, worked out once when the dispute is kept,
/// so that finding the overdue ones is a comparison per dispute rather than its clocks worked out on every list.
struct DisputeDeadlines: ObjectBookIndex {
    /// The days on which no legal period ends.
    let restDays: RestDays
    /// The first millisecond past the earliest deadline of each dispute with a running clock.
    private(set) var next: [String: Int64] = [:]

    init(restDays: RestDays) {
        self.restDays = restDays
    }

    mutating func keep(
        _ object: TypedObject<Gongzhi_Mediation_V1_Dispute>,
        replacing held: TypedObject<Gongzhi_Mediation_V1_Dispute>?
    ) {
        let earliest = Self.earliest(object.message, restDays: restDays)
        next[object.id] = earliest == 0 ? nil : earliest
    }

    mutating func drop(_ held: TypedObject<Gongzhi_Mediation_V1_Dispute>) {
        next[held.id] = nil
    }

    /// The earliest deadline of `dispute`'s running clocks; 0 when none runs.
    static func earliest(_ dispute: Gongzhi_Mediation_V1_Dispute, restDays: RestDays) -> Int64 {
        LegalClocks(dispute, restDays: restDays).clocks.map(\.deadlineMs).min() ?? 0
    }
}
