import GongzhiGrid
import GongzhiGridSchemas
import GongzhiMediationSchemas
import GongzhiPluginSDK
import GongzhiRPC
import Logging

extension Gongzhi_Mediation_V1_Dispute: ObjectKind {
    public static var kindName: String { "Dispute" }
}

/// The mediation module's disputes (人民调解), as the grid follows them through the host: a dispute handed over
/// from a grid case makes that case wait on it and closes it, with its outcome, when it ends; a missed
/// obligation of its agreement (Art 31) that the mediation module gave a grid case id opens that case. The
/// mediation module never writes cases: it only names them.
///
/// It lists and then watches the kind Dispute; on a host without the mediation module it says so once and looks
/// again every `retry`. Every write is idempotent, so a dispute seen twice, or again after a restart, changes
/// nothing more. Nothing of a dispute is kept, logged or copied into a case beyond its id, state and title.
struct DisputeFollower: Sendable {
    let desk: CaseDesk
    let objects: HostObjects
    /// The category code of missed obligations' cases, checked against the catalogue at start.
    let missedObligationCategory: String
    let logger: Logger
    var retry: Duration = .seconds(15)

    /// A write a dispute calls for.
    enum Write: Equatable, Sendable {
        /// The case handed over as the dispute, as it is to be written: handed to mediation, concluded, or both.
        case update(Gongzhi_Grid_V1_Case)
        /// A missed obligation's case, new.
        case create(Gongzhi_Grid_V1_Case)
        /// Nothing can be written for the case `caseID` names, and why (for the log).
        case skip(caseID: String, reason: String)
    }

