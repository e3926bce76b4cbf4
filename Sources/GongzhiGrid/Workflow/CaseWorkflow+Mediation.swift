import GongzhiGridSchemas
import GongzhiSchemas

// Cases and the mediation module (人民调解): a case in a dispute category handed over as a dispute waits on it
// and closes with its outcome; a mediation agreement's missed obligation (Art 31) opens a case of its own.
extension CaseWorkflow {
    /// The principal the history and the reporter name for what the mediation module asked of the grid: a
    /// missed obligation's case is reported under it.
    public static let mediationPrincipal = "plugin:mediation"

    /// Who a missed obligation's case names as its reporter: the mediation committee (人民调解委员会).
    public static let mediationReporterName = "人民调解委员会"

    /// A dispute's title may fill at most this many characters of a missed obligation's case description.
    public static let maxDisputeTitleLength = 100

    /// The dispute a case waits on: set when the case was handed to mediation and that dispute has not ended.
    /// While it waits, the case takes no step (``check(_:on:by:at:)`` refuses every one) and is never overdue
    /// or escalated.
    public static func waitingDisputeID(_ c: Gongzhi_Grid_V1_Case) -> String? {
        guard c.hasMediation, !c.mediation.disputeID.isEmpty, c.mediation.concludedAtMs == 0 else { return nil }
        return c.mediation.disputeID
    }

    /// "case C… waits on dispute MD-… in mediation (人民调解): it closes when the dispute ends".
    static func waitingMessage(_ c: Gongzhi_Grid_V1_Case, disputeID: String) -> String {
        "case \(c.id) waits on dispute \(disputeID) in mediation (人民调解): it closes when the dispute ends"
    }

    /// The case handed to mediation as dispute `disputeID`: `mediation` names the dispute and when it was handed
    /// over, and a HAND_TO_MEDIATION step by `systemActorName` is recorded; the state does not change. From now
    /// on the case waits on the dispute.
    ///
    /// Nil, nothing to write, when the case is already handed to that dispute, waits on another one (the first
    /// dispute keeps it), or is no longer open (rejected, closed or evaluated).
    public static func handToMediation(
        _ current: Gongzhi_Grid_V1_Case,
        disputeID: String,
        at nowMs: Int64
    ) -> Gongzhi_Grid_V1_Case? {
        guard !disputeID.isEmpty, isOpen(current.state) else { return nil }
        if current.hasMediation && current.mediation.disputeID == disputeID { return nil }
        if waitingDisputeID(current) != nil { return nil }
        var c = current
        var mediation = Gongzhi_Grid_V1_Mediation()
        mediation.disputeID = disputeID
        mediation.handedAtMs = nowMs
        c.mediation = mediation
        c.record(
            .handToMediation,
            from: current.state,
            by: CaseActor(principal: systemActorName),
            at: nowMs,
            note: "handed to mediation: dispute \(disputeID)"
        )
        return c
    }

    /// The case closed by the end of the dispute it waits on: CLOSED from whatever open state it was in, at the
    /// tier it has, with `outcome` (which must hold no personal data) as the closing note; `mediation` records
    /// when, the dispute's last state as people read it ("performed", "failed") and the outcome, and a
    /// MEDIATION_CONCLUDED step by `systemActorName` is recorded. The reporter may evaluate it afterwards as any
    /// closed case.
    ///
    /// Nil, nothing to write, when the case waits on no dispute (never handed over, or concluded already) or is
    /// no longer open.
    public static func concludeMediation(
        _ current: Gongzhi_Grid_V1_Case,
        disputeState: String,
        outcome: String,
        at nowMs: Int64
    ) -> Gongzhi_Grid_V1_Case? {
        guard isOpen(current.state), waitingDisputeID(current) != nil else { return nil }
        var c = current
        c.state = .closed
        c.closedAtMs = nowMs
        c.closedTier = c.tier
        c.mediation.concludedAtMs = nowMs
        c.mediation.disputeState = disputeState
        c.mediation.outcome = outcome
        c.record(
            .mediationConcluded,
            from: current.state,
            by: CaseActor(principal: systemActorName),
            at: nowMs,
            note: outcome
        )
        return c
    }

    /// The case opened for an obligation of a mediation agreement that was missed (Art 31), as the mediation
    /// module names it: REPORTED, source MEDIATION, in grid `gridCode` (its community and street are the code's
    /// first 12 and 9 digits) with `category`'s name, type and tier, `from_dispute_id` set, and a description
    /// that names only the dispute, its title and the obligation — "调解协议未履行：纠纷 MD-…（楼上漏水）义务 o1"
    /// — never the parties or what they owe. The reporter is the mediation committee, under
    /// `mediationPrincipal`; the REPORT step is recorded by `systemActorName` under that principal. It is never
    /// registered or dispatched automatically: a person decides what the grid does about it.
    ///
    /// Throws `invalidArgument` for an empty case id, dispute id or obligation id, a grid code that is not 15
    /// digits, or a category the catalogue does not have.
    public static func missedObligationCase(
        id: String,
        disputeID: String,
        disputeTitle: String,
        obligationID: String,
        gridCode: String,
        categoryCode: String,
        at nowMs: Int64,
        catalogue: CategoryCatalogue
    ) throws(WorkflowError) -> Gongzhi_Grid_V1_Case {
        if id.isEmpty || disputeID.isEmpty || obligationID.isEmpty {
            throw .invalidArgument(
                "a missed obligation's case needs its id, the dispute's id and the obligation's id "
                    + "(case \"\(id)\", dispute \"\(disputeID)\", obligation \"\(obligationID)\")"
            )
        }
        guard gridCode.utf8.count == 15, gridCode.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw .invalidArgument(
                "dispute \(disputeID) lies in \"\(gridCode)\", which is not a grid (15 digits): its missed "
                    + "obligation opens no grid case"
            )
        }
        guard let category = catalogue.category(categoryCode) else {
            throw .invalidArgument(catalogue.unknownCategoryMessage(categoryCode))
        }
        let title = disputeTitle.trimmingWhitespace.prefix(maxDisputeTitleLength)
        let named = title.isEmpty ? "纠纷 \(disputeID) " : "纠纷 \(disputeID)（\(title)）"

        var reporter = Gongzhi_Grid_V1_Reporter()
        reporter.name = mediationReporterName
        reporter.principal = mediationPrincipal
        reporter.reportedAtMs = nowMs
        reporter.source = .mediation

        var c = Gongzhi_Grid_V1_Case()
        c.id = id
        c.state = .reported
        c.source = .mediation
        c.categoryCode = category.code
        c.categoryName = category.name
        c.categoryType = category.type
        c.description_p = "调解协议未履行：\(named)义务 \(obligationID)"
        c.gridCode = gridCode
        c.communityCode = String(gridCode.prefix(12))
        c.streetCode = String(gridCode.prefix(9))
        c.tier = category.tier
        c.reporter = reporter
        c.createdAtMs = nowMs
        c.fromDisputeID = disputeID
        c.record(
            .report,
            from: .unspecified,
            by: CaseActor(id: systemActorName, name: systemActorName, principal: mediationPrincipal),
            at: nowMs,
            note: "opened for a missed obligation of a mediation agreement: dispute \(disputeID), obligation "
                + obligationID
        )
        return c
    }
}

extension StringProtocol {
    /// The text without whitespace at either end.
    fileprivate var trimmingWhitespace: Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return text[first...last]
    }
}
