import GongzhiCalendar
import GongzhiMediationSchemas

/// Figures for tracing disputes to their sources (溯源治理) and for the justice office: repeat disputes by
/// building, compound and type; the resolution rate; the share settled at community level or below; the
/// median days from acceptance to agreement, beside the national court mediation platform's average; and the
/// agreements performed on time.
public struct DisputeStats: Sendable, Hashable {
    /// The national court mediation platform's average days per mediation, shown beside ours.
    public static let nationalAverageDays = 23.33

    /// A key (a building id, a compound, a type) and how many disputes have it.
    public struct Count: Sendable, Hashable {
        public var key: String
        public var disputes: Int

        public init(key: String, disputes: Int) {
            self.key = key
            self.disputes = disputes
        }
    }

    public var disputes = 0
    /// Disputes that reached an outcome: an agreement in effect, performance, failure or refusal.
    public var concluded = 0
    /// Concluded disputes whose agreement took effect.
    public var resolved = 0
    /// Resolved disputes mediated by a grid's or a community's committee.
    public var resolvedAtCommunityOrBelow = 0
    /// Agreements whose every obligation is performed or past its deadline.
    public var agreementsDue = 0
    /// Of those, the ones with every obligation performed by its deadline.
    public var agreementsPerformedOnTime = 0
    /// Days from acceptance to effect of each resolved dispute, ascending.
    public var daysToAgreement: [Double] = []
    /// Buildings and compounds with two disputes or more, most first.
    public var repeatsByBuilding: [Count] = []
    public var repeatsByCompound: [Count] = []
    /// Disputes per type, most first.
    public var byType: [Count] = []

    /// The figures of `disputes` at `nowMs` (which obligations are due).
    public init(_ disputes: [Gongzhi_Mediation_V1_Dispute], at nowMs: Int64) {
        self.disputes = disputes.count
        var buildings: [String: Int] = [:]
        var compounds: [String: Int] = [:]
        var types: [String: Int] = [:]
        for d in disputes {
            if !d.buildingID.isEmpty { buildings[d.buildingID, default: 0] += 1 }
            if !d.compound.isEmpty { compounds[d.compound, default: 0] += 1 }
            types[Self.typeName(d.type), default: 0] += 1
            switch d.state {
            case .failed, .refused: concluded += 1
            case .agreed, .performed:
                concluded += 1
                resolved += 1
                if d.level == .grid || d.level == .community { resolvedAtCommunityOrBelow += 1 }
                if d.acceptedAtMs > 0, d.agreement.effectiveAtMs >= d.acceptedAtMs {
                    daysToAgreement.append(
                        Double(d.agreement.effectiveAtMs - d.acceptedAtMs) / Double(ChinaCalendar.dayMs)
                    )
                }
                tallyPerformance(d, at: nowMs)
            default: break
            }
        }
        daysToAgreement.sort()
        repeatsByBuilding = Self.ranked(buildings.filter { $0.value >= 2 })
        repeatsByCompound = Self.ranked(compounds.filter { $0.value >= 2 })
        byType = Self.ranked(types)
    }

    private mutating func tallyPerformance(_ d: Gongzhi_Mediation_V1_Dispute, at nowMs: Int64) {
        let obligations = d.agreement.obligations
        guard !obligations.isEmpty else { return }
        var firstPerformed: [String: Int64] = [:]
        for p in d.performances where p.outcome == .performed {
            firstPerformed[p.obligationID] = min(firstPerformed[p.obligationID] ?? .max, p.atMs)
        }
        let due = obligations.allSatisfy { firstPerformed[$0.id] != nil || nowMs >= $0.deadlineMs }
        guard due else { return }
        agreementsDue += 1
        if obligations.allSatisfy({ (firstPerformed[$0.id] ?? .max) <= $0.deadlineMs }) {
            agreementsPerformedOnTime += 1
        }
    }

    /// Resolved of concluded; 0 when none concluded.
    public var resolutionRate: Double { Self.ratio(resolved, concluded) }
    /// Resolved at grid or community level, of resolved.
    public var shareSettledAtCommunityOrBelow: Double { Self.ratio(resolvedAtCommunityOrBelow, resolved) }
    /// Performed on time, of agreements due.
    public var performedOnTimeRate: Double { Self.ratio(agreementsPerformedOnTime, agreementsDue) }

    /// The median of ``daysToAgreement`` (the mean of the middle two for an even count); nil with none.
    public var medianDaysToAgreement: Double? {
        let n = daysToAgreement.count
        guard n > 0 else { return nil }
        return n % 2 == 1 ? daysToAgreement[n / 2] : (daysToAgreement[n / 2 - 1] + daysToAgreement[n / 2]) / 2
    }

    private static func ratio(_ part: Int, _ whole: Int) -> Double {
        whole == 0 ? 0 : Double(part) / Double(whole)
    }

    private static func ranked(_ counts: [String: Int]) -> [Count] {
        counts.map { Count(key: $0.key, disputes: $0.value) }.sorted { ($1.disputes, $0.key) < ($0.disputes, $1.key) }
    }

    /// `neighbour`, `property service`.
    public static func typeName(_ type: Gongzhi_Mediation_V1_DisputeType) -> String {
        switch type {
        case .family: "family"
        case .neighbour: "neighbour"
        case .propertyService: "property service"
        case .renovation: "renovation"
        case .propertyRights: "property rights"
        case .labour: "labour"
        case .other: "other"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}