    /// Follows the disputes until cancelled.
    func run() async {
        var toldNotDeployed = false
        while !Task.isCancelled {
            do {
                let (disputes, revision) = try await objects.list(Gongzhi_Mediation_V1_Dispute.self, pageSize: 2000)
                logger.info(
                    "following the mediation module's disputes",
                    metadata: ["disputes": "\(disputes.count)"]
                )
                toldNotDeployed = false
                for object in disputes { await follow(object.message) }
                for try await event in objects.watch(Gongzhi_Mediation_V1_Dispute.self, after: revision)
                where event.change != .deleted {
                    await follow(event.object.message)
                }
            } catch let error as RPCError where error.code == .invalidArgument || error.code == .notFound {
                if !toldNotDeployed {
                    toldNotDeployed = true
                    logger.info(
                        "the mediation module is not deployed (the host knows no kind Dispute); looking again",
                        metadata: ["every": "\(retry)"]
                    )
                }
            } catch let error as RPCError where error.code == .outOfRange {
                // The watch fell behind the store's history: list again at once.
                logger.info("the watch of disputes fell behind; listing them again")
                continue
            } catch is CancellationError {
                return
            } catch {
                logger.warning("following the disputes failed; trying again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: retry)
        }
    }

    /// Writes what one dispute calls for, each case in its turn; a write that fails is logged and made when the
    /// dispute is seen again (its next change, or the plugin's next start).
    func follow(_ dispute: Gongzhi_Mediation_V1_Dispute) async {
        let now = desk.clock.nowMs()
        let writes = Self.writes(
            for: dispute,
            cases: { desk.cases[$0]?.message },
            missedObligationCategory: missedObligationCategory,
            catalogue: desk.catalogue,
            at: now
        )
        for write in writes {
            switch write {
            case .update(let planned):
                do {
                    // From the case as it is in its turn, which may have changed since it was planned.
                    let written = try await desk.amend(planned.id) { Self.referredCase($0, of: dispute, at: now) }
                    guard let written else { continue }
                    if written.state == .closed {
                        logger.info(
                            "case \(written.id) closed: dispute \(dispute.id) ended",
                            metadata: ["dispute state": "\(written.mediation.disputeState)"]
                        )
                    } else {
                        logger.info("case \(written.id) handed to mediation: it waits on dispute \(dispute.id)")
                    }
                } catch {
                    logger.warning(
                        "cannot write case \(planned.id) for dispute \(dispute.id); written when it is seen again",
                        metadata: ["error": "\(error)"]
                    )
                }
            case .create(let value):
                do {
                    guard try await desk.create(value) != nil else { continue }
                    logger.info(
                        "case \(value.id) opened for a missed obligation of dispute \(dispute.id)",
                        metadata: ["category": "\(value.categoryCode)", "grid": "\(value.gridCode)"]
                    )
                } catch {
                    logger.warning(
                        "cannot open case \(value.id) for dispute \(dispute.id); opened when it is seen again",
                        metadata: ["error": "\(error)"]
                    )
                }
            case .skip(let caseID, let reason):
                logger.warning("dispute \(dispute.id) names case \(caseID), which is not written: \(reason)")
            }
        }
    }

    // MARK: Decisions

    /// The writes `dispute` calls for, given the cases as they are (`cases` answers a case by id, nil when there
    /// is none):
    /// - a dispute handed over from a grid case (source GRID_CASE, the case's id as referral) hands the case
    ///   over if it is not yet, and concludes it once the dispute is final (``referredCase(_:of:at:)``);
    /// - each performance MISSED with a `grid_case_id` that is not yet a case opens that case
    ///   (``CaseWorkflow/missedObligationCase(id:disputeID:disputeTitle:obligationID:gridCode:categoryCode:at:catalogue:)``)
    ///   in the dispute's grid, of `missedObligationCategory`.
    ///
    /// Empty when the cases are already as the dispute says.
    static func writes(
        for dispute: Gongzhi_Mediation_V1_Dispute,
        cases: (String) -> Gongzhi_Grid_V1_Case?,
        missedObligationCategory: String,
        catalogue: CategoryCatalogue,
        at nowMs: Int64
    ) -> [Write] {
        var writes: [Write] = []
        if dispute.source == .gridCase && !dispute.referralID.isEmpty {
            if let current = cases(dispute.referralID) {
                if let next = referredCase(current, of: dispute, at: nowMs) { writes.append(.update(next)) }
            } else {
                writes.append(.skip(caseID: dispute.referralID, reason: "the grid has no such case to hand over"))
            }
        }
        var opened: Set<String> = []
        for performance in dispute.performances
        where performance.outcome == .missed && !performance.gridCaseID.isEmpty
            && cases(performance.gridCaseID) == nil && !opened.contains(performance.gridCaseID)
        {
            opened.insert(performance.gridCaseID)
            do {
                let value = try CaseWorkflow.missedObligationCase(
                    id: performance.gridCaseID,
                    disputeID: dispute.id,
                    disputeTitle: dispute.title,
                    obligationID: performance.obligationID,
                    gridCode: dispute.gridCode.isEmpty ? dispute.placeCode : dispute.gridCode,
                    categoryCode: missedObligationCategory,
                    at: nowMs,
                    catalogue: catalogue
                )
                writes.append(.create(value))
            } catch {
                writes.append(.skip(caseID: performance.gridCaseID, reason: error.message))
            }
        }
        return writes
    }

    /// The case a dispute was handed over from, as the dispute makes it: handed to mediation if it is not yet,
    /// and concluded with the dispute's outcome once the dispute is final (both at once for a dispute first seen
    /// final). Nil when nothing changes: the dispute does not name this case, the case is already as the
    /// dispute says, it waits on another dispute, or it is no longer open.
    static func referredCase(
        _ current: Gongzhi_Grid_V1_Case,
        of dispute: Gongzhi_Mediation_V1_Dispute,
        at nowMs: Int64
    ) -> Gongzhi_Grid_V1_Case? {
        guard dispute.source == .gridCase, dispute.referralID == current.id, !dispute.id.isEmpty else { return nil }
        let handed = CaseWorkflow.handToMediation(current, disputeID: dispute.id, at: nowMs)
        let waiting = handed ?? current
        guard let outcome = outcome(of: dispute.state), CaseWorkflow.waitingDisputeID(waiting) == dispute.id else {
            return handed
        }
        return CaseWorkflow.concludeMediation(
            waiting,
            disputeState: wording(of: dispute.state),
            outcome: outcome,
            at: nowMs
        ) ?? handed
    }

    /// What a final dispute tells the case it closes, without personal data; nil while the dispute runs.
    static func outcome(of state: Gongzhi_Mediation_V1_DisputeState) -> String? {
        switch state {
        case .performed: "调解成功，协议已履行 / agreement performed"
        case .failed: "调解不成 / mediation failed: the parties were told of the other routes"
        case .refused: "a party refused mediation"
        case .declined: "the committee declined it"
        default: nil
        }
    }

    /// A dispute's state as people read it: "performed", "agreement drafted".
    static func wording(of state: Gongzhi_Mediation_V1_DisputeState) -> String {
        switch state {
        case .unspecified: "unspecified"
        case .applied: "applied"
        case .accepted: "accepted"
        case .mediating: "mediating"
        case .agreementDrafted: "agreement drafted"
        case .agreed: "agreed"
        case .performed: "performed"
        case .failed: "failed"
        case .refused: "refused"
        case .declined: "declined"
        case .UNRECOGNIZED(let value): "unknown state \(value)"
        }
    }
}
