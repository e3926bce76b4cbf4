import GongzhiCalendar
import GongzhiMediationSchemas

/// The legal clocks of a dispute as data: the one month to mediate from acceptance (with the extensions the
/// parties consented to), the 30 days from the agreement's effect to apply jointly for judicial confirmation
/// (Art 33), the court's 3 days to accept and 15 days (+10) to decide (法释〔2011〕5号 Art 6–7), and each
/// obligation's deadline, when its follow-up is due. Deadlines are the end (24:00) of their last day in China.
public struct LegalClocks: Sendable, Hashable {
    /// One running clock.
    public struct Clock: Sendable, Hashable {
        public var kind: Gongzhi_Mediation_V1_ClockKind
        /// The first millisecond past the deadline.
        public var deadlineMs: Int64
        /// The obligation, for an obligation's clock; empty otherwise.
        public var obligationID: String
        /// What is due, for people: "mediation to finish by 2027-01-07".
        public var description: String

        public init(
            kind: Gongzhi_Mediation_V1_ClockKind,
            deadlineMs: Int64,
            obligationID: String = "",
            description: String
        ) {
            self.kind = kind
            self.deadlineMs = deadlineMs
            self.obligationID = obligationID
            self.description = description
        }
    }

    /// A clock that is overdue or due soon at some moment.
    public struct Due: Sendable, Hashable {
        public var clock: Clock
        /// True when the deadline has passed.
        public var overdue: Bool
    }

    /// The dispute's id.
    public var disputeID: String
    /// The clocks running now, by deadline.
    public var clocks: [Clock]

    /// The clocks running for `dispute` in its present state: none once it is final, except the
    /// confirmation clocks and obligations of a performed or agreed one that are still open. A legal period
    /// whose last day is a rest day in `restDays` ends with the first working day after it (Civil Code Art 203);
    /// an obligation's deadline is the date the parties agreed.
    public init(_ dispute: Gongzhi_Mediation_V1_Dispute, restDays: RestDays = .standard) {
        disputeID = dispute.id
        var clocks: [Clock] = []
        switch dispute.state {
        case .accepted, .mediating, .agreementDrafted:
            // Mediated again after a court refused the agreement: a new month from then, with the extensions
            // consented to since.
            let start = Self.mediationStart(dispute)
            let deadline = restDays.moved(
                Self.mediationDeadline(acceptedAtMs: start, extensions: dispute.extensions.filter { $0.atMs >= start })
            )
            clocks.append(
                Clock(
                    kind: .mediation,
                    deadlineMs: deadline,
                    description: "mediation to finish by \(Self.day(deadline))"
                )
            )
        case .agreed, .performed:
            let c = dispute.confirmation
            let effective = dispute.agreement.effectiveAtMs
            if c.appliedAtMs == 0 {
                let end = restDays.moved(Self.confirmationWindowEnd(effectiveAtMs: effective))
                clocks.append(
                    Clock(
                        kind: .confirmationWindow,
                        deadlineMs: end,
                        description: "joint application for judicial confirmation by \(Self.day(end))"
                    )
                )
            } else if c.decision == .unspecified {
                if c.courtAcceptedAtMs == 0 {
                    let end = restDays.moved(Self.courtAcceptanceDeadline(appliedAtMs: c.appliedAtMs))
                    clocks.append(
                        Clock(
                            kind: .courtAcceptance,
                            deadlineMs: end,
                            description: "\(c.court) to accept the application by \(Self.day(end))"
                        )
                    )
                } else {
                    let end = restDays.moved(
                        Self.courtDecisionDeadline(acceptedAtMs: c.courtAcceptedAtMs, extended: c.courtExtended)
                    )
                    clocks.append(
                        Clock(
                            kind: .courtDecision,
                            deadlineMs: end,
                            description: "\(c.court) to decide by \(Self.day(end))"
                        )
                    )
                }
            }
            if dispute.state == .agreed {
                let settled = Set(
                    dispute.performances.filter { $0.outcome == .performed || $0.outcome == .missed }.map(
                        \.obligationID
                    )
                )
                for obligation in dispute.agreement.obligations where !settled.contains(obligation.id) {
                    clocks.append(
                        Clock(
                            kind: .obligation,
                            deadlineMs: obligation.deadlineMs,
                            obligationID: obligation.id,
                            description:
                                "obligation \(obligation.id) due by \(Self.day(obligation.deadlineMs)): follow up"
                        )
                    )
                }
            }
        default:
            break
        }
        self.clocks = clocks.sorted { ($0.deadlineMs, $0.obligationID) < ($1.deadlineMs, $1.obligationID) }
    }

    /// The clocks overdue at `nowMs` (deadline passed) or due within `windowMs` after it, soonest first.
    public func due(at nowMs: Int64, within windowMs: Int64 = 3 * ChinaCalendar.dayMs) -> [Due] {
        clocks.compactMap { clock in
            if nowMs >= clock.deadlineMs { return Due(clock: clock, overdue: true) }
            if clock.deadlineMs - nowMs <= windowMs { return Due(clock: clock, overdue: false) }
            return nil
        }
    }

    // MARK: - The deadlines

    /// One month from the day of acceptance (its corresponding day in the next month, or that month's last
    /// day), plus every extension's days; the first millisecond past it.
    public static func mediationDeadline(acceptedAtMs: Int64, extensions: [Gongzhi_Mediation_V1_Extension]) -> Int64 {
        let extra = extensions.reduce(Int64(0)) { $0 + Int64($1.days) }
        return ChinaCalendar.endOfMonths(1, after: acceptedAtMs, plusDays: extra)
    }

    /// When the month to mediate began: acceptance, or the last remediation after a court's refusal.
    public static func mediationStart(_ dispute: Gongzhi_Mediation_V1_Dispute) -> Int64 {
        dispute.history.last { $0.action == .remediate }.map { max($0.atMs, dispute.acceptedAtMs) }
            ?? dispute.acceptedAtMs
    }

    /// Thirty days from the day the agreement took effect (Art 33; 法释〔2011〕5号 Art 2).
    public static func confirmationWindowEnd(effectiveAtMs: Int64) -> Int64 {
        ChinaCalendar.endOfDays(30, after: effectiveAtMs)
    }

    /// Three days from the day the court received the application (法释〔2011〕5号 Art 6).
    public static func courtAcceptanceDeadline(appliedAtMs: Int64) -> Int64 {
        ChinaCalendar.endOfDays(3, after: appliedAtMs)
    }

    /// Fifteen days from the day the court accepted, or 25 when its president extended it (Art 7).
    public static func courtDecisionDeadline(acceptedAtMs: Int64, extended: Bool) -> Int64 {
        ChinaCalendar.endOfDays(extended ? 25 : 15, after: acceptedAtMs)
    }

    /// The last day of a deadline (the day before the first millisecond past it).
    private static func day(_ deadlineMs: Int64) -> String {
        ChinaCalendar.dateText(at: deadlineMs - 1)
    }
}
